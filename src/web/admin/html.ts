/**
 * A tagged template for server-rendered HTML that escapes every interpolated value unless it is
 * already `Html` (made by this tag): escaping is the default, so a value cannot be forgotten.
 * Arrays are joined; null, undefined and false render nothing.
 */
import { escapeHtml } from '../page.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}
