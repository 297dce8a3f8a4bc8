/**
 * Page templates: HTML files under `public/` with `{{key}}` (text, HTML-escaped) and
 * `{{json:key}}` (a value for a `<script type="application/json">` block, escaped so it cannot
 * close the block). Rendered once per language at start; an unknown key is a start-up error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_DIR } from './static.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** JSON safe inside `<script type="application/json">`: no `<`, `>`, `&` or line separators. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderTemplate(template: string, vars: Readonly<Record<string, unknown>>, name = 'template'): string {
  return template.replace(/\{\{(json:)?([\w.]+)\}\}/g, (_, json: string | undefined, key: string) => {
    if (!Object.hasOwn(vars, key)) throw new Error(`${name}: no value for {{${json ?? ''}${key}}}`);
    const v = vars[key];
    return json ? jsonForScript(v) : escapeHtml(String(v));
  });
}

/** Reads `public/<file>` and renders it. */
export function renderPage(file: string, vars: Readonly<Record<string, unknown>>): string {
  return renderTemplate(readFileSync(join(PUBLIC_DIR, file), 'utf8'), vars, file);
}
