/**
 * A set of non-negative integers kept as sorted, merged inclusive ranges. LowdbStore keeps the
 * numbers of finished job segments this way: they close roughly in order, so a million-job history
 * stays a handful of ranges in `queue/index.json`.
 */
export type Range = [number, number];

export class RangeSet {
  private ranges: Range[];

  constructor(ranges: readonly Range[] = []) {
    this.ranges = [];
    for (const [a, b] of ranges) for (let n = a; n <= b; n++) this.add(n);
  }

  /** From stored ranges, trusting they are sorted and disjoint when they are (fast path). */
  static fromJSON(ranges: readonly Range[]): RangeSet {
    const ok = ranges.every(
      (r, i) => Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] <= r[1] && (i === 0 || ranges[i - 1]![1] + 1 < r[0]),
    );
    if (!ok) return new RangeSet(ranges);
    const s = new RangeSet();
    s.ranges = ranges.map(([a, b]) => [a, b]);
    return s;
  }

  toJSON(): Range[] {
    return this.ranges.map(([a, b]) => [a, b]);
  }

  has(n: number): boolean {
    const i = this.indexAtOrBefore(n);
    return i >= 0 && n <= this.ranges[i]![1];
  }

  add(n: number): void {
    if (this.has(n)) return;
    const i = this.indexAtOrBefore(n); // range before n (ends before n), or -1
    const prev = i >= 0 ? this.ranges[i] : undefined;
    const next = this.ranges[i + 1];
    const joinPrev = prev !== undefined && prev[1] + 1 === n;
    const joinNext = next !== undefined && next[0] - 1 === n;
    if (joinPrev && joinNext) {
      prev[1] = next[1];
      this.ranges.splice(i + 1, 1);
    } else if (joinPrev) prev[1] = n;
    else if (joinNext) next[0] = n;
    else this.ranges.splice(i + 1, 0, [n, n]);
  }

  delete(n: number): void {
    const i = this.indexAtOrBefore(n);
    const r = i >= 0 ? this.ranges[i] : undefined;
    if (!r || n > r[1]) return;
    if (r[0] === r[1]) this.ranges.splice(i, 1);
    else if (n === r[0]) r[0]++;
    else if (n === r[1]) r[1]--;
    else this.ranges.splice(i, 1, [r[0], n - 1], [n + 1, r[1]]);
  }

  /** Index of the last range whose start is <= n, or -1. */
  private indexAtOrBefore(n: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]![0] <= n) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}
