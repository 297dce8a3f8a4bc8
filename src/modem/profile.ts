/**
 * Modem profiles: per-family quirks as data (modem-profiles/*.json), the way gammu keeps
 * per-model flags. The AT engine reads `finals`/`urc`; the driver reads `init`, `hangup`,
 * `storage`, `timeouts`, `flags`; the simulator reads `sim` to imitate the device.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ModemProfile {
  /** Short name usable as `--profile` (file name without .json). */
  name: string;
  /** Which devices this describes, and example reply lines seen from them. */
  note: string;
  /** Case-insensitive substrings of `AT+CGMI`/`AT+CGMM` answers that select this profile. */
  detect: string[];
  /** Extra AT commands sent after the generic init sequence (e.g. Huawei `AT^CURC=0`). */
  init: string[];
  finals: {
    /** Extra final-result lines meaning success (beyond `OK`). */
    ok: string[];
    /** Extra final-result lines meaning failure (beyond `ERROR`, `+CME ERROR`, `+CMS ERROR`), e.g. `COMMAND NOT SUPPORT`. */
    error: string[];
  };
  urc: {
    /** Prefixes of unsolicited lines that carry meaning for the driver beyond the standard set. */
    prefixes: string[];
    /** Prefixes of unsolicited noise to drop (logged at trace), e.g. Huawei `^RSSI:`. */
    noise: string[];
    /** Lines that mean the modem finished booting its SMS stack (`SMS Ready`, `+QIND: SMS DONE`). */
    ready: string[];
  };
  /** Preferred message storage for read/write/receive (`AT+CPMS="SM","SM","SM"`). */
  storage: string;
  /** Command that hangs up an incoming call: `ATH` or `AT+CHUP`. */
  hangup: string;
  /** Command that resets the modem, last rung of the recovery ladder. */
  reset: string;
  /** Per-command timeouts in ms. */
  timeouts: {
    default: number;
    /** From `AT+CMGS=<n>` to the `> ` prompt. */
    prompt: number;
    /** From writing the PDU + Ctrl-Z to `+CMGS:`/final: network-bound, can take 60 s+. */
    send: number;
    /** How long to wait for boot URCs after open before going on anyway. */
    ready: number;
  };
  flags: {
    /** `AT+CPIN?` answers `+CPIN: READY` with no `OK` (Wavecom). */
    cpinWithoutOk?: boolean;
    /** New SMS are announced as `+CMT:` direct delivery instead of `+CMTI:` (then ack with `AT+CNMA`). */
    directDelivery?: boolean;
    /** The modem needs `AT+CMMS=2` to keep the link open between consecutive sends. */
    cmms?: boolean;
    /**
     * Memory where the modem keeps stored status reports when it is not the read memory
     * (Quectel EC25/EG25: `SR`). The storage sweep lists it too.
     */
    statusReportMemory?: string;
    /**
     * `+CDSI:` names a wrong location (Quectel EC25/EG25 announce `+CDSI: "SM",0` for a report
     * stored in `SR`): never read or delete the announced slot, list `statusReportMemory` instead.
     */
    cdsiWrongLocation?: boolean;
    /** `+CDS`/`+CMT` must be acknowledged with `AT+CNMA` even when `AT+CSMS?` does not say service 1. */
    cnmaRequired?: boolean;
  };
  /** What the simulator imitates for this family. Never read by production code. */
  sim: {
    manufacturer: string;
    model: string;
    revision: string;
    /** Lines sent after power-up/open (SIMCom `RDY`, `SMS Ready`). */
    bootUrcs: string[];
    /** Noise lines emitted at random moments (Huawei `^RSSI:18`). */
    noiseUrcs: string[];
    /** Reply for unsupported commands; default `ERROR`. */
    unsupported?: string;
    /** Answer `+CPIN: READY` with no trailing `OK`. */
    cpinWithoutOk?: boolean;
    /** SIM storage capacity (slots). */
    capacity: number;
    /** Lowest storage index: 1 on most modems, 0 on Quectel (`+CMTI: "SM",0`). Default 1. */
    firstIndex?: 0 | 1;
    /** The `AT+CNMI=?` answer, e.g. `(0-3),(0-3),(0,2),(0-2),(0,1)` (default); decides ds=1 or ds=2. */
    cnmiSupport?: string;
    /** Memory a stored status report goes to (ds=2); default the receive memory (`AT+CPMS` third). */
    statusReportMemory?: 'SM' | 'ME' | 'SR';
    /** What `+CDSI` announces instead of the real slot (Quectel: `{ "memory": "SM", "index": 0 }`). */
    cdsiAnnounces?: { memory: string; index: number };
    /** `AT+CSMS` service at power-up (1: `+CMT`/`+CDS` need `AT+CNMA`). Default 0. */
    csmsService?: 0 | 1;
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** modem-profiles/ lives at the package root: two levels above src/modem or dist/modem. */
export function profilesDir(): string {
  const candidates = [join(here, '..', '..', 'modem-profiles'), join(process.cwd(), 'modem-profiles')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

const cache = new Map<string, ModemProfile>();

export function listProfiles(): string[] {
  return readdirSync(profilesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export class UnknownProfileError extends Error {
  constructor(name: string) {
    super(`unknown modem profile "${name}" (known: ${listProfiles().join(', ')})`);
    this.name = 'UnknownProfileError';
  }
}

/** Load a profile by name; the generic profile fills in anything a family file leaves out. */
export function loadProfile(name: string): ModemProfile {
  const hit = cache.get(name);
  if (hit) return hit;
  const file = join(profilesDir(), `${name}.json`);
  if (!/^[a-z0-9_-]+$/i.test(name) || !existsSync(file)) throw new UnknownProfileError(name);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<ModemProfile>;
  const base = name === 'generic' ? undefined : loadProfile('generic');
  const profile = base ? mergeProfile(base, raw) : (raw as ModemProfile);
  profile.name = name;
  cache.set(name, profile);
  return profile;
}

function mergeProfile(base: ModemProfile, over: Partial<ModemProfile>): ModemProfile {
  return {
    ...base,
    ...over,
    finals: { ...base.finals, ...over.finals },
    urc: { ...base.urc, ...over.urc },
    timeouts: { ...base.timeouts, ...over.timeouts },
    flags: { ...base.flags, ...over.flags },
    sim: { ...base.sim, ...over.sim },
  } as ModemProfile;
}

/** Pick a profile from the manufacturer/model strings; unknown → generic. */
export function detectProfile(identity: string): ModemProfile {
  const text = identity.toLowerCase();
  for (const name of listProfiles()) {
    if (name === 'generic') continue;
    const p = loadProfile(name);
    if (p.detect.some((d) => text.includes(d.toLowerCase()))) return p;
  }
  return loadProfile('generic');
}
