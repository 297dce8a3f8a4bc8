/**
 * Reply texts. The presets follow the service's instruction manuals word for word where the
 * manuals give the text (seed 001 for English, seed 000 for Spanish); Russian is a translation of
 * the same. Operators override single keys from the config (`templates: { ack?, info?, … }`).
 * Placeholders are `{name}`; an unknown one is an error at start-up, never a literal `{x}` in an SMS.
 */

export type TemplateKey =
  | 'ack'
  | 'info'
  | 'smsStop'
  | 'smsStart'
  // Self-service codes (seed 003).
  | 'selfServiceActivated'
  | 'selfServiceCode'
  | 'selfServiceNotActivated'
  | 'selfServiceTooMany';
export type TemplateSet = Record<TemplateKey, string>;
export type TemplateLanguage = 'en' | 'es' | 'ru';

/** Placeholders each template may use. */
export const TEMPLATE_PLACEHOLDERS: Readonly<Record<TemplateKey, readonly string[]>> = {
  ack: [],
  info: ['code', 'login', 'password'],
  smsStop: [],
  smsStart: [],
  selfServiceActivated: [],
  selfServiceCode: ['code'],
  selfServiceNotActivated: [],
  selfServiceTooMany: [],
};

export const TEMPLATE_PRESETS: Readonly<Record<TemplateLanguage, Readonly<TemplateSet>>> = {
  en: {
    // Seed 001, verbatim.
    ack: 'Your request has been received. Wait for notification of the request being processed.',
    info: "REGISTRATION CENTER. Personal Code: {code}. CLIENT'S PORTAL: login: {login}, password: {password}. Do not share your registration data with anyone.",
    smsStop: 'SMS notifications and mass texts are turned off for your number. To turn them back on, text CLIENT sms start.',
    smsStart: 'SMS notifications and mass texts are turned on for your number. To turn them off, text CLIENT sms stop.',
    selfServiceActivated: 'Self-service is activated for your number. To get an access code, send an empty SMS (or CODE) to this number.',
    selfServiceCode: 'Your self-service access code: {code}. Do not share it with anyone.',
    selfServiceNotActivated: 'Self-service is not activated for your number. To activate it, send 111 to this number.',
    selfServiceTooMany: 'Too many access codes were requested today. Please try again tomorrow.',
  },
  es: {
    // Seed 000, verbatim, with its line breaks. ó and á are outside the GSM-7 default table (ñ is
    // in it), so these go out as UCS2: 70 characters per part.
    ack: 'Su pedido fue recibido. Espere la notificación sobre la tramitación de la solicitud.',
    info: 'Centro del registro.\nCódigo personal: {code}.\nPortal del cliente:\nlogin: {login}\ncontraseña: {password}.\nNo le diga a nadie sus datos del registro.',
    smsStop: 'Las SMS notificaciones y los SMS avisos están desactivados para su número. Para activarlos de nuevo, envíe CLIENT sms start.',
    smsStart: 'Las SMS notificaciones y los SMS avisos están activados para su número. Para desactivarlos, envíe CLIENT sms stop.',
    selfServiceActivated: 'El autoservicio está activado para su número. Para obtener un código de acceso, envíe un SMS vacío (o CODE) a este número.',
    selfServiceCode: 'Su código de acceso al autoservicio: {code}. No se lo diga a nadie.',
    selfServiceNotActivated: 'El autoservicio no está activado para su número. Para activarlo, envíe 111 a este número.',
    selfServiceTooMany: 'Se han pedido demasiados códigos hoy. Inténtelo de nuevo mañana.',
  },
  ru: {
    ack: 'Ваш запрос получен. Ожидайте уведомления об обработке запроса.',
    info: 'РЕГИСТРАЦИОННЫЙ ЦЕНТР. Персональный код: {code}. ПОРТАЛ КЛИЕНТА: логин: {login}, пароль: {password}. Никому не сообщайте свои регистрационные данные.',
    smsStop: 'SMS-уведомления и SMS-рассылки для вашего номера отключены. Чтобы снова включить их, отправьте CLIENT sms start.',
    smsStart: 'SMS-уведомления и SMS-рассылки для вашего номера включены. Чтобы отключить их, отправьте CLIENT sms stop.',
    selfServiceActivated: 'Самообслуживание для вашего номера активировано. Чтобы получить код доступа, отправьте пустое SMS (или CODE) на этот номер.',
    selfServiceCode: 'Ваш код доступа к самообслуживанию: {code}. Никому его не сообщайте.',
    selfServiceNotActivated: 'Самообслуживание для вашего номера не активировано. Для активации отправьте 111 на этот номер.',
    selfServiceTooMany: 'Сегодня запрошено слишком много кодов. Попробуйте завтра.',
  },
};

export class TemplateError extends Error {
  readonly code = 'TEMPLATE';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER_RE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(tpl: string): string[] {
  return [...new Set([...tpl.matchAll(PLACEHOLDER_RE)].map((m) => m[1]))];
}

/** Fill `{name}` placeholders. A placeholder with no value is a TemplateError naming it and the known ones. */
export function renderTemplate(tpl: string, vars: Readonly<Record<string, string>>): string {
  return tpl.replace(PLACEHOLDER_RE, (whole, name: string) => {
    if (!Object.hasOwn(vars, name)) {
      const known = Object.keys(vars);
      throw new TemplateError(`template uses {${name}}, which is not one of: ${known.length ? known.map((k) => `{${k}}`).join(', ') : '(none: this template takes no placeholders)'}`);
    }
    return vars[name];
  });
}

/**
 * The preset for a language with config overrides merged over it. Throws TemplateError on an
 * unknown key, an empty text or a placeholder the key does not provide — at start-up, not at the
 * first customer's SMS.
 */
export function resolveTemplates(language: TemplateLanguage = 'en', overrides: Readonly<Record<string, string>> = {}): TemplateSet {
  const preset = Object.hasOwn(TEMPLATE_PRESETS, language) ? TEMPLATE_PRESETS[language] : undefined;
  if (!preset) throw new TemplateError(`no template preset for language "${language}" (known: ${Object.keys(TEMPLATE_PRESETS).join(', ')})`);
  const set: TemplateSet = { ...preset };
  for (const [key, text] of Object.entries(overrides)) {
    if (!Object.hasOwn(TEMPLATE_PLACEHOLDERS, key)) {
      throw new TemplateError(`unknown template "templates.${key}" (known: ${Object.keys(TEMPLATE_PLACEHOLDERS).join(', ')})`);
    }
    set[key as TemplateKey] = text;
  }
  validateTemplates(set);
  return set;
}

/** Check a complete set: every key present, non-empty, using only its own placeholders. Throws TemplateError. */
export function validateTemplates(set: Readonly<TemplateSet>): void {
  for (const key of Object.keys(TEMPLATE_PLACEHOLDERS) as TemplateKey[]) {
    const text = set[key];
    if (typeof text !== 'string' || text.trim() === '') throw new TemplateError(`template "templates.${key}" is empty`);
    const allowed = TEMPLATE_PLACEHOLDERS[key];
    for (const p of placeholdersOf(text)) {
      if (!allowed.includes(p)) {
        throw new TemplateError(
          `template "templates.${key}" uses {${p}}, which is not one of: ${allowed.length ? allowed.map((a) => `{${a}}`).join(', ') : '(none: this template takes no placeholders)'}`,
        );
      }
    }
  }
}
