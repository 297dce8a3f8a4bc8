/** Reassembly of concatenated messages. */
import type { SmsEncoding } from './dcs.js';
import { septetsToText } from './gsm7.js';
import type { DecodedUserData } from './types.js';
import { decodeUtf16be } from './ucs2.js';

export interface JoinedText {
  text: string;
  encoding: SmsEncoding;
  /** Sequence numbers 1..total not among the parts given. */
  missing: number[];
}

type Part = Pick<DecodedUserData, 'encoding' | 'payload' | 'concat' | 'text'>;

/** A Buffer that went through JSON (`{type:'Buffer',data:[…]}`) back to a Buffer. */
function asBuffer(p: unknown): Buffer {
  if (Buffer.isBuffer(p)) return p;
  if (p && typeof p === 'object' && Array.isArray((p as { data?: unknown }).data)) return Buffer.from((p as { data: number[] }).data);
  if (p instanceof Uint8Array) return Buffer.from(p);
  return Buffer.alloc(0);
}

/**
 * Join the parts of ONE concatenated message (group by sender, ref and total first; see
 * {@link concatKey}). Any order; a duplicate seq keeps the first copy. Raw payloads are joined
 * before decoding, so a UCS2 surrogate pair (or a GSM-7 escape) split across parts by another
 * encoder survives.
 */
export function joinParts(parts: readonly Part[]): JoinedText {
  const bySeq = new Map<number, Part>();
  let total = 0;
  for (const p of parts) {
    const seq = p.concat?.seq ?? 1;
    total = Math.max(total, p.concat?.total ?? 1);
    if (!bySeq.has(seq)) bySeq.set(seq, p);
  }
  const ordered = [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  const missing: number[] = [];
  for (let s = 1; s <= total; s++) if (!bySeq.has(s)) missing.push(s);

  // Consecutive parts of one encoding are joined raw; a change of alphabet (legal, rare) starts a new run.
  let text = '';
  let i = 0;
  while (i < ordered.length) {
    const enc = ordered[i]!.encoding;
    let j = i;
    while (j < ordered.length && ordered[j]!.encoding === enc) j++;
    const run = ordered.slice(i, j);
    if (enc === 'gsm7') {
      const septets = run.map((p) => (typeof p.payload === 'string' ? p.payload : '')).join('');
      text += septetsToText(Array.from(septets, (c) => c.charCodeAt(0)));
    } else {
      const buf = Buffer.concat(run.map((p) => asBuffer(p.payload)));
      text += enc === 'ucs2' ? decodeUtf16be(buf) : buf.toString('latin1');
    }
    i = j;
  }
  const encodings = new Set(ordered.map((p) => p.encoding));
  const encoding: SmsEncoding = encodings.has('ucs2') ? 'ucs2' : (ordered[0]?.encoding ?? 'gsm7');
  return { text, encoding, missing };
}

/** Key that groups the parts of one message: sender, ref width, ref and total (not ref alone, as gammu does). */
export function concatKey(d: { sender: string; concat?: { ref: number; total: number; refBits: 8 | 16 } }): string {
  return d.concat ? `${d.sender}|${d.concat.refBits}:${d.concat.ref}|${d.concat.total}` : `${d.sender}|single`;
}
