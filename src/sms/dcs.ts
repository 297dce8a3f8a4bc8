/** TP-DCS (TS 23.038 §4): alphabet and message class. */
export type SmsEncoding = 'gsm7' | '8bit' | 'ucs2';

export interface DcsInfo {
  encoding: SmsEncoding;
  messageClass?: 0 | 1 | 2 | 3;
  /** Bit 5 of the general coding group: compressed text, which nobody sends; decoded as 8-bit. */
  compressed: boolean;
}

export function parseDcs(dcs: number): DcsInfo {
  const group = dcs >> 4;
  const cls = (dcs & 0x03) as 0 | 1 | 2 | 3;
  if (group <= 0x07) {
    // 00xx / 01xx: general data coding (01xx = automatic deletion); bit 5 compressed, bit 4 class present.
    const compressed = (dcs & 0x20) !== 0;
    const alphabet = (dcs >> 2) & 0x03;
    const encoding: SmsEncoding = compressed ? '8bit' : alphabet === 1 ? '8bit' : alphabet === 2 ? 'ucs2' : 'gsm7';
    return { encoding, compressed, ...(dcs & 0x10 ? { messageClass: cls } : {}) };
  }
  if (group === 0x0f) return { encoding: dcs & 0x04 ? '8bit' : 'gsm7', compressed: false, messageClass: cls };
  if (group === 0x0e) return { encoding: 'ucs2', compressed: false }; // MWI group, UCS2 text
  return { encoding: 'gsm7', compressed: false }; // 1100/1101 MWI groups, reserved 1000-1011
}

/** DCS octet for our encoders: general coding group, class only when asked (class 0 = flash). */
export function buildDcs(encoding: SmsEncoding, messageClass?: 0 | 1 | 2 | 3): number {
  const alphabet = encoding === 'ucs2' ? 0x08 : encoding === '8bit' ? 0x04 : 0x00;
  return messageClass === undefined ? alphabet : alphabet | 0x10 | messageClass;
}
