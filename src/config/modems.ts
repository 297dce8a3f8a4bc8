/**
 * The modems one server drives: `modems: [{id, device, …}]` in the config, or the old top-level
 * `device` as one modem with id `default`. Checked at load (ids, devices and numbers unique), so
 * a pool that cannot work never starts.
 */
import { DEFAULT_MODEM_ID } from '../store/types.js';
import { normalizePhone, type PhoneOptions } from '../util/phone.js';
import { ConfigError } from './errors.js';

/** One entry of `modems` as written in the config file. */
export interface ModemConfig {
  /** Names the modem in jobs, inbox entries, logs and `status` (`m1`, `office`…). */
  id: string;
  /** Serial device; a /dev/serial/by-id/… link is best. */
  device: string;
  /** Profile name or `auto`; default: the top-level `profile`. */
  profile?: string;
  /** SIM PIN, sent only when the modem asks for it. Not inherited from the top-level `pin`: a wrong PIN costs one of the SIM's three tries. */
  pin?: string;
  /** The SIM's own number (E.164): recorded as `to` on what it receives; an account's dedicated number names its modem. */
  number?: string;
  /** Mass-text SMS parts per minute through this modem; default `queue.massPerMinute`. */
  massPerMinute?: number;
  /** SMS parts this SIM may send per local day (an operator's plan limit); default: no limit. Replies are never held by it. */
  dailyCap?: number;
  /** Default: the top-level `baudRate`. */
  baudRate?: number;
}

/** A modem with every default applied: what the pool is built from. */
export interface ModemSpec {
  id: string;
  device: string;
  profile: string;
  pin?: string;
  number?: string;
  massPerMinute: number;
  dailyCap?: number;
  baudRate: number;
}

/** The top-level settings a modem entry falls back to. */
export interface ModemDefaults {
  device?: string;
  baudRate: number;
  profile: string;
  pin?: string;
  country: string;
  queue: { massPerMinute: number };
  /** `modem.number`: the one modem's SIM number (with `device`). */
  modem: { number?: string };
  modems?: ModemConfig[];
}

/** Letters, digits, `-` and `_`: the id ends up in lease owners, log lines and simulator file names. */
export const MODEM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/**
 * The modem list of a loaded config, defaults applied. Throws ConfigError for an empty list, a
 * duplicate id, device or number, an unusable id or number, or `device` and `modems` both set.
 * An empty result means no modem was configured (the caller says how to give one).
 */
export function modemSpecs(cfg: ModemDefaults): ModemSpec[] {
  const phoneRule: PhoneOptions = { country: cfg.country };
  const e164 = (n: string, key: string) => {
    try {
      return normalizePhone(n, phoneRule);
    } catch (e) {
      throw new ConfigError(`"${key}": ${(e as Error).message}`);
    }
  };
  if (cfg.modems === undefined) {
    if (!cfg.device) return [];
    const number = cfg.modem.number !== undefined ? e164(cfg.modem.number, 'modem.number') : undefined;
    return [
      {
        id: DEFAULT_MODEM_ID,
        device: cfg.device,
        profile: cfg.profile,
        ...(cfg.pin !== undefined ? { pin: cfg.pin } : {}),
        ...(number ? { number } : {}),
        massPerMinute: cfg.queue.massPerMinute,
        baudRate: cfg.baudRate,
      },
    ];
  }
  if (cfg.device) {
    throw new ConfigError(`"device" and "modems" are both set: give one modem as "device", or every modem (each with its own "device") in "modems"`);
  }
  if (cfg.modem.number !== undefined) throw new ConfigError(`"modem.number" is for the one modem of "device"; with "modems", give each its "number"`);
  if (cfg.modems.length === 0) throw new ConfigError(`"modems" is empty: list at least one modem, e.g. [{"id": "m1", "device": "/dev/serial/by-id/…"}]`);
  const seen = { id: new Map<string, number>(), device: new Map<string, number>(), number: new Map<string, number>() };
  const unique = (kind: keyof typeof seen, value: string, i: number) => {
    const first = seen[kind].get(value);
    if (first !== undefined) throw new ConfigError(`"modems[${i}].${kind}" ${JSON.stringify(value)} is already used by modems[${first}]`);
    seen[kind].set(value, i);
  };
  return cfg.modems.map((m, i) => {
    for (const k of ['id', 'device'] as const) {
      if (typeof m[k] !== 'string' || m[k] === '') throw new ConfigError(`"modems[${i}].${k}" is required (a non-empty string)`);
    }
    if (!MODEM_ID_PATTERN.test(m.id)) throw new ConfigError(`"modems[${i}].id" must be 1–32 letters, digits, "-" or "_" (starting with a letter or digit), got ${JSON.stringify(m.id)}`);
    unique('id', m.id, i);
    unique('device', m.device, i);
    const number = m.number !== undefined ? e164(m.number, `modems[${i}].number`) : undefined;
    if (number) unique('number', number, i);
    return {
      id: m.id,
      device: m.device,
      profile: m.profile ?? cfg.profile,
      ...(m.pin !== undefined ? { pin: m.pin } : {}),
      ...(number ? { number } : {}),
      massPerMinute: m.massPerMinute ?? cfg.queue.massPerMinute,
      ...(m.dailyCap !== undefined ? { dailyCap: m.dailyCap } : {}),
      baudRate: m.baudRate ?? cfg.baudRate,
    };
  });
}
