/**
 * Our SUBMIT encoder checked by an independent implementation: each part is decoded by Debian's
 * python3-gammu (subprocess) and linked back into one message. Fails loudly where python3-gammu is
 * missing (CI installs it); set SKIP_GAMMU=1 to skip on purpose.
 */
import { describe, expect, it } from 'vitest';
import { encodeSubmit, splitText } from '../../src/sms/index.js';
import { gammuDecode, gammuUnavailableReason } from '../helpers/gammu.js';

const skip = process.env.SKIP_GAMMU;
if (skip) console.warn(`gammu cross-check skipped: SKIP_GAMMU=${skip}`);

const cyrillicLong =
  'Съешь же ещё этих мягких французских булок, да выпей чаю. В чащах юга жил бы цитрус? Да, но фальшивый экземпляр! ';
const cases: { name: string; to: string; number: string; text: string; parts: number }[] = [
  { name: 'Latin', to: '+79001234567', number: '+79001234567', text: 'Hello from sms-server', parts: 1 },
  { name: 'extension chars', to: '+79001234567', number: '+79001234567', text: 'Price {10€} [a|b] ~x^ \\ end', parts: 1 },
  { name: 'Cyrillic long', to: '+79001234567', number: '+79001234567', text: cyrillicLong.repeat(3), parts: 6 },
  { name: 'emoji across the 67-unit boundary', to: '+79001234567', number: '+79001234567', text: 'a'.repeat(66) + '😀' + 'b'.repeat(10), parts: 2 },
  { name: 'national 89001234567', to: '89001234567', number: '89001234567', text: 'national', parts: 1 },
  { name: 'formatted +7 900 123-45-67', to: '+7 900 123-45-67', number: '+79001234567', text: 'formatted', parts: 1 },
  { name: '153 septets', to: '+79001234567', number: '+79001234567', text: 'x'.repeat(153), parts: 1 },
  { name: '160 septets', to: '+79001234567', number: '+79001234567', text: 'y'.repeat(160), parts: 1 },
  { name: '161 septets', to: '+79001234567', number: '+79001234567', text: 'z'.repeat(161), parts: 2 },
  { name: '154 septets with escape at the 153 boundary', to: '+79001234567', number: '+79001234567', text: 'q'.repeat(152) + '€' + 'r'.repeat(10), parts: 2 },
  { name: '306 septets', to: '+79001234567', number: '+79001234567', text: 'w'.repeat(306), parts: 2 },
  { name: '307 septets', to: '+79001234567', number: '+79001234567', text: 'v'.repeat(307), parts: 3 },
  { name: '70 UCS2 units', to: '+79001234567', number: '+79001234567', text: 'ж'.repeat(70), parts: 1 },
  { name: '71 UCS2 units', to: '+79001234567', number: '+79001234567', text: 'ж'.repeat(71), parts: 2 },
];

describe.skipIf(Boolean(skip))('gammu cross-check of encodeSubmit', () => {
  it('python3-gammu is available (install python3-gammu, or set SKIP_GAMMU=1)', () => {
    expect(gammuUnavailableReason()).toBeUndefined();
  });

  for (const c of cases) {
    it(`gammu decodes and links: ${c.name}`, () => {
      const parts = encodeSubmit(c.to, c.text, { ref: 42 });
      expect(parts).toHaveLength(c.parts);
      const g = gammuDecode(parts.map((p) => p.hex));
      const enc = splitText(c.text).encoding;
      g.parts.forEach((gp, i) => {
        expect(gp.error, `part ${i + 1}`).toBeUndefined();
        expect(gp.type).toBe('Submit');
        expect(gp.number).toBe(c.number);
        expect(gp.coding).toBe(enc === 'gsm7' ? 'Default_No_Compression' : 'Unicode_No_Compression');
        if (c.parts > 1) {
          expect(gp.udhType).toBe('ConcatenatedMessages');
          expect(gp.udhHex).toBe(['05', '00', '03', 42, c.parts, i + 1].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(''));
          expect(gp.id8).toBe(42);
          expect(gp.allParts).toBe(c.parts);
          expect(gp.part).toBe(i + 1);
        } else {
          expect(gp.udhType).toBe('NoUDH');
        }
      });
      expect(g.messages).toHaveLength(1);
      expect(g.messages[0]!.parts).toBe(c.parts);
      expect(g.messages[0]!.number).toBe(c.number);
      expect(g.messages[0]!.text).toBe(c.text);
    });
  }

  it('gammu agrees on status report request, validity and flash', () => {
    const [p] = encodeSubmit('+79001234567', 'flash', { flash: true, statusReport: true, validityMinutes: 24 * 60 });
    const g = gammuDecode([p!.hex]);
    expect(g.parts[0]!.class).toBe(0);
    expect(g.parts[0]!.validity).toBe('1440M') // gammu names relative validity in minutes up to 24 h;
    expect(g.messages[0]!.text).toBe('flash');
  });
});
