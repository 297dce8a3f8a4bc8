/**
 * Parsers for 27.005/27.007 information lines. Pure functions over strings so each quirk
 * (empty fields, missing fields, lower-case hex) is unit-tested without a modem.
 */

/** Split a parameter list on commas outside double quotes; strips the quotes. */
export function splitParams(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function body(line: string, prefix: string): string | undefined {
  return line.startsWith(prefix) ? line.slice(prefix.length).trim() : undefined;
}

export interface StoredSms {
  memory: string;
  index: number;
  /** 0 received unread, 1 received read, 2 stored unsent, 3 stored sent. */
  status: number;
  pdu: string;
}

/**
 * `+CMGL: <index>,<stat>,[<alpha>],<length>` each followed by a PDU line. Some firmware leaves
 * out the alpha field or the length, and some print hex in lower case: only index and the PDU
 * line are required.
 */
export function parseCmgl(lines: string[], memory: string): { items: StoredSms[]; problems: string[] } {
  const items: StoredSms[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const b = body(lines[i]!, '+CMGL:');
    if (b === undefined) continue;
    const [idx, stat] = splitParams(b);
    const index = idx && /^\d+$/.test(idx) ? Number(idx) : NaN;
    const pdu = lines[i + 1];
    if (!Number.isInteger(index) || index < 0) {
      problems.push(`bad +CMGL header "${lines[i]}"`);
      continue;
    }
    if (pdu === undefined || pdu.startsWith('+CMGL:') || !/^[0-9a-f]+$/i.test(pdu)) {
      problems.push(`+CMGL index ${index} has no PDU line`);
      continue;
    }
    i++;
    items.push({ memory, index, status: Number(stat) || 0, pdu: pdu.toUpperCase() });
  }
  return { items, problems };
}

/** `+CMGR: <stat>,[<alpha>],<length>` then the PDU line. An empty slot answers just `OK`. */
export function parseCmgr(lines: string[], memory: string, index: number): StoredSms | undefined {
  const at = lines.findIndex((l) => l.startsWith('+CMGR:'));
  if (at < 0) return undefined;
  const pdu = lines[at + 1];
  if (!pdu || !/^[0-9a-f]+$/i.test(pdu)) return undefined;
  const [stat] = splitParams(body(lines[at]!, '+CMGR:')!);
  return { memory, index, status: Number(stat) || 0, pdu: pdu.toUpperCase() };
}

/** `+CMTI: "SM",3` → where the new SMS was stored. */
export function parseCmti(line: string): { memory: string; index: number } | undefined {
  const b = body(line, '+CMTI:') ?? body(line, '+CDSI:');
  if (b === undefined) return undefined;
  const [mem, idx] = splitParams(b);
  if (!mem || !idx || !/^\d+$/.test(idx)) return undefined;
  const index = Number(idx);
  return { memory: mem.toUpperCase(), index };
}

/** `+CLIP: "+79001234567",145,,,,0` → the caller; an empty number means withheld. */
export function parseClip(line: string): string | undefined {
  const b = body(line, '+CLIP:');
  if (b === undefined) return undefined;
  const [num, type] = splitParams(b);
  if (!num) return 'unknown';
  return type === '145' && !num.startsWith('+') ? `+${num}` : num;
}

export interface Signal {
  rssi: number;
  /** dBm, undefined when unknown (rssi 99). */
  dbm?: number;
  ber: number;
}

export function parseCsq(lines: string[]): Signal | undefined {
  const l = lines.find((x) => x.startsWith('+CSQ:'));
  if (!l) return undefined;
  const [r, b] = splitParams(body(l, '+CSQ:')!).map(Number);
  if (!Number.isInteger(r)) return undefined;
  return { rssi: r!, dbm: r! >= 0 && r! <= 31 ? -113 + 2 * r! : undefined, ber: b ?? 99 };
}

const CREG_TEXT = ['not registered', 'registered (home)', 'searching', 'registration denied', 'unknown', 'registered (roaming)'];

export interface Registration {
  stat: number;
  text: string;
  registered: boolean;
}

/** `+CREG: <n>,<stat>[,…]` as a reply to AT+CREG?, or `+CREG: <stat>` as a URC. */
export function parseCreg(line: string): Registration | undefined {
  const b = body(line, '+CREG:') ?? body(line, '+CGREG:');
  if (b === undefined) return undefined;
  const p = splitParams(b);
  // The reply form has n first; a URC from AT+CREG=1 has only stat; AT+CREG=2 adds lac,ci.
  const stat = Number(p.length === 1 || p.length === 3 ? p[0] : p[1]);
  if (!Number.isInteger(stat)) return undefined;
  return { stat, text: CREG_TEXT[stat] ?? `stat ${stat}`, registered: stat === 1 || stat === 5 };
}

/** `+COPS: 0,0,"MTS-RUS",2` → operator name. */
export function parseCops(lines: string[]): string | undefined {
  const l = lines.find((x) => x.startsWith('+COPS:'));
  if (!l) return undefined;
  return splitParams(body(l, '+COPS:')!)[2] || undefined;
}

/**
 * The SIM's own number from `+CNUM: "","+79990000001",145` (some firmwares add speed and
 * service fields; an empty list or `+CNUM: ,"",129` means the SIM does not know it). First voice
 * line wins. Type 145 marks an international number: the `+` is added when the modem left it out.
 */
export function parseCnum(lines: string[]): string | undefined {
  for (const l of lines) {
    if (!l.startsWith('+CNUM:')) continue;
    const p = splitParams(body(l, '+CNUM:')!);
    const num = (p[1] ?? '').trim();
    if (!/^\+?\d{3,20}$/.test(num)) continue;
    return p[2] === '145' && !num.startsWith('+') ? '+' + num : num;
  }
  return undefined;
}

/** `+CPIN: READY` / `+CPIN: SIM PIN`. */
export function parseCpin(lines: string[]): string | undefined {
  const l = lines.find((x) => x.startsWith('+CPIN:'));
  return l ? body(l, '+CPIN:') : undefined;
}

/**
 * Values a modem supports for each `AT+CNMI` parameter, from `+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)`.
 */
export function parseCnmiSupport(lines: string[]): number[][] | undefined {
  const l = lines.find((x) => x.startsWith('+CNMI:'));
  if (!l) return undefined;
  const groups = [...body(l, '+CNMI:')!.matchAll(/\(([^)]*)\)/g)].map((m) => expandRange(m[1]!));
  return groups.length ? groups : undefined;
}

function expandRange(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    if (!Number.isInteger(a)) continue;
    if (b !== undefined && Number.isInteger(b)) for (let i = a!; i <= b; i++) out.push(i);
    else out.push(a!);
  }
  return out;
}

/**
 * Choose `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`: mode 2 (buffer URCs while the link is busy, flush
 * after) over 1; mt 1 (store + `+CMTI`) unless the profile wants direct delivery (mt 2 → `+CMT`);
 * no cell broadcast; status reports stored (ds 2 → `+CDSI`) when supported, else routed (1) or off.
 */
export function chooseCnmi(support: number[][] | undefined, direct = false): string {
  const pick = (i: number, prefs: number[], fallback: number) => {
    const allowed = support?.[i];
    if (!allowed) return prefs[0] ?? fallback;
    return prefs.find((p) => allowed.includes(p)) ?? fallback;
  };
  const mode = pick(0, [2, 1], 1);
  const mt = pick(1, direct ? [2, 1] : [1, 2], 1);
  const bm = pick(2, [0], 0);
  const ds = pick(3, [2, 1, 0], 0);
  const bfr = pick(4, [0], 0);
  return `AT+CNMI=${mode},${mt},${bm},${ds},${bfr}`;
}

/** `+CMGS: 12` (optionally `,"<scts>"`) → TP-MR. */
export function parseCmgs(lines: string[]): number | undefined {
  const l = lines.find((x) => x.startsWith('+CMGS:'));
  if (!l) return undefined;
  const mr = Number(splitParams(body(l, '+CMGS:')!)[0]);
  return Number.isInteger(mr) ? mr : undefined;
}
