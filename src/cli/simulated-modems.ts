/**
 * `serve --simulate`: simulated modems on pseudo-terminals in place of real ones. One modem
 * (`default`, the old paths) by default; `--modems N` makes a pool of N (`m1`…`mN`, each with its
 * own number); with `modems` in the config, one simulator per entry (its id, profile and number
 * kept, its device replaced). The simulator is imported lazily: production paths never load it.
 */
import { mkdirSync } from 'node:fs';
import type { Config, ModemConfig } from '../config/config.js';
import type { Logger } from '../util/log.js';
import { simulatorPaths, UsageError } from './common.js';

/** The number of simulated modem `i` (1-based) of `--modems N`: +79900000001, +79900000002, … */
export function simulatedNumber(i: number): string {
  return `+799000${String(i).padStart(5, '0')}`;
}

/** Starts the simulators and points `cfg` at them; answers how to stop them. */
export async function startSimulatedModems(cfg: Config, count: number | undefined, logger: Logger): Promise<{ close(): Promise<void> }> {
  if (cfg.device) throw new UsageError('--simulate and --device are exclusive: the simulator provides the device');
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const { startSimulatorOnPty } = await import('../sim/index.js');
  const simProfile = (p: string | undefined) => (p === undefined || p === 'auto' ? (cfg.profile === 'auto' ? 'generic' : cfg.profile) : p);
  const entries: (ModemConfig | undefined)[] =
    count !== undefined
      ? Array.from({ length: count }, (_, i) => ({ id: `m${i + 1}`, device: '', number: simulatedNumber(i + 1) }))
      : cfg.modems
        ? cfg.modems
        : [undefined];
  const running: { close(): Promise<void> }[] = [];
  try {
    const modems: ModemConfig[] = [];
    for (const m of entries) {
      const paths = simulatorPaths(cfg.dataDir, m?.id);
      const profile = simProfile(m?.profile);
      // The SIM knows its number too (AT+CNUM), as the config does.
      const sim = await startSimulatorOnPty({ link: paths.link, control: paths.control, profile, ...(m?.number ? { ownNumber: m.number } : {}) });
      running.push(sim);
      if (m) modems.push({ ...m, device: paths.link });
      else cfg.device = paths.link;
      const modemFlag = m ? ` --modem ${m.id}` : '';
      logger.info(
        { modem: m?.id ?? 'default', number: m?.number, device: paths.link, pty: sim.path, control: paths.control, profile },
        `simulated ${profile} modem on a pseudo-terminal; inject an SMS with: sms-server simulate sms --data ${cfg.dataDir}${modemFlag} --from +79001234567 --text "CLIENT info"`,
      );
    }
    if (modems.length > 0) cfg.modems = modems;
  } catch (e) {
    for (const r of running) await r.close();
    throw e;
  }
  return {
    close: async () => {
      for (const r of running) await r.close();
    },
  };
}
