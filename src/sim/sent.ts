/** What the simulated network accepted from the host, one record per AT+CMGS part. */
import type { Concat, SmsEncoding } from '../sms/index.js';

export interface SentSms {
  /** Destination as decoded from the SUBMIT (`+79001234567`). */
  to: string;
  /** Text of this part. */
  text: string;
  /** The PDU as typed after the prompt (with the SMSC field). */
  pdu: string;
  /** Message reference the modem answered with (`+CMGS: <mr>`). */
  mr: number;
  /** ISO time the modem accepted it. */
  at: string;
  encoding: SmsEncoding;
  concat?: Concat;
}

/** A whole message as the recipient's phone would show it: parts joined by concat reference. */
export interface SentMessage {
  to: string;
  text: string;
  /** Time the last part was accepted. */
  at: string;
  /** Parts received so far / expected. */
  parts: number;
  total: number;
  complete: boolean;
  mrs: number[];
}

/** Group part records into messages (keyed by recipient, reference and total, like a phone). */
export function groupSent(sent: readonly SentSms[]): SentMessage[] {
  const out: SentMessage[] = [];
  const groups = new Map<string, { msg: SentMessage; parts: Map<number, SentSms> }>();
  for (const s of sent) {
    if (!s.concat) {
      out.push({ to: s.to, text: s.text, at: s.at, parts: 1, total: 1, complete: true, mrs: [s.mr] });
      continue;
    }
    const key = `${s.to}|${s.concat.ref}|${s.concat.total}`;
    let g = groups.get(key);
    if (!g || g.parts.has(s.concat.seq)) {
      // A repeated seq under the same reference starts a new message (the reference wrapped).
      g = { msg: { to: s.to, text: '', at: s.at, parts: 0, total: s.concat.total, complete: false, mrs: [] }, parts: new Map() };
      groups.set(key, g);
      out.push(g.msg);
    }
    g.parts.set(s.concat.seq, s);
    const ordered = [...g.parts.values()].sort((a, b) => a.concat!.seq - b.concat!.seq);
    g.msg.text = ordered.map((p) => p.text).join('');
    g.msg.parts = ordered.length;
    g.msg.complete = ordered.length === s.concat.total;
    g.msg.at = s.at;
    g.msg.mrs = ordered.map((p) => p.mr);
  }
  return out;
}
