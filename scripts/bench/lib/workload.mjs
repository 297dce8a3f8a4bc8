/**
 * The send workload, identical for every daemon: a repeating mix of a 7-bit single SMS, a UCS2
 * (Cyrillic) single SMS, and a 3-part text (alternately 7-bit and UCS2), each to its own
 * recipient (so no per-recipient cap or dedup applies).
 */
const GSM = 'Your order #%N% is ready for pickup at the Lenina st. store until 20:00. Thank you!';
const UCS = 'Заказ №%N% готов, ждём вас до 20:00. Спасибо!';
const LONG_GSM =
  'Dear customer, this is a reminder about invoice %N%. ' +
  'The amount is due at the end of the month; you can pay in any of our stores or online with your personal code. ' +
  'If you have already paid, please ignore this message. Questions: reply to this number or call us any day from 9 to 21. ' +
  'Thank you for being with us.';
const LONG_UCS = 'Уважаемый клиент, напоминаем о счёте %N%: оплатить его можно в любом нашем магазине или на сайте по личному коду. Если вы уже оплатили, не обращайте внимания на это сообщение. Спасибо!';

/** Message i of the mix: { to, text, kind, parts }. */
export function message(i) {
  const n = String(100000 + i);
  const to = '+7901' + String(1000000 + i);
  switch (i % 4) {
    case 0:
      return { to, text: GSM.replace('%N%', n), kind: 'gsm7', parts: 1 };
    case 1:
      return { to, text: UCS.replace('%N%', n), kind: 'ucs2', parts: 1 };
    case 2:
      return { to, text: LONG_GSM.replace('%N%', n), kind: 'gsm7-3part', parts: 3 };
    default:
      return { to, text: LONG_UCS.replace('%N%', n), kind: 'ucs2-3part', parts: 3 };
  }
}

export function workload(n) {
  return Array.from({ length: n }, (_, i) => message(i));
}

/** Single-part 7-bit messages (utilisation runs). */
export function singles(n) {
  return Array.from({ length: n }, (_, i) => ({ ...message(i * 4), parts: 1 }));
}

// The mix an application posts (issue 19): 40% single 7-bit, 40% single Cyrillic, 10% two-part
// 7-bit, 10% two-part UCS2 — every message with its own text (its number in it).
const TWO_GSM =
  'Dear customer, invoice %N% is due at the end of the month. You can pay in any of our stores or online ' +
  'with your personal code. If you have already paid, please ignore this message. Questions: reply to this number.';
const TWO_UCS = 'Уважаемый клиент, счёт %N% можно оплатить в любом магазине или на сайте. Если уже оплатили, не обращайте внимания. Спасибо!';

/** Message i of the HTTP-cost mix: { to, text, kind, parts }; i % 10 picks the kind (4 / 4 / 1 / 1). */
export function costMessage(i) {
  const n = String(100000 + i);
  const to = '+7902' + String(1000000 + i);
  const k = i % 10;
  if (k < 4) return { to, text: GSM.replace('%N%', n), kind: 'gsm7', parts: 1 };
  if (k < 8) return { to, text: UCS.replace('%N%', n), kind: 'ucs2', parts: 1 };
  if (k === 8) return { to, text: TWO_GSM.replace('%N%', n), kind: 'gsm7-2part', parts: 2 };
  return { to, text: TWO_UCS.replace('%N%', n), kind: 'ucs2-2part', parts: 2 };
}

export function costWorkload(n) {
  return Array.from({ length: n }, (_, i) => costMessage(i));
}
