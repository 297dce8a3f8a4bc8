/**
 * The chat page's text in the server's `language` (en, es, ru). `page` strings are rendered into
 * the HTML; `client` strings go to the page script as JSON (states, errors by code, labels).
 * `{minutes}`, `{n}`, `{max}`, `{mobile}`, `{time}` are filled in where they are used.
 */
export type PageLanguage = 'en' | 'es' | 'ru';

export interface ChatStrings {
  page: {
    title: string;
    intro: string;
    nameLabel: string;
    mobileLabel: string;
    mobileHint: string;
    messageLabel: string;
    captchaLegend: string;
    captchaWorking: string;
    send: string;
    conversationsTitle: string;
    noMessages: string;
    ended: string;
    restart: string;
  };
  client: {
    counter: string;
    captchaWorking: string;
    captchaDone: string;
    captchaFailed: string;
    captchaOff: string;
    sending: string;
    sent: string;
    conversationWith: string;
    from: string;
    to: string;
    time: string;
    state: string;
    out: string;
    in: string;
    sessionInfo: string;
    states: Record<'queued' | 'sent' | 'failed' | 'unknown' | 'received', string>;
    errors: Record<string, string>;
    unknownError: string;
    offline: string;
  };
}

const en: ChatStrings = {
  page: {
    title: 'Send an SMS',
    intro:
      'Write your name, the mobile number and a message of up to {max} characters. The person can answer by SMS to our number; an answer within {minutes} minutes appears below. You can write to several numbers at once.',
    nameLabel: 'Your name',
    mobileLabel: 'Mobile number',
    mobileHint: 'For example {example}',
    messageLabel: 'Your message',
    captchaLegend: 'Security check',
    captchaWorking: 'Checking that you are not a robot…',
    send: 'Send message',
    conversationsTitle: 'Your answers appear here',
    noMessages: 'No messages yet.',
    ended: 'Session ended: answers that arrive later are not shown here.',
    restart: 'Start a new session',
  },
  client: {
    counter: '{n} / {max}',
    captchaWorking: 'Checking that you are not a robot…',
    captchaDone: 'Done: you can send.',
    captchaFailed: 'The check could not be completed. Reload the page to try again.',
    captchaOff: 'Switched off on this server.',
    sending: 'Sending…',
    sent: 'Message queued.',
    conversationWith: 'Conversation with {mobile}',
    from: 'From',
    to: 'To',
    time: 'Time',
    state: 'Status',
    out: 'Sent by you',
    in: 'Answer',
    sessionInfo: 'The session ends at {time} unless a message is sent or received before.',
    states: { queued: 'queued', sent: 'sent', failed: 'not delivered', unknown: 'delivery unknown', received: 'received' },
    errors: {
      'empty-name': 'Enter your name.',
      'name-too-long': 'The name is too long.',
      'empty-text': 'Write a message.',
      'text-too-long': 'The message is too long.',
      'bad-number': 'That is not a valid mobile number.',
      'prefix-not-allowed': 'Messages cannot be sent to that number from this page.',
      'captcha-required': 'Wait for the security check to finish.',
      'captcha-invalid': 'The security check failed. Try again.',
      'captcha-expired': 'The security check expired. Try again.',
      'captcha-used': 'The security check was already used. Try again.',
      'mobile-busy': 'That number is in a conversation with another visitor right now. Try again in a few minutes.',
      'too-many-conversations': 'This session has as many conversations as it can hold.',
      'session-ended': 'The session ended.',
      'no-session': 'The session ended.',
      'limit-ip': 'Too many messages from your connection. Try again later.',
      'limit-destination': 'That number has received as many messages today as allowed.',
      'limit-prefix': 'Too many messages to numbers like that one. Try again later.',
      'limit-sessions': 'Too many sessions from your connection. Try again later.',
      'rate-limited': 'Too many requests. Try again in a minute.',
    },
    unknownError: 'Something went wrong. Try again.',
    offline: 'Connection lost; reconnecting…',
  },
};

const es: ChatStrings = {
  page: {
    title: 'Enviar un SMS',
    intro:
      'Escribe tu nombre, el número móvil y un mensaje de hasta {max} caracteres. La persona puede responder por SMS a nuestro número; la respuesta enviada en menos de {minutes} minutos aparece abajo. Puedes mantener varias conversaciones a la vez.',
    nameLabel: 'Tu nombre',
    mobileLabel: 'Número móvil',
    mobileHint: 'Por ejemplo {example}',
    messageLabel: 'Escribe tu mensaje',
    captchaLegend: 'Código de seguridad',
    captchaWorking: 'Comprobando que no eres un robot…',
    send: 'Enviar mensaje',
    conversationsTitle: 'Aquí recibirás tu respuesta',
    noMessages: 'Todavía no hay mensajes.',
    ended: 'La sesión finalizó: las respuestas que lleguen después no se mostrarán aquí.',
    restart: 'Iniciar una sesión nueva',
  },
  client: {
    counter: '{n} / {max}',
    captchaWorking: 'Comprobando que no eres un robot…',
    captchaDone: 'Listo: puedes enviar.',
    captchaFailed: 'No se pudo completar la comprobación. Recarga la página para intentarlo de nuevo.',
    captchaOff: 'Desactivado en este servidor.',
    sending: 'Enviando…',
    sent: 'Mensaje en cola.',
    conversationWith: 'Conversación con {mobile}',
    from: 'Desde',
    to: 'Para',
    time: 'Hora',
    state: 'Estado',
    out: 'Enviado por ti',
    in: 'Respuesta',
    sessionInfo: 'La sesión finaliza a las {time} si no se envía ni se recibe un mensaje antes.',
    states: { queued: 'en cola', sent: 'enviado', failed: 'no entregado', unknown: 'entrega desconocida', received: 'recibido' },
    errors: {
      'empty-name': 'Escribe tu nombre.',
      'name-too-long': 'El nombre es demasiado largo.',
      'empty-text': 'Escribe un mensaje.',
      'text-too-long': 'El mensaje es demasiado largo.',
      'bad-number': 'Ese número móvil no es válido.',
      'prefix-not-allowed': 'Desde esta página no se pueden enviar mensajes a ese número.',
      'captcha-required': 'Espera a que termine la comprobación de seguridad.',
      'captcha-invalid': 'La comprobación de seguridad falló. Inténtalo de nuevo.',
      'captcha-expired': 'La comprobación de seguridad caducó. Inténtalo de nuevo.',
      'captcha-used': 'La comprobación de seguridad ya se usó. Inténtalo de nuevo.',
      'mobile-busy': 'Ese número está ahora en una conversación con otro visitante. Inténtalo en unos minutos.',
      'too-many-conversations': 'Esta sesión ya tiene todas las conversaciones que admite.',
      'session-ended': 'La sesión finalizó.',
      'no-session': 'La sesión finalizó.',
      'limit-ip': 'Demasiados mensajes desde tu conexión. Inténtalo más tarde.',
      'limit-destination': 'Ese número ya recibió hoy todos los mensajes permitidos.',
      'limit-prefix': 'Demasiados mensajes a números como ese. Inténtalo más tarde.',
      'limit-sessions': 'Demasiadas sesiones desde tu conexión. Inténtalo más tarde.',
      'rate-limited': 'Demasiadas solicitudes. Inténtalo dentro de un minuto.',
    },
    unknownError: 'Algo salió mal. Inténtalo de nuevo.',
    offline: 'Conexión perdida; reconectando…',
  },
};

const ru: ChatStrings = {
  page: {
    title: 'Отправить SMS',
    intro:
      'Укажите своё имя, номер мобильного и сообщение длиной до {max} символов. Получатель может ответить SMS на наш номер; ответ, отправленный в течение {minutes} мин., появится ниже. Можно переписываться с несколькими номерами одновременно.',
    nameLabel: 'Ваше имя',
    mobileLabel: 'Номер мобильного',
    mobileHint: 'Например, {example}',
    messageLabel: 'Сообщение',
    captchaLegend: 'Проверка безопасности',
    captchaWorking: 'Проверяем, что вы не робот…',
    send: 'Отправить',
    conversationsTitle: 'Здесь появятся ответы',
    noMessages: 'Сообщений пока нет.',
    ended: 'Сеанс завершён: ответы, пришедшие позже, здесь не появятся.',
    restart: 'Начать новый сеанс',
  },
  client: {
    counter: '{n} / {max}',
    captchaWorking: 'Проверяем, что вы не робот…',
    captchaDone: 'Готово: можно отправлять.',
    captchaFailed: 'Проверку не удалось завершить. Обновите страницу.',
    captchaOff: 'Отключена на этом сервере.',
    sending: 'Отправка…',
    sent: 'Сообщение поставлено в очередь.',
    conversationWith: 'Переписка с {mobile}',
    from: 'От',
    to: 'Кому',
    time: 'Время',
    state: 'Статус',
    out: 'Ваше сообщение',
    in: 'Ответ',
    sessionInfo: 'Сеанс завершится в {time}, если до этого не будет отправлено или получено сообщение.',
    states: { queued: 'в очереди', sent: 'отправлено', failed: 'не доставлено', unknown: 'доставка неизвестна', received: 'получено' },
    errors: {
      'empty-name': 'Укажите имя.',
      'name-too-long': 'Слишком длинное имя.',
      'empty-text': 'Напишите сообщение.',
      'text-too-long': 'Слишком длинное сообщение.',
      'bad-number': 'Неверный номер мобильного.',
      'prefix-not-allowed': 'На этот номер нельзя писать с этой страницы.',
      'captcha-required': 'Дождитесь окончания проверки безопасности.',
      'captcha-invalid': 'Проверка безопасности не пройдена. Попробуйте ещё раз.',
      'captcha-expired': 'Срок проверки истёк. Попробуйте ещё раз.',
      'captcha-used': 'Эта проверка уже использована. Попробуйте ещё раз.',
      'mobile-busy': 'С этим номером сейчас переписывается другой посетитель. Попробуйте через несколько минут.',
      'too-many-conversations': 'В этом сеансе уже максимальное число переписок.',
      'session-ended': 'Сеанс завершён.',
      'no-session': 'Сеанс завершён.',
      'limit-ip': 'Слишком много сообщений с вашего адреса. Попробуйте позже.',
      'limit-destination': 'На этот номер сегодня отправлено максимальное число сообщений.',
      'limit-prefix': 'Слишком много сообщений на похожие номера. Попробуйте позже.',
      'limit-sessions': 'Слишком много сеансов с вашего адреса. Попробуйте позже.',
      'rate-limited': 'Слишком много запросов. Попробуйте через минуту.',
    },
    unknownError: 'Что-то пошло не так. Попробуйте ещё раз.',
    offline: 'Связь потеряна; переподключаемся…',
  },
};

export const CHAT_STRINGS: Readonly<Record<PageLanguage, ChatStrings>> = { en, es, ru };

/** Fills `{key}` placeholders. */
export function fill(s: string, vars: Readonly<Record<string, string | number>>): string {
  return s.replace(/\{(\w+)\}/g, (whole, k: string) => (Object.hasOwn(vars, k) ? String(vars[k]) : whole));
}
