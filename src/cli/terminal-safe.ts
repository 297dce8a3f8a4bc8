/**
 * Text from the outside world (an SMS anyone can send, a network's operator name) made safe to
 * print on an operator's terminal: control characters are shown, never obeyed. Without this an
 * SMS carrying ESC sequences could rewrite the screen, set the window title or ring the bell.
 * JSON output is left exact; this is for tables and follow lines only.
 *
 * - line breaks → ⏎, tab → space (one row stays one row);
 * - other C0 controls → their Unicode control pictures (ESC → ␛, BEL → ␇, NUL → ␀), DEL → ␡;
 * - C1 controls (U+0080–U+009F: 0x9B is an 8-bit CSI in some terminals) → `\x9b`;
 * - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what
 *   follows on screen → `<U+202E>`.
 */
const UNSAFE = /\r\n|[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === '\r\n' || c === '\n' || c === '\r') return '⏎';
    if (c === '\t') return ' ';
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    if (code <= 0x9f) return `\\x${code.toString(16)}`;
    return `<U+${code.toString(16).toUpperCase()}>`;
  });
}
