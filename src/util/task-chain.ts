/**
 * Runs async tasks one at a time in arrival order: each task starts when the one before it has
 * settled. The inbound path uses one so a burst of `+CMTI`, the periodic sweep and call handling
 * never interleave on one SIM slot or one multipart set. A failing task is reported to `onError`
 * and does not stop the chain.
 */
export class TaskChain {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly onError: (err: unknown) => void) {}

  push(task: () => Promise<void>): void {
    this.pending++;
    this.tail = this.tail
      .then(task)
      .catch(this.onError)
      .finally(() => {
        this.pending--;
      });
  }

  /** Tasks pushed and not yet settled. */
  get size(): number {
    return this.pending;
  }

  /** Resolves when every task pushed so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
