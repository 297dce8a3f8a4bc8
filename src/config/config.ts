/**
 * Server configuration: a JSON file (`--config FILE`, else `<data>/config.json` when present),
 * then command-line flags on top. Every key is declared below with its expected form, so a typo
 * or a wrong type is a clear error naming the key — never silently ignored.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SmtpConfig } from '../forward/email-sender.js';
import { DEFAULT_CHAT_LIMITS, type ChatLimitsConfig } from '../chat/limits.js';
import { DEFAULT_CHAT_TEMPLATE } from '../chat/template.js';
import { TEMPLATE_PLACEHOLDERS } from '../commands/templates.js';
import { SELF_SERVICE_DEFAULTS, type SelfServiceSettings } from '../selfservice/types.js';
import { ConfigError } from './errors.js';
import { modemSpecs, type ModemConfig } from './modems.js';

export { ConfigError } from './errors.js';
export { MODEM_ID_PATTERN, modemSpecs, type ModemConfig, type ModemSpec } from './modems.js';

/** The HTTP API's bearer token is a secret: this short, it could be guessed. */
export const MIN_HTTP_TOKEN_LENGTH = 16;

export type Language = 'en' | 'es' | 'ru';
export type OnUnknown = 'resend-once' | 'hold';
export type PinnedFallback = 'wait' | 'any';

export interface Config {
  /** Serial device path; a /dev/serial/by-id/… link is best. Unset → no modem (use --simulate). One modem, id `default`. */
  device?: string;
  /** Several modems (issue 14): each with its own device, SIM and limits. Exclusive with `device`. */
  modems?: ModemConfig[];
  pool: {
    /** How long a job pinned to a modem that is down waits for it before `pinnedFallback` applies (fractions allowed). */
    pinnedWaitMinutes: number;
    /** `wait`: pinned jobs wait for their modem, however long; `any`: after the wait they go out through any ready modem. */
    pinnedFallback: PinnedFallback;
  };
  baudRate: number;
  /** Modem profile name, or 'auto' to detect from AT+CGMI/AT+CGMM. */
  profile: string;
  /** SIM PIN, sent only when the modem asks for it. */
  pin?: string;
  dataDir: string;
  /** Country whose national numbering applies to local numbers (RU: 8 9xx… ↔ +7 9xx…). */
  country: string;
  language: Language;
  /** Per-key overrides of the language preset: ack, info, smsStop, smsStart. */
  templates: Record<string, string>;
  /** AES-256 key for passwords at rest (base64 or hex, 32 bytes); else SMS_SERVER_KEY; else a key file. */
  secretKey?: string;
  logLevel: string;
  http: { enabled: boolean; host: string; port: number; token?: string; maxBodyBytes: number };
  queue: {
    massPerMinute: number;
    maxAttempts: number;
    onUnknown: OnUnknown;
    dailyCap: number;
    /** First retry back-off after a transient send error (doubles per attempt, capped at 15 min). */
    retryBaseSeconds: number;
    /**
     * Wait before the single re-send of an unknown outcome of a notification or mass text: a late
     * `+CMGS` or status report may land first. Replies go again as soon as the modem answers a probe.
     */
    unknownResendSeconds: number;
    /** Ask the SMSC for a status report (TP-SRR) on every SMS; a job's own `report` overrides it. */
    deliveryReports: boolean;
    /** A status report is matched only to parts sent within this many hours (our clock). */
    deliveryReportHours: number;
  };
  inbound: {
    /** Storage sweep (AT+CMGL=4) period: +CMTI is not reliable on many modems. */
    sweepSeconds: number;
    /** An incomplete multipart set is delivered, marked incomplete, after this long. */
    multipartTimeoutHours: number;
    /** Per-sender commands accepted per hour before they are rejected (SMS bombing costs money). */
    perSenderPerHour: number;
  };
  /** The public web listener (chat page), separate from the loopback API; meant to sit behind nginx with TLS. */
  web: {
    enabled: boolean;
    host: string;
    port: number;
    /** Believe X-Forwarded-For/-Proto/-Host from the one proxy hop in front (nginx on this host). */
    trustProxy: boolean;
  };
  /** The web-to-SMS chat at /chat (seed 004). */
  chat: {
    /** Longest message a visitor may type. */
    maxLength: number;
    /** A session ends after this many minutes without a message either way (fractions allowed). */
    sessionMinutes: number;
    /** The SMS the mobile receives: {name} and {text}. */
    template: string;
    /** "pow": proof-of-work captcha on every send; "off": none (local testing; warned at every start). */
    captcha: 'pow' | 'off';
    /** Work per captcha: the highest counter a browser may have to reach (SHA-256 each). */
    captchaDifficulty: number;
    /** E.164 prefixes a visitor may text (e.g. ["+7900", "+7901"]); unset or empty: the home country's code. */
    allowedPrefixes?: string[];
    limits: ChatLimitsConfig;
  };
  /** Self-service access codes by SMS (seed 003); off unless enabled. */
  selfService: SelfServiceSettings;
  modem: {
    /** Watchdog: probe with AT after this much silence. */
    idleProbeSeconds: number;
    /** Overrides the profile's send timeout (PDU written → `+CMGS:`): slow networks need more, tests less. */
    sendTimeoutSeconds?: number;
    /** The SIM's own number (E.164) for route `number` and inbox `to`; unset: asked with AT+CNUM (many SIMs do not know it). */
    number?: string;
  };
  routing: {
    /** Route `last-sender`: how long after the last SMS sent to a number its replies still go to that account. */
    lastSenderDays: number;
  };
  forward: {
    /** A webhook receiver must answer (status line) within this long. */
    timeoutSeconds: number;
    /** Deliveries in flight per account and channel: a slow receiver holds only its own. */
    concurrency: number;
  };
  /** Outgoing mail for e-mail forwarding; unset: e-mail forwards fail with a reason saying so. */
  smtp?: SmtpSettings;
  /** SMPP 3.4 listener for accounts (system_id = login, password set with `accounts set --smpp-password`). */
  smpp: {
    enabled: boolean;
    host: string;
    port: number;
    maxSessionsPerAccount: number;
    /** Requests in flight per session, each way: submit_sm being stored, deliver_sm awaiting its response. */
    windowSize: number;
    /** Silence from a client after which we send enquire_link. */
    enquireLinkSeconds: number;
    /** How long we wait for the response to our own request (enquire_link, deliver_sm, unbind). */
    responseTimeoutSeconds: number;
    /** Whole messages one account may submit per minute (all its sessions); more → ESME_RTHROTTLED. */
    submitPerMinute: number;
    /** Inbound texts longer than one SMS: UDH-concatenated deliver_sm parts, or one message_payload. */
    longMessages: 'udh' | 'payload';
  };
}

/** `smtp`: the outgoing mail server for e-mail forwarding (the sender's own option type). */
export type SmtpSettings = SmtpConfig;

export const DEFAULTS: Config = {
  baudRate: 115200,
  profile: 'auto',
  dataDir: './data',
  country: 'RU',
  language: 'en',
  templates: {},
  logLevel: 'info',
  http: { enabled: false, host: '127.0.0.1', port: 8080, maxBodyBytes: 65536 },
  queue: {
    massPerMinute: 10,
    maxAttempts: 8,
    onUnknown: 'resend-once',
    dailyCap: 50,
    retryBaseSeconds: 30,
    unknownResendSeconds: 60,
    deliveryReports: true,
    deliveryReportHours: 72,
  },
  inbound: { sweepSeconds: 60, multipartTimeoutHours: 24, perSenderPerHour: 10 },
  modem: { idleProbeSeconds: 60 },
  pool: { pinnedWaitMinutes: 10, pinnedFallback: 'wait' },
  routing: { lastSenderDays: 14 },
  forward: { timeoutSeconds: 15, concurrency: 4 },
  web: { enabled: false, host: '127.0.0.1', port: 8081, trustProxy: false },
  chat: {
    maxLength: 150,
    sessionMinutes: 5,
    template: DEFAULT_CHAT_TEMPLATE,
    captcha: 'pow',
    captchaDifficulty: 50_000,
    limits: { ...DEFAULT_CHAT_LIMITS },
  },
  smpp: { enabled: false, host: '127.0.0.1', port: 2775, maxSessionsPerAccount: 4, windowSize: 10, enquireLinkSeconds: 30, responseTimeoutSeconds: 10, submitPerMinute: 60, longMessages: 'udh' },
  selfService: { ...SELF_SERVICE_DEFAULTS },
};

type Rule =
  | { t: 'string'; optional?: boolean; oneOf?: readonly string[] }
  | { t: 'int'; min: number; max: number }
  | { t: 'number'; min: number; max: number }
  | { t: 'list'; pattern: RegExp; example: string }
  | { t: 'bool' }
  | { t: 'object'; keys: Record<string, Rule> }
  /** A list of entries, each checked against `item` (the modems of a pool). */
  | { t: 'items'; item: Rule };

const SCHEMA: Record<string, Rule> = {
  device: { t: 'string', optional: true },
  baudRate: { t: 'int', min: 300, max: 4_000_000 },
  profile: { t: 'string' },
  pin: { t: 'string', optional: true },
  dataDir: { t: 'string' },
  country: { t: 'string' },
  language: { t: 'string', oneOf: ['en', 'es', 'ru'] },
  templates: { t: 'object', keys: Object.fromEntries(Object.keys(TEMPLATE_PLACEHOLDERS).map((k) => [k, { t: 'string' } as Rule])) },
  secretKey: { t: 'string', optional: true },
  logLevel: { t: 'string', oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
  http: {
    t: 'object',
    keys: {
      enabled: { t: 'bool' },
      host: { t: 'string' },
      port: { t: 'int', min: 0, max: 65535 },
      token: { t: 'string', optional: true },
      maxBodyBytes: { t: 'int', min: 256, max: 10_000_000 },
    },
  },
  queue: {
    t: 'object',
    keys: {
      massPerMinute: { t: 'int', min: 1, max: 10_000 },
      maxAttempts: { t: 'int', min: 1, max: 100 },
      onUnknown: { t: 'string', oneOf: ['resend-once', 'hold'] },
      dailyCap: { t: 'int', min: 1, max: 1_000_000 },
      retryBaseSeconds: { t: 'int', min: 1, max: 3600 },
      unknownResendSeconds: { t: 'int', min: 1, max: 86_400 },
      deliveryReports: { t: 'bool' },
      deliveryReportHours: { t: 'int', min: 1, max: 24 * 30 },
    },
  },
  inbound: {
    t: 'object',
    keys: {
      sweepSeconds: { t: 'int', min: 1, max: 86_400 },
      multipartTimeoutHours: { t: 'int', min: 1, max: 24 * 30 },
      perSenderPerHour: { t: 'int', min: 1, max: 100_000 },
    },
  },
  smpp: {
    t: 'object',
    keys: {
      enabled: { t: 'bool' },
      host: { t: 'string' },
      port: { t: 'int', min: 0, max: 65535 },
      maxSessionsPerAccount: { t: 'int', min: 1, max: 100 },
      windowSize: { t: 'int', min: 1, max: 1000 },
      enquireLinkSeconds: { t: 'int', min: 1, max: 3600 },
      responseTimeoutSeconds: { t: 'int', min: 1, max: 600 },
      submitPerMinute: { t: 'int', min: 1, max: 100_000 },
      longMessages: { t: 'string', oneOf: ['udh', 'payload'] },
    },
  },
  selfService: {
    t: 'object',
    keys: {
      enabled: { t: 'bool' },
      activationKeyword: { t: 'string' },
      codeLength: { t: 'int', min: 4, max: 12 },
      maxFailures: { t: 'int', min: 1, max: 100 },
      lockHours: { t: 'number', min: 0.0001, max: 24 * 365 },
      codesPerDay: { t: 'int', min: 1, max: 1000 },
      captcha: { t: 'string', oneOf: ['pow', 'off'] },
      captchaDifficulty: { t: 'int', min: 100, max: 100_000_000 },
      loginsPerIpPerHour: { t: 'int', min: 1, max: 1_000_000 },
    },
  },
  modem: {
    t: 'object',
    keys: {
      idleProbeSeconds: { t: 'int', min: 5, max: 86_400 },
      sendTimeoutSeconds: { t: 'int', min: 1, max: 600 },
      number: { t: 'string', optional: true },
    },
  },
  routing: { t: 'object', keys: { lastSenderDays: { t: 'int', min: 1, max: 365 } } },
  forward: { t: 'object', keys: { timeoutSeconds: { t: 'int', min: 1, max: 120 }, concurrency: { t: 'int', min: 1, max: 64 } } },
  smtp: {
    t: 'object',
    keys: {
      host: { t: 'string' },
      port: { t: 'int', min: 1, max: 65535 },
      secure: { t: 'bool' },
      user: { t: 'string', optional: true },
      pass: { t: 'string', optional: true },
      from: { t: 'string' },
    },
  },
  web: {
    t: 'object',
    keys: {
      enabled: { t: 'bool' },
      host: { t: 'string' },
      port: { t: 'int', min: 0, max: 65535 },
      trustProxy: { t: 'bool' },
    },
  },
  chat: {
    t: 'object',
    keys: {
      maxLength: { t: 'int', min: 1, max: 1000 },
      sessionMinutes: { t: 'number', min: 0.05, max: 1440 },
      template: { t: 'string' },
      captcha: { t: 'string', oneOf: ['pow', 'off'] },
      captchaDifficulty: { t: 'int', min: 100, max: 100_000_000 },
      allowedPrefixes: { t: 'list', pattern: /^\+\d{1,15}$/, example: '["+7900", "+34"]' },
      limits: {
        t: 'object',
        keys: {
          perIpPerHour: { t: 'int', min: 1, max: 1_000_000 },
          sessionsPerIpPerHour: { t: 'int', min: 1, max: 1_000_000 },
          perDestinationPerDay: { t: 'int', min: 1, max: 1_000_000 },
          perPrefixPerHour: { t: 'int', min: 1, max: 1_000_000 },
          prefixDigits: { t: 'int', min: 1, max: 15 },
          conversationsPerSession: { t: 'int', min: 1, max: 100 },
        },
      },
    },
  },
  modems: {
    t: 'items',
    item: {
      t: 'object',
      keys: {
        id: { t: 'string' },
        device: { t: 'string' },
        profile: { t: 'string' },
        pin: { t: 'string', optional: true },
        number: { t: 'string', optional: true },
        massPerMinute: { t: 'int', min: 1, max: 10_000 },
        dailyCap: { t: 'int', min: 1, max: 10_000_000 },
        baudRate: { t: 'int', min: 300, max: 4_000_000 },
      },
    },
  },
  pool: {
    t: 'object',
    keys: {
      pinnedWaitMinutes: { t: 'number', min: 0, max: 7 * 24 * 60 },
      pinnedFallback: { t: 'string', oneOf: ['wait', 'any'] },
    },
  },
};

function describe(rule: Rule): string {
  switch (rule.t) {
    case 'string':
      return rule.oneOf ? `one of ${rule.oneOf.map((s) => `"${s}"`).join(', ')}` : 'a string';
    case 'int':
      return `a whole number from ${rule.min} to ${rule.max}`;
    case 'number':
      return `a number from ${rule.min} to ${rule.max}`;
    case 'list':
      return `a list of strings like ${rule.example}`;
    case 'bool':
      return 'true or false';
    case 'object':
      return `an object with keys ${Object.keys(rule.keys).join(', ')}`;
    case 'items':
      return `a list of ${describe(rule.item)}`;
  }
}

function check(path: string, value: unknown, rule: Rule, source: string): void {
  const bad = () => new ConfigError(`${source}: "${path}" must be ${describe(rule)}, got ${JSON.stringify(value)}`);
  switch (rule.t) {
    case 'string':
      if (typeof value !== 'string' || (rule.oneOf && !rule.oneOf.includes(value))) throw bad();
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) throw bad();
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max) throw bad();
      return;
    case 'list':
      if (!Array.isArray(value)) throw bad();
      value.forEach((v, i) => {
        if (typeof v !== 'string' || !rule.pattern.test(v)) {
          throw new ConfigError(`${source}: "${path}[${i}]" must be like ${rule.example}, got ${JSON.stringify(v)}`);
        }
      });
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw bad();
      return;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
      checkKeys(path + '.', value as Record<string, unknown>, rule.keys, source);
      return;
    case 'items':
      if (!Array.isArray(value)) throw bad();
      value.forEach((v, i) => check(`${path}[${i}]`, v, rule.item, source));
  }
}

function checkKeys(prefix: string, obj: Record<string, unknown>, keys: Record<string, Rule>, source: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const rule = keys[k];
    if (!rule) {
      throw new ConfigError(
        `${source}: unknown key "${prefix}${k}" (known keys${prefix ? ` under "${prefix.slice(0, -1)}"` : ''}: ${Object.keys(keys).join(', ')})`,
      );
    }
    if (v === undefined || (v === null && rule.t === 'string' && rule.optional)) continue;
    check(prefix + k, v, rule, source);
  }
}

/** Validate a parsed config object (file contents). Throws ConfigError naming the key. */
export function validateConfig(obj: unknown, source = 'config'): Partial<Config> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ConfigError(`${source}: must be a JSON object`);
  }
  checkKeys('', obj as Record<string, unknown>, SCHEMA, source);
  return obj as Partial<Config>;
}

function merge(base: Config, over: Partial<Config>): Config {
  return {
    ...base,
    ...over,
    templates: { ...base.templates, ...over.templates },
    http: { ...base.http, ...over.http },
    queue: { ...base.queue, ...over.queue },
    inbound: { ...base.inbound, ...over.inbound },
    modem: { ...base.modem, ...over.modem },
    pool: { ...base.pool, ...over.pool },
    routing: { ...base.routing, ...over.routing },
    forward: { ...base.forward, ...over.forward },
    ...(base.smtp || over.smtp ? { smtp: { ...base.smtp, ...over.smtp } as SmtpSettings } : {}),
    web: { ...base.web, ...over.web },
    chat: { ...base.chat, ...over.chat, limits: { ...base.chat.limits, ...over.chat?.limits } },
    smpp: { ...base.smpp, ...over.smpp },
    selfService: { ...base.selfService, ...over.selfService },
  };
}

/** A `smtp` section must name the server and the sender; port and TLS mode have the usual defaults. */
function completeSmtp(cfg: Config, source: string): void {
  if (!cfg.smtp) return;
  const s = cfg.smtp as Partial<SmtpSettings>;
  for (const k of ['host', 'from'] as const) {
    if (!s[k]) throw new ConfigError(`${source}: "smtp.${k}" is required when "smtp" is set (e.g. {"host": "mail.example.com", "port": 587, "secure": false, "user": "…", "pass": "…", "from": "sms@example.com"})`);
  }
  s.secure ??= s.port === 465;
  s.port ??= s.secure ? 465 : 587;
  if (s.user !== undefined && s.pass === undefined) throw new ConfigError(`${source}: "smtp.pass" is required when "smtp.user" is set`);
}

export function readConfigFile(file: string): Partial<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  let obj: unknown;
  try {
    // Windows editors (Notepad) save UTF-8 with a byte-order mark; it is not JSON but means no harm.
    obj = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(obj, file);
}

/**
 * The host-wide config file: `SMS_SERVER_CONFIG`, else `/etc/sms-server/config.json`. Read when
 * present, below the data folder's own config; its `dataDir` lets an operator's CLI find the
 * service's folder from any working directory.
 */
export function systemConfigPath(): string {
  return process.env.SMS_SERVER_CONFIG || '/etc/sms-server/config.json';
}

function readSystemConfig(): { file: string; config: Partial<Config> } | undefined {
  const file = systemConfigPath();
  return existsSync(file) ? { file, config: readConfigFile(file) } : undefined;
}

export interface DataDirChoice {
  /** Absolute path. */
  dir: string;
  /** Where it came from, for messages: `--data`, `SMS_SERVER_DATA`, `dataDir in FILE`, `the default ./data`. */
  source: string;
}

/**
 * The data folder: `--data`, else `dataDir` of `--config FILE`, else `SMS_SERVER_DATA`, else
 * `dataDir` of the system config, else `./data` (relative to the working directory).
 */
export function locateDataDir(opts: { dataDir?: string; configFile?: string } = {}): DataDirChoice {
  if (opts.dataDir) return { dir: resolve(opts.dataDir), source: '--data' };
  const explicit = opts.configFile ? readConfigFile(opts.configFile).dataDir : undefined;
  if (explicit) return { dir: resolve(explicit), source: `dataDir in ${opts.configFile}` };
  if (process.env.SMS_SERVER_DATA) return { dir: resolve(process.env.SMS_SERVER_DATA), source: 'SMS_SERVER_DATA' };
  const system = readSystemConfig();
  if (system?.config.dataDir) return { dir: resolve(system.config.dataDir), source: `dataDir in ${system.file}` };
  return { dir: resolve(DEFAULTS.dataDir), source: 'the default ./data' };
}

/**
 * Effective configuration: defaults ← system config (when present) ← config file (`--config FILE`,
 * else `<data>/config.json` when present) ← flags. Flags are already-typed partials from the CLI.
 */
export function loadConfig(opts: { dataDir?: string; configFile?: string; overrides?: Partial<Config> } = {}): Config {
  const { dir: dataDir } = locateDataDir(opts);
  const file = opts.configFile ?? join(dataDir, 'config.json');
  const fromFile = opts.configFile || existsSync(file) ? readConfigFile(file) : {};
  const overrides = validateConfig(stripUndefined(opts.overrides ?? {}), 'command line');
  const cfg = merge(merge(merge(DEFAULTS, readSystemConfig()?.config ?? {}), fromFile), overrides);
  cfg.dataDir = dataDir;
  completeSmtp(cfg, opts.configFile ?? 'config');
  if (cfg.http.enabled && !cfg.http.token && !process.env.SMS_SERVER_HTTP_TOKEN) {
    throw new ConfigError(`"http.enabled" is true but no "http.token" (or SMS_SERVER_HTTP_TOKEN) is set: the API refuses to run without a bearer token`);
  }
  if (cfg.selfService.enabled && !/\S/.test(cfg.selfService.activationKeyword)) {
    throw new ConfigError(`"selfService.activationKeyword" must not be empty: an empty SMS orders a code`);
  }
  // A pool that cannot work (duplicate ids, devices or numbers) stops here, naming the entry.
  modemSpecs(cfg);
  if (!cfg.http.token && process.env.SMS_SERVER_HTTP_TOKEN) cfg.http.token = process.env.SMS_SERVER_HTTP_TOKEN;
  if (cfg.http.enabled && cfg.http.token!.length < MIN_HTTP_TOKEN_LENGTH) {
    throw new ConfigError(
      `"http.token" (or SMS_SERVER_HTTP_TOKEN) must be at least ${MIN_HTTP_TOKEN_LENGTH} characters, got ${cfg.http.token!.length}: generate one with \`openssl rand -hex 24\``,
    );
  }
  return cfg;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
