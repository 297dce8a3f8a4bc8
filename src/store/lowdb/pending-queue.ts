/**
 * The in-memory FIFO of queued jobs of one priority: sequence numbers in ascending (creation) order
 * with their nextAttemptAt. `first(now)` is O(1) when the head is due; jobs in back-off at the head
 * are stepped over (they are few). Deletions are lazy and compacted while scanning.
 */
export class PendingQueue {
  private seqs: number[] = [];
  private head = 0;
  private readonly due = new Map<number, number>();

  get size(): number {
    return this.due.size;
  }

  /** Adds or re-times a queued job; a re-queued job returns to its creation-order place. */
  set(seq: number, dueMs: number): void {
    if (!this.due.has(seq)) this.insert(seq);
    this.due.set(seq, dueMs);
  }

  delete(seq: number): void {
    this.due.delete(seq);
  }

  /** The oldest queued seq whose time has come, if any. */
  first(nowMs: number): number | undefined {
    const { seqs, due } = this;
    let i = this.head;
    while (i < seqs.length && !due.has(seqs[i]!)) i++;
    this.head = i;
    let found: number | undefined;
    let j = i;
    for (; j < seqs.length; j++) {
      const d = due.get(seqs[j]!);
      if (d !== undefined && d <= nowMs) {
        found = seqs[j];
        break;
      }
    }
    // Pack the live (backed-off) entries of the scanned prefix against j so the next scan skips the dead ones.
    if (j - i > 16) {
      let w = j;
      for (let r = j - 1; r >= i; r--) if (due.has(seqs[r]!)) seqs[--w] = seqs[r]!;
      this.head = w;
    }
    if (this.head > 4096 && this.head * 2 > seqs.length) {
      this.seqs = seqs.slice(this.head);
      this.head = 0;
    }
    return found;
  }

  /** Earliest due time among queued jobs. */
  minDue(): number | undefined {
    let min: number | undefined;
    for (const d of this.due.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  private insert(seq: number): void {
    const { seqs } = this;
    if (seqs.length === this.head || seqs[seqs.length - 1]! < seq) {
      seqs.push(seq);
      return;
    }
    let lo = this.head;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    if (seqs[lo] === seq) return; // a lazily deleted entry is still in place
    if (lo === this.head && this.head > 0) {
      seqs[--this.head] = seq;
      return;
    }
    seqs.splice(lo, 0, seq);
  }
}
