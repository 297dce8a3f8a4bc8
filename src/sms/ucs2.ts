/**
 * UCS2 user data read as UTF-16BE, so surrogate pairs (emoji) survive: modems and phones send
 * UTF-16 although the spec says UCS2, and decoding as strict UCS-2 garbles emoji (field-notes).
 */

/** Big-endian UTF-16 → string. A lone surrogate (half a pair cut by a part boundary) becomes U+FFFD; an odd trailing octet is ignored. */
export function decodeUtf16be(data: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) units.push((data[i]! << 8) | data[i + 1]!);
  let out = '';
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1];
      if (next !== undefined && next >= 0xdc00 && next <= 0xdfff) {
        out += String.fromCharCode(u, next);
        i++;
      } else out += '\ufffd';
    } else if (u >= 0xdc00 && u <= 0xdfff) out += '\ufffd';
    else out += String.fromCharCode(u);
  }
  return out;
}

/** String → big-endian UTF-16 octets (code units as they are, surrogates included). */
export function encodeUtf16be(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}
