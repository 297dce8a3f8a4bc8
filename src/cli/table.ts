/**
 * Plain-text tables whose columns stay aligned with Cyrillic, CJK and emoji: widths are counted
 * per grapheme cluster in terminal cells (emoji and East Asian wide characters take two,
 * combining marks and joiners none), not in UTF-16 units.
 */
import { terminalSafe } from './terminal-safe.js';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;
const EMOJI = /\p{Extended_Pictographic}/u;
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;

/** Terminal cells one grapheme takes. */
function graphemeWidth(g: string): number {
  if (ZERO.test(g)) return 0;
  if (EMOJI.test(g) || g.includes('\uFE0F')) return 2;
  return WIDE.test(g) ? 2 : 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const { segment } of segmenter.segment(s)) w += graphemeWidth(segment);
  return w;
}

/** Cut to at most `max` cells, ending with `…` when cut; never splits a grapheme. */
export function truncate(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(s)) {
    const gw = graphemeWidth(segment);
    if (w + gw > max - 1) break;
    out += segment;
    w += gw;
  }
  return out + '…';
}

export function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

export interface Column<T> {
  header: string;
  get: (row: T) => string;
  /** Cap for this column's width (content is truncated with …). */
  max?: number;
}

/** Render rows as an aligned table; newlines inside cells are shown as ⏎, other controls visibly (terminal-safe.ts). */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = terminalSafe(c.get(r));
      return c.max ? truncate(v, c.max) : v;
    }),
  );
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i]!))));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : pad(v, widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
