/**
 * The self-service page's text in the server's `language` (en, es, ru). Every string is rendered
 * HTML-escaped; `{n}`, `{time}`, `{phone}`, `{keyword}`, `{number}`, `{minutes}` are filled in where
 * they are used. `client` strings go to the page script as JSON (the captcha states).
 */
import type { PageLanguage } from '../chat/strings.js';

export interface SelfServiceStrings {
  title: string;
  intro: string;
  phoneLabel: string;
  codeLabel: string;
  codeHint: string;
  captchaLegend: string;
  login: string;
  /** How to activate and order a code; `{keyword}`, `{number}`. */
  howTo: string;
  /** `{number}` when the server does not know its own number. */
  ourNumber: string;
  account: string;
  signedInAs: string;
  notificationsOn: string;
  notificationsOff: string;
  turnOff: string;
  turnOn: string;
  changedOn: string;
  changedOff: string;
  sessionUntil: string;
  logout: string;
  loggedOut: string;
  sessionEnded: string;
  errors: {
    wrongCode: string;
    locked: string;
    notActivated: string;
    badPhone: string;
    badCode: string;
    csrf: string;
    captcha: string;
    rateLimited: string;
    other: string;
  };
  client: { captchaWorking: string; captchaDone: string; captchaFailed: string; captchaOff: string };
}

const en: SelfServiceStrings = {
  title: 'Self-service',
  intro: 'Manage the SMS notifications and mass texts we send to your number. Log in with your number and the access code you received by SMS.',
  phoneLabel: 'Your mobile number',
  codeLabel: 'Access code',
  codeHint: 'The digits from our SMS',
  captchaLegend: 'Security check',
  login: 'Log in',
  howTo: 'No code yet? Text {keyword} to {number} once to activate self-service, then send an empty SMS (or CODE) to get a code.',
  ourNumber: 'our SMS number',
  account: 'Your notifications',
  signedInAs: 'Logged in as {phone}.',
  notificationsOn: 'SMS notifications and mass texts are ON for this number.',
  notificationsOff: 'SMS notifications and mass texts are OFF for this number.',
  turnOff: 'Turn them off',
  turnOn: 'Turn them on',
  changedOn: 'Done: notifications and mass texts are turned on. We sent a confirmation by SMS.',
  changedOff: 'Done: notifications and mass texts are turned off. We sent a confirmation by SMS.',
  sessionUntil: 'Your session ends at {time}.',
  logout: 'Log out',
  loggedOut: 'You are logged out.',
  sessionEnded: 'Your session has ended ({minutes} minutes at most): log in again.',
  errors: {
    wrongCode: 'Wrong code. Attempts left: {n}.',
    locked: 'Too many wrong codes: access is locked until {time}. You can order a new code by SMS meanwhile; it works after the lock.',
    notActivated: 'Self-service is not activated for {phone}. To activate it, text {keyword} to {number}; then send an empty SMS (or CODE) to get a code.',
    badPhone: 'That is not a valid mobile number.',
    badCode: 'Enter the digits of the code you received by SMS.',
    csrf: 'The form has expired. Please try again.',
    captcha: 'The security check failed or expired. Please try again.',
    rateLimited: 'Too many attempts from your connection. Please try again later.',
    other: 'Something went wrong. Please try again.',
  },
  client: {
    captchaWorking: 'Checking that you are not a robot…',
    captchaDone: 'Done: you can log in.',
    captchaFailed: 'The check could not be completed. Reload the page to try again.',
    captchaOff: 'Switched off on this server.',
  },
};

const es: SelfServiceStrings = {
  title: 'Autoservicio',
  intro: 'Gestiona las notificaciones y los avisos por SMS que enviamos a tu número. Entra con tu número y el código de acceso que recibiste por SMS.',
  phoneLabel: 'Tu número móvil',
  codeLabel: 'Código de acceso',
  codeHint: 'Las cifras de nuestro SMS',
  captchaLegend: 'Código de seguridad',
  login: 'Entrar',
  howTo: '¿Aún no tienes código? Envía {keyword} a {number} una vez para activar el autoservicio y después un SMS vacío (o CODE) para recibir un código.',
  ourNumber: 'nuestro número de SMS',
  account: 'Tus notificaciones',
  signedInAs: 'Has entrado como {phone}.',
  notificationsOn: 'Las notificaciones y los avisos por SMS están ACTIVADOS para este número.',
  notificationsOff: 'Las notificaciones y los avisos por SMS están DESACTIVADOS para este número.',
  turnOff: 'Desactivarlos',
  turnOn: 'Activarlos',
  changedOn: 'Hecho: notificaciones y avisos activados. Te enviamos una confirmación por SMS.',
  changedOff: 'Hecho: notificaciones y avisos desactivados. Te enviamos una confirmación por SMS.',
  sessionUntil: 'Tu sesión termina a las {time}.',
  logout: 'Salir',
  loggedOut: 'Has salido.',
  sessionEnded: 'Tu sesión ha terminado ({minutes} minutos como máximo): entra de nuevo.',
  errors: {
    wrongCode: 'Código incorrecto. Intentos restantes: {n}.',
    locked: 'Demasiados códigos incorrectos: el acceso está bloqueado hasta {time}. Mientras tanto puedes pedir un código nuevo por SMS; valdrá después del bloqueo.',
    notActivated: 'El autoservicio no está activado para {phone}. Para activarlo, envía {keyword} a {number}; después un SMS vacío (o CODE) para recibir un código.',
    badPhone: 'Ese número móvil no es válido.',
    badCode: 'Escribe las cifras del código que recibiste por SMS.',
    csrf: 'El formulario ha caducado. Inténtalo de nuevo.',
    captcha: 'El código de seguridad falló o caducó. Inténtalo de nuevo.',
    rateLimited: 'Demasiados intentos desde tu conexión. Inténtalo más tarde.',
    other: 'Algo salió mal. Inténtalo de nuevo.',
  },
  client: {
    captchaWorking: 'Comprobando que no eres un robot…',
    captchaDone: 'Listo: puedes entrar.',
    captchaFailed: 'No se pudo completar la comprobación. Recarga la página.',
    captchaOff: 'Desactivado en este servidor.',
  },
};

const ru: SelfServiceStrings = {
  title: 'Самообслуживание',
  intro: 'Управляйте SMS-уведомлениями и SMS-рассылками на ваш номер. Войдите с номером и кодом доступа, полученным по SMS.',
  phoneLabel: 'Ваш номер телефона',
  codeLabel: 'Код доступа',
  codeHint: 'Цифры из нашего SMS',
  captchaLegend: 'Проверка',
  login: 'Войти',
  howTo: 'Нет кода? Отправьте {keyword} на {number}, чтобы подключить самообслуживание, затем пустое SMS (или CODE), чтобы получить код.',
  ourNumber: 'наш номер для SMS',
  account: 'Ваши уведомления',
  signedInAs: 'Вы вошли как {phone}.',
  notificationsOn: 'SMS-уведомления и SMS-рассылки для этого номера ВКЛЮЧЕНЫ.',
  notificationsOff: 'SMS-уведомления и SMS-рассылки для этого номера ОТКЛЮЧЕНЫ.',
  turnOff: 'Отключить',
  turnOn: 'Включить',
  changedOn: 'Готово: уведомления и рассылки включены. Подтверждение отправлено по SMS.',
  changedOff: 'Готово: уведомления и рассылки отключены. Подтверждение отправлено по SMS.',
  sessionUntil: 'Сеанс закончится в {time}.',
  logout: 'Выйти',
  loggedOut: 'Вы вышли.',
  sessionEnded: 'Сеанс закончился (не более {minutes} минут): войдите снова.',
  errors: {
    wrongCode: 'Неверный код. Осталось попыток: {n}.',
    locked: 'Слишком много неверных кодов: доступ закрыт до {time}. Пока можно заказать новый код по SMS; он заработает после блокировки.',
    notActivated: 'Самообслуживание для {phone} не подключено. Отправьте {keyword} на {number}, затем пустое SMS (или CODE), чтобы получить код.',
    badPhone: 'Это не номер мобильного телефона.',
    badCode: 'Введите цифры кода из SMS.',
    csrf: 'Форма устарела. Попробуйте ещё раз.',
    captcha: 'Проверка не пройдена или устарела. Попробуйте ещё раз.',
    rateLimited: 'Слишком много попыток с вашего подключения. Попробуйте позже.',
    other: 'Что-то пошло не так. Попробуйте ещё раз.',
  },
  client: {
    captchaWorking: 'Проверяем, что вы не робот…',
    captchaDone: 'Готово: можно войти.',
    captchaFailed: 'Проверку не удалось завершить. Обновите страницу.',
    captchaOff: 'Отключена на этом сервере.',
  },
};

export const SELF_SERVICE_STRINGS: Record<PageLanguage, SelfServiceStrings> = { en, es, ru };
