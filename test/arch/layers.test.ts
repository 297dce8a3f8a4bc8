/**
 * Imports point one way between the folders of src/ (docs/architecture.md): this fails on any
 * cycle between folders, naming it (e.g. `store → commands → store`) and one import of each edge.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const IMPORT_RE = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

const folderOf = (file: string) => relative(SRC, file).split(sep)[0]!;

/** folder → folder it imports → one example import (file: specifier). */
export function folderGraph(): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const file of files(SRC)) {
    const from = folderOf(file);
    const edges = g.get(from) ?? new Map<string, string>();
    g.set(from, edges);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const spec = (m[1] ?? m[2])!;
      const to = folderOf(resolve(dirname(file), spec));
      if (to !== from && !to.startsWith('..') && !edges.has(to)) edges.set(to, `${relative(SRC, file)}: ${spec}`);
    }
  }
  return g;
}

/** Every elementary cycle found by a DFS from each folder, as `a → b → a`. */
function cycles(g: Map<string, Map<string, string>>): string[] {
  const found = new Set<string>();
  const walk = (start: string, node: string, path: string[]) => {
    for (const next of g.get(node)?.keys() ?? []) {
      if (next === start) found.add([...path, start].join(' → '));
      else if (!path.includes(next) && next > start) walk(start, next, [...path, next]);
    }
  };
  for (const f of [...g.keys()].sort()) walk(f, f, [f]);
  return [...found];
}

describe('folder layering', () => {
  it('has no import cycle between folders of src/', () => {
    const g = folderGraph();
    const found = cycles(g);
    const explain = found.map((c) => {
      const hops = c.split(' → ');
      return `${c}\n${hops.slice(0, -1).map((a, i) => `    ${g.get(a)!.get(hops[i + 1]!)}`).join('\n')}`;
    });
    expect(explain).toEqual([]);
  });

  it('sees real edges (the scan is not vacuous)', () => {
    const g = folderGraph();
    expect(g.get('daemon')?.has('inbound')).toBe(true);
    expect(g.get('commands')?.has('inbound')).toBe(true);
    expect(g.get('inbound')?.has('store')).toBe(true);
  });
});
