/**
 * Every check of a configuration that needs no file, port or device, run before anything is
 * opened: a server that cannot run must say why and exit, never hold the lock half-started
 * (issue 9: a short HTTP token or an unknown template key left a process that systemd saw as up).
 */
import { resolveTemplates } from '../commands/index.js';
import { ConfigError, modemSpecs, type Config } from '../config/config.js';
import { loadProfile } from '../modem/profile.js';
import { parseKey } from '../util/secret.js';

/** Throws ConfigError (exit code 2) naming the first problem. `simulate`: the simulator provides the device. */
export function preflight(cfg: Config, o: { simulate?: boolean } = {}): void {
  // Also checks a `modems` list (unique ids, devices, numbers): ConfigError naming the entry.
  const modems = modemSpecs(cfg);
  if (modems.length === 0 && !o.simulate) {
    throw new ConfigError('no modem device: pass --device PATH (e.g. /dev/serial/by-id/usb-…), list "modems" in the config, or --simulate');
  }
  // A pool modem's profile error names its entry; the one-modem form's message stays as it was.
  const pooled = (cfg.modems ?? []).length > 0;
  const checks: (() => unknown)[] = [
    () => cfg.profile === 'auto' || loadProfile(cfg.profile),
    ...modems.map((m, i) => () => {
      try {
        return m.profile === 'auto' || loadProfile(m.profile);
      } catch (e) {
        throw pooled ? new Error(`"modems[${i}].profile": ${(e as Error).message}`, { cause: e }) : e;
      }
    }),
    () => resolveTemplates(cfg.language, cfg.templates),
    () => cfg.secretKey && parseKey(cfg.secretKey, 'the config key "secretKey"'),
    () => !cfg.secretKey && process.env.SMS_SERVER_KEY && parseKey(process.env.SMS_SERVER_KEY, 'SMS_SERVER_KEY'),
    () => checkSmpp(cfg),
  ];
  for (const check of checks) {
    try {
      check();
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
}

/** The SMPP listener's address: not empty, and not a port another listener of ours takes. */
function checkSmpp(cfg: Config): void {
  const s = cfg.smpp;
  if (!s.enabled) return;
  if (s.host.trim() === '') throw new Error('"smpp.host" is empty: give the address to listen on, e.g. "127.0.0.1" or "0.0.0.0"');
  if (s.port === 0) return; // any free port (tests)
  const others: [string, boolean, number][] = [
    ['http.port', cfg.http.enabled, cfg.http.port],
    ['web.port', cfg.web.enabled, cfg.web.port],
  ];
  for (const [key, on, port] of others) if (on && port === s.port) throw new Error(`"smpp.port" ${s.port} is also "${key}": give the SMPP listener its own port (2775 is SMPP's usual one)`);
}
