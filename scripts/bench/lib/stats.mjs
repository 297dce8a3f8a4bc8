/** Small statistics and formatting helpers for the benchmark tables. */

/** Nearest-rank percentile (p in 0..1) of a list of numbers. */
export function pct(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

export const sum = (v) => v.reduce((a, b) => a + b, 0);

/** Fixed decimals, '-' for missing values. */
export function fmt(x, d = 1) {
  return x === undefined || x === null || Number.isNaN(x) ? '-' : Number(x).toFixed(d);
}

/** "12.3x" ratio of a to b, '-' when either is missing. */
export function ratio(a, b, d = 1) {
  return a && b && Number.isFinite(a / b) ? `${(a / b).toFixed(d)}x` : '-';
}

/** Renders rows (arrays of strings) as a Markdown table. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until truthy or throws after timeoutMs naming `what`. */
export async function waitUntil(fn, what, timeoutMs, everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
