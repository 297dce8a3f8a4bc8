/**
 * Text files from operators' other systems (a CRM export saved by Excel on Windows is usually
 * Windows-1251 here): decoded strictly. UTF-8 (the default) that is not valid UTF-8 is refused with
 * the lines it is broken on — a lenient decode would store mojibake logins and passwords that no
 * customer can type; other encodings go through iconv-lite, a well-kept decoder table, not ours.
 * Messages name lines and columns, never the bytes: they may be part of a password.
 */

export class TextEncodingError extends Error {
  readonly code = 'TEXT_ENCODING';
  constructor(
    message: string,
    /** 1-based lines that are not valid in the encoding (UTF-8 only). */
    readonly lines: { line: number; column: number }[] = [],
  ) {
    super(message);
    this.name = 'TextEncodingError';
  }
}

const UTF8 = new Set(['utf8', 'utf-8']);

/** Decodes `bytes` as `encoding` (default UTF-8; a UTF-8 BOM is dropped). `source` names the file in messages. */
export async function decodeText(bytes: Buffer, source: string, encoding = 'utf8'): Promise<string> {
  if (!UTF8.has(encoding.toLowerCase())) {
    const { default: iconv } = await import('iconv-lite'); // only for files that are not UTF-8
    if (!iconv.encodingExists(encoding)) throw new TextEncodingError(`unknown encoding "${encoding}" (e.g. utf8, cp1251, koi8-r, latin1)`);
    return iconv.decode(bytes, encoding);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a BOM
  } catch {
    const bad = invalidUtf8Lines(bytes);
    const where = bad.slice(0, 5).map((b) => `line ${b.line} (column ${b.column})`).join(', ');
    throw new TextEncodingError(
      `${source} is not valid UTF-8 at ${where}${bad.length > 5 ? ` and ${bad.length - 5} more line(s)` : ''}; save it as UTF-8, or name its encoding (e.g. --encoding cp1251)`,
      bad,
    );
  }
}

/** The lines (and the byte column of the first bad byte) that are not valid UTF-8. */
function invalidUtf8Lines(bytes: Buffer): { line: number; column: number }[] {
  const out: { line: number; column: number }[] = [];
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const chunk = bytes.subarray(start, end);
    try {
      strict.decode(chunk);
    } catch {
      out.push({ line, column: firstBadByte(chunk) + 1 });
    }
    start = end + 1;
  }
  return out;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence. */
function firstBadByte(chunk: Buffer): number {
  let lo = 0;
  let hi = chunk.length;
  // The longest valid prefix (a valid prefix stays valid up to a sequence boundary): binary search.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      // A fresh decoder each time: a streaming one keeps state between calls.
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  // The valid prefix may end inside the sequence that breaks (a lead byte waiting for more): back
  // up to that sequence's first byte.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(0, lo));
  } catch {
    while (lo > 0 && (chunk[lo - 1]! & 0xc0) === 0x80) lo--;
    if (lo > 0 && chunk[lo - 1]! >= 0xc0) lo--;
  }
  return lo;
}
