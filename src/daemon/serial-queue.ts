/**
 * Runs async tasks one at a time in arrival order. The receive path uses it so a burst of
 * `+CMTI`, the periodic sweep and call handling never interleave on one SIM slot or one
 * multipart set.
 */
export class SerialQueue {
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

  get size(): number {
    return this.pending;
  }

  /** Resolves when every task pushed so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}
