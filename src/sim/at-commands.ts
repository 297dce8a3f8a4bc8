/**
 * What the simulated modem answers to each AT command of the subset real SMS software uses
 * (gammu 1.42, smstools3, our driver). Pure decisions over the modem's settings and storage;
 * byte framing, echo, timing and noise live in modem.ts.
 */
import type { ModemProfile } from '../modem/profile.js';
import { splitArgs, type ParsedAtCommand } from './command-line.js';
import { parseMemory, type MemoryName, type SimStorage, type SmsStatus } from './storage.js';

/** Settings a host changes with AT commands; ATZ and AT+CFUN=1,1 restore the defaults. */
export interface SimSettings {
  echo: boolean;
  cmee: 0 | 1 | 2;
  cfun: number;
  pinLocked: boolean;
  cmgf: 0 | 1;
  cscs: string;
  /** AT+CPMS memories: [read/list/delete, write/send, receive]. */
  cpms: [MemoryName, MemoryName, MemoryName];
  cnmi: number[];
  csca: string;
  clip: boolean;
  creg: number;
  cgreg: number;
  cmms: number;
  /** Huawei AT^CURC: 0 silences the periodic ^RSSI/^MODE/^BOOT noise. */
  curc: number;
  /** Huawei AT^PORTSEL. */
  portsel: number;
}

/** Result of one command of a command line. */
export type Outcome =
  | { kind: 'ok'; lines?: string[] }
  /** A final result other than OK (`ERROR`, `+CME ERROR: 10`, `COMMAND NOT SUPPORT`). */
  | { kind: 'error'; final: string }
  /** Info lines and no final result at all (Wavecom `+CPIN: READY`). */
  | { kind: 'info-only'; lines: string[] }
  /** AT+CMGS=<n>: print `> ` and collect a PDU of `tpduLength` octets. */
  | { kind: 'prompt'; tpduLength: number };

/** The parts of the modem a command may act on. */
export interface CommandHost {
  readonly profile: ModemProfile;
  readonly settings: SimSettings;
  readonly storage: SimStorage;
  readonly identity: { imei: string; imsi: string; operator: string; ownNumber?: string };
  /** ATH / AT+CHUP: end a ringing call. */
  hangup(): void;
  /** ATZ (soft: settings only) or AT+CFUN=1,1 (full: reboot with boot URCs). */
  reset(full: boolean): void;
  /** Storage freed: the network may now deliver held-back messages. */
  spaceFreed(): void;
  /** AT+CPIN="…": true (and SIM unlocked) when the PIN matches. */
  unlock(pin: string): boolean;
  /** One-shot fault: answer the next AT+CMGD with an error. */
  takeDeleteFault(): boolean;
}

const CME_TEXT: Record<number, string> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  16: 'incorrect password',
  21: 'invalid index',
  30: 'no network service',
  100: 'unknown',
};

/** `+CME ERROR` shaped by AT+CMEE: 0 → plain ERROR, 1 → numeric, 2 → verbose. */
export function cmeError(settings: SimSettings, code: number): Outcome {
  if (settings.cmee === 0) return { kind: 'error', final: 'ERROR' };
  if (settings.cmee === 2) return { kind: 'error', final: `+CME ERROR: ${CME_TEXT[code] ?? code}` };
  return { kind: 'error', final: `+CME ERROR: ${code}` };
}

/** 27.005 errors are final results of their own; real modems print them whatever AT+CMEE says. */
export function cmsError(code: number): Outcome {
  return { kind: 'error', final: `+CMS ERROR: ${code}` };
}

/** Octets of the TPDU (without the SMSC field) — what AT+CMGS/+CMGL count. */
export function tpduLength(hexWithSmsc: string): number {
  const smscLen = parseInt(hexWithSmsc.slice(0, 2), 16) || 0;
  return hexWithSmsc.length / 2 - 1 - smscLen;
}

const ok = (...lines: string[]): Outcome => ({ kind: 'ok', lines });

/** SMS commands that need an unlocked SIM and a PDU-capable state. */
const SIM_COMMANDS = new Set(['+CMGL', '+CMGR', '+CMGD', '+CMGS', '+CPMS', '+CSCA', '+CNMI', '+CMGW', '+CNUM']);

export function executeCommand(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  const s = host.settings;
  const sim = host.profile.sim;
  const unsupported = (): Outcome => ({ kind: 'error', final: sim.unsupported ?? 'ERROR' });
  if (s.pinLocked && SIM_COMMANDS.has(cmd.name) && cmd.kind !== 'test') return cmsError(311);
  if (s.pinLocked && cmd.name === '+CIMI') return cmeError(s, 11);

  switch (cmd.name) {
    // --- basic commands -------------------------------------------------------------
    case 'E':
      s.echo = cmd.args === '1';
      return ok();
    case 'Z':
      host.reset(false);
      return ok();
    case 'I':
      return ok(`Manufacturer: ${sim.manufacturer}`, `Model: ${sim.model}`, `Revision: ${sim.revision}`, `IMEI: ${host.identity.imei}`, '+GCAP: +CGSM');
    case 'H':
      host.hangup();
      return ok();
    case 'V':
    case 'Q':
    case 'X':
    case '&F':
    case '&C':
    case '&D':
    case '&K':
    case '&W':
      return ok();
    case 'D':
      return { kind: 'error', final: 'NO CARRIER' };
    case 'A':
      return { kind: 'error', final: 'NO CARRIER' };

    // --- identity ---------------------------------------------------------------------
    case '+CGMI':
    case '+GMI':
      return cmd.kind === 'test' ? ok() : ok(sim.manufacturer);
    case '+CGMM':
    case '+GMM':
      return cmd.kind === 'test' ? ok() : ok(sim.model);
    case '+CGMR':
    case '+GMR':
      return cmd.kind === 'test' ? ok() : ok(sim.revision);
    case '+CGSN':
    case '+GSN':
      return cmd.kind === 'test' ? ok() : ok(host.identity.imei);
    case '+CIMI':
      return cmd.kind === 'test' ? ok() : ok(host.identity.imsi);
    case '+GCAP':
      return ok('+GCAP: +CGSM');
    case '+CNUM': {
      // Most SIMs do not store their MSISDN: then the list is empty (OK alone).
      if (cmd.kind === 'test') return ok();
      const n = host.identity.ownNumber;
      return n ? ok(`+CNUM: "","${n}",${n.startsWith('+') ? 145 : 129}`) : ok();
    }

    // --- settings -----------------------------------------------------------------------
    case '+CMEE':
      return numberSetting(cmd, '+CMEE', [0, 2], () => s.cmee, (v) => (s.cmee = v as 0 | 1 | 2), s);
    case '+CFUN':
      return cfun(cmd, host);
    case '+CPIN':
      return cpin(cmd, host);
    case '+CMGF':
      return numberSetting(cmd, '+CMGF', [0, 1], () => s.cmgf, (v) => (s.cmgf = v as 0 | 1), s);
    case '+CSCS': {
      const sets = ['GSM', 'IRA', 'UCS2', '8859-1', 'PCCP437'];
      if (cmd.kind === 'test') return ok(`+CSCS: (${sets.map((x) => `"${x}"`).join(',')})`);
      if (cmd.kind === 'read') return ok(`+CSCS: "${s.cscs}"`);
      const want = splitArgs(cmd.args)[0]!.toUpperCase();
      if (!sets.includes(want)) return cmeError(s, 4);
      s.cscs = want;
      return ok();
    }
    case '+CPMS':
      return cpms(cmd, host);
    case '+CNMI': {
      if (cmd.kind === 'test') return ok('+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)');
      if (cmd.kind === 'read') return ok(`+CNMI: ${s.cnmi.join(',')}`);
      if (cmd.kind !== 'set') return cmsError(302);
      const vals = splitArgs(cmd.args).map((x) => (x === '' ? NaN : Number(x)));
      if (vals.some((v, i) => !Number.isInteger(v) && !(i > 0 && Number.isNaN(v)))) return cmsError(302);
      vals.forEach((v, i) => {
        if (Number.isInteger(v)) s.cnmi[i] = v;
      });
      return ok();
    }
    case '+CSCA': {
      if (cmd.kind === 'test') return ok();
      if (cmd.kind === 'read') return ok(`+CSCA: "${s.csca}",${s.csca.startsWith('+') ? 145 : 129}`);
      const num = splitArgs(cmd.args)[0] ?? '';
      if (!/^\+?\d{3,20}$/.test(num)) return cmsError(304);
      s.csca = num;
      return ok();
    }
    case '+CSMS':
      if (cmd.kind === 'test') return ok('+CSMS: (0,1)');
      if (cmd.kind === 'read') return ok('+CSMS: 0,1,1,1');
      return ok('+CSMS: 1,1,1');
    case '+CSMP':
      if (cmd.kind === 'read') return ok('+CSMP: 17,167,0,0');
      return ok();
    case '+CSDH':
    case '+CSAS':
    case '+CRES':
    case '+IFC':
    case '+IPR':
    case '+ICF':
      if (cmd.kind === 'read') return ok(`${cmd.name}: 0`);
      return ok();
    case '+CLIP':
      if (cmd.kind === 'test') return ok('+CLIP: (0,1)');
      if (cmd.kind === 'read') return ok(`+CLIP: ${s.clip ? 1 : 0},1`);
      s.clip = splitArgs(cmd.args)[0] === '1';
      return ok();
    case '+CREG':
    case '+CGREG': {
      const key = cmd.name === '+CREG' ? 'creg' : 'cgreg';
      if (cmd.kind === 'test') return ok(`${cmd.name}: (0-2)`);
      if (cmd.kind === 'read') {
        const stat = s.cfun === 1 ? 1 : 0;
        const n = s[key];
        return ok(n === 2 ? `${cmd.name}: 2,${stat},"1A2B","00C3D4E5"` : `${cmd.name}: ${n},${stat}`);
      }
      const v = Number(splitArgs(cmd.args)[0]);
      if (![0, 1, 2].includes(v)) return cmeError(s, 4);
      s[key] = v;
      return ok();
    }
    case '+CSQ':
      if (cmd.kind === 'test') return ok('+CSQ: (0-31,99),(0-7,99)');
      return ok(s.cfun === 1 ? '+CSQ: 20,99' : '+CSQ: 99,99');
    case '+COPS':
      if (cmd.kind === 'test') return ok(`+COPS: (2,"${host.identity.operator}","${host.identity.operator}","25001",2),,(0-4),(0-2)`);
      if (cmd.kind === 'read') return ok(s.cfun === 1 ? `+COPS: 0,0,"${host.identity.operator}",2` : '+COPS: 0');
      return ok();
    case '+CMMS':
      return numberSetting(cmd, '+CMMS', [0, 2], () => s.cmms, (v) => (s.cmms = v), s);
    case '+CHUP':
      host.hangup();
      return ok();
    case '+CNMA':
      return ok();
    case '+CUSD':
      // gammu-smsd toggles USSD result codes at start; no USSD traffic is simulated.
      if (cmd.kind === 'read') return ok('+CUSD: 0');
      if (cmd.kind === 'test') return ok('+CUSD: (0-2)');
      return ok();
    case '^CURC':
      // Only Huawei firmware knows this command; others answer like any unknown command.
      if (!/huawei/i.test(sim.manufacturer)) return unsupported();
      return numberSetting(cmd, '^CURC', [0, 1], () => s.curc, (v) => (s.curc = v), s);
    case '^PORTSEL':
      // Huawei E1xx: which port carries URCs; gammu sets AT^PORTSEL=1 on Huawei and aborts on an error.
      if (!/huawei/i.test(sim.manufacturer)) return unsupported();
      return numberSetting(cmd, '^PORTSEL', [0, 1], () => s.portsel, (v) => (s.portsel = v), s);

    // --- SMS storage and sending -----------------------------------------------------------
    case '+CMGL':
      return cmgl(cmd, host);
    case '+CMGR':
      return cmgr(cmd, host);
    case '+CMGD':
      return cmgd(cmd, host);
    case '+CMGS': {
      if (cmd.kind === 'test') return ok();
      if (cmd.kind !== 'set') return cmsError(302);
      if (s.cmgf !== 0) return cmsError(302); // text mode is not simulated
      const n = Number(splitArgs(cmd.args)[0]);
      if (!Number.isInteger(n) || n < 7 || n > 164) return cmsError(304);
      if (s.cfun !== 1) return cmsError(331);
      return { kind: 'prompt', tpduLength: n };
    }
    default:
      return unsupported();
  }
}

function numberSetting(
  cmd: ParsedAtCommand,
  name: string,
  [min, max]: [number, number],
  get: () => number,
  set: (v: number) => void,
  s: SimSettings,
): Outcome {
  if (cmd.kind === 'test') return ok(`${name}: (${min}-${max})`);
  if (cmd.kind === 'read') return ok(`${name}: ${get()}`);
  const v = cmd.kind === 'exec' ? 0 : Number(splitArgs(cmd.args)[0]);
  if (!Number.isInteger(v) || v < min || v > max) return cmeError(s, 4);
  set(v);
  return ok();
}

function cfun(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  const s = host.settings;
  if (cmd.kind === 'test') return ok('+CFUN: (0,1,4),(0-1)');
  if (cmd.kind === 'read') return ok(`+CFUN: ${s.cfun}`);
  const [fun, rst] = splitArgs(cmd.args).map(Number);
  if (![0, 1, 4].includes(fun!)) return cmeError(s, 4);
  s.cfun = fun!;
  if (rst === 1) host.reset(true);
  return ok();
}

function cpin(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  const s = host.settings;
  if (cmd.kind === 'test') return ok();
  if (cmd.kind === 'read') {
    const line = s.pinLocked ? '+CPIN: SIM PIN' : '+CPIN: READY';
    // Wavecom Fastrack/Q2403: '+CPIN: READY' is the whole answer, no OK follows.
    if (host.profile.sim.cpinWithoutOk && !s.pinLocked) return { kind: 'info-only', lines: [line] };
    return ok(line);
  }
  if (cmd.kind !== 'set') return cmeError(s, 4);
  if (!s.pinLocked) return cmeError(s, 3);
  return host.unlock(splitArgs(cmd.args)[0] ?? '') ? ok() : cmeError(s, 16);
}

function cpms(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  const s = host.settings;
  const st = host.storage;
  const usage = (m: MemoryName) => `${st.get(m).used},${st.get(m).capacity}`;
  if (cmd.kind === 'test') return ok('+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")');
  if (cmd.kind === 'read') return ok(`+CPMS: ${s.cpms.map((m) => `"${m}",${usage(m)}`).join(',')}`);
  if (cmd.kind !== 'set') return cmsError(302);
  const raw = splitArgs(cmd.args).filter((x) => x !== '');
  const mems = raw.map(parseMemory);
  if (raw.length === 0 || raw.length > 3 || mems.some((m) => !m)) return cmsError(302);
  mems.forEach((m, i) => (s.cpms[i] = m!));
  return ok(`+CPMS: ${s.cpms.map(usage).join(',')}`);
}

const STAT_NAMES: Record<string, number> = { 'REC UNREAD': 0, 'REC READ': 1, 'STO UNSENT': 2, 'STO SENT': 3, ALL: 4 };

function cmgl(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  if (cmd.kind === 'test') return ok('+CMGL: (0-4)');
  const raw = cmd.kind === 'set' ? splitArgs(cmd.args)[0]! : '0';
  const stat = /^\d+$/.test(raw) ? Number(raw) : STAT_NAMES[raw.toUpperCase()];
  if (stat === undefined || stat < 0 || stat > 4) return cmsError(302);
  const mem = host.storage.get(host.settings.cpms[0]);
  const lines: string[] = [];
  for (const slot of mem.list()) {
    if (stat !== 4 && slot.status !== stat) continue;
    lines.push(`+CMGL: ${slot.index},${slot.status},,${tpduLength(slot.pdu)}`, slot.pdu);
    // Listing counts as reading on real modems (27.005: REC UNREAD → REC READ).
    if (slot.status === 0) mem.setStatus(slot.index, 1);
  }
  return { kind: 'ok', lines };
}

function indexArg(cmd: ParsedAtCommand): number {
  const v = splitArgs(cmd.args)[0] ?? '';
  return /^\d+$/.test(v) ? Number(v) : NaN;
}

function cmgr(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  if (cmd.kind === 'test') return ok();
  const mem = host.storage.get(host.settings.cpms[0]);
  const index = indexArg(cmd);
  if (!mem.inRange(index)) return cmsError(321);
  const slot = mem.get(index);
  if (!slot) return ok(); // empty slot: SIM800/Quectel answer a bare OK
  const { status, pdu } = slot;
  if (status === 0) mem.setStatus(index, 1); // reading marks REC UNREAD as REC READ
  return ok(`+CMGR: ${status},,${tpduLength(pdu)}`, pdu);
}

function cmgd(cmd: ParsedAtCommand, host: CommandHost): Outcome {
  const mem = host.storage.get(host.settings.cpms[0]);
  // 27.005: the test form lists the indices that hold messages (smstools3 check_memory_method=2 relies on it).
  if (cmd.kind === 'test') return ok(`+CMGD: (${mem.list().map((x) => x.index).join(',')}),(0-4)`);
  const [, flagRaw] = splitArgs(cmd.args);
  const flag = flagRaw ? Number(flagRaw) : 0;
  const index = indexArg(cmd);
  if (!(flag >= 0 && flag <= 4)) return cmsError(302);
  if (flag === 0 && !mem.inRange(index)) return cmsError(321);
  if (host.takeDeleteFault()) return cmsError(500);
  if (flag === 0) {
    mem.delete(index);
  } else {
    // 1: read, 2: read+sent, 3: read+sent+unsent, 4: everything.
    const doomed: SmsStatus[] = flag === 1 ? [1] : flag === 2 ? [1, 3] : flag === 3 ? [1, 2, 3] : [0, 1, 2, 3];
    for (const slot of mem.list()) if (doomed.includes(slot.status)) mem.delete(slot.index);
  }
  host.spaceFreed();
  return ok();
}
