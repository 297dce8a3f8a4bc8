/**
 * AtEngine options from a modem profile. Typed structurally so src/at does not import
 * src/modem (imports point down the layers only); a ModemProfile fits.
 */
import type { AtEngineOptions } from './engine.js';

export interface AtProfileView {
  finals: { ok: string[]; error: string[] };
  urc: { prefixes: string[]; noise: string[]; ready?: string[] };
  timeouts?: { default?: number };
}

export function engineOptionsFromProfile(p: AtProfileView): Pick<AtEngineOptions, 'finals' | 'urcPrefixes' | 'noisePrefixes' | 'defaultTimeoutMs'> {
  return {
    finals: { ok: [...p.finals.ok], error: [...p.finals.error] },
    // 'SMS Ready' / '+QIND: SMS DONE' come unsolicited: route them as URCs so the driver hears them.
    urcPrefixes: [...p.urc.prefixes, ...(p.urc.ready ?? [])],
    noisePrefixes: [...p.urc.noise],
    ...(p.timeouts?.default !== undefined ? { defaultTimeoutMs: p.timeouts.default } : {}),
  };
}
