/**
 * Scrape `GET /metrics` and parse the Prometheus text exposition format (0.0.4): `# HELP` / `# TYPE`
 * lines and samples `name{label="value",…} value [timestamp]`, label values unescaped (`\\`, `\"`,
 * `\n`). Tests read samples by name and labels, never by matching strings. (The npm parser
 * `parse-prometheus-text-format` 1.1.1 drops the labels, `_count` and `_sum` of labelled histograms.)
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels at ${at} in: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  const n = Number(v);
  if (Number.isNaN(n) && v !== 'NaN') throw new Error(`bad sample value ${v}`);
  return n;
}

export class Scrape {
  readonly types = new Map<string, string>();
  readonly help = new Map<string, string>();
  readonly samples: Sample[] = [];

  constructor(text: string) {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)\s+(.*)$/.exec(line);
      if (meta) {
        (meta[1] === 'TYPE' ? this.types : this.help).set(meta[2]!, meta[3]!);
        continue;
      }
      if (line.startsWith('#')) continue;
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      this.samples.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4]!) });
    }
  }

  /** Samples of this exact sample name whose labels include `labels`. */
  series(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** Sum of the sample values matching; throws when the metric is not exposed at all. */
  value(name: string, labels: Record<string, string> = {}): number {
    if (!this.types.has(name) && !this.samples.some((s) => s.name === name)) throw new Error(`metric ${name} is not exposed`);
    return this.series(name, labels).reduce((n, s) => n + s.value, 0);
  }

  /** A histogram's observation count (`<name>_count`) matching `labels`. */
  count(name: string, labels: Record<string, string> = {}): number {
    if (this.types.get(name) !== 'histogram') throw new Error(`${name} is not a histogram (TYPE ${this.types.get(name)})`);
    return this.series(`${name}_count`, labels).reduce((n, s) => n + s.value, 0);
  }
}

export async function scrape(base: string, token: string): Promise<{ scrape: Scrape; contentType: string | null; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text}`);
  return { scrape: new Scrape(text), contentType: res.headers.get('content-type'), ms };
}
