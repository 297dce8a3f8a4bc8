/** Builds TP-UDL + TP-UD for our encoders. */
import type { SmsEncoding } from './dcs.js';
import { packSeptets, textToSeptets } from './gsm7.js';
import { encodeUtf16be } from './ucs2.js';
import { fillBits, udhSeptets } from './udh.js';

/** UDL octet followed by the user data (UDH first when given, GSM-7 text after its fill bits). */
export function buildUserData(encoding: SmsEncoding, text: string, udh?: Buffer): Buffer {
  const header = udh ?? Buffer.alloc(0);
  if (encoding === 'gsm7') {
    const septets = textToSeptets(text);
    const packed = packSeptets(septets, header.length ? fillBits(header.length) : 0);
    const udl = (header.length ? udhSeptets(header.length) : 0) + septets.length;
    return Buffer.concat([Buffer.from([udl]), header, packed]);
  }
  const body = encoding === 'ucs2' ? encodeUtf16be(text) : Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from([header.length + body.length]), header, body]);
}
