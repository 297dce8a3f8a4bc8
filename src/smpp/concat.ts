/**
 * Reassembles the parts of a concatenated submit_sm into one message, per account (a client may
 * spread parts over its sessions). No part is acknowledged until the whole message is stored as one
 * job: every part's submit_sm_resp then carries that job id, and a crash before that leaves every
 * part unanswered, so the client sends it again — nothing is acked that could be lost.
 * A set that stays incomplete for `timeoutMs` is answered ESME_RSUBMITFAIL part by part.
 */
import type { Clock, Timer } from '../util/clock.js';
import { Status } from './constants.js';
import { SmppCodecError } from './text-codec.js';

interface PendingSet<T> {
  total: number;
  parts: Map<number, T>;
  waiters: { resolve: (id: string) => void; reject: (e: Error) => void }[];
  timer: Timer;
}

export interface ConcatAssemblerOptions<T> {
  clock: Clock;
  timeoutMs: number;
  /** Incomplete sets held at once; past it a new set is refused with ESME_RMSGQFUL. */
  maxSets: number;
  /** Called once with the parts in order when the last one arrives; resolves to the job id. */
  complete(parts: T[]): Promise<string>;
}

export class ConcatAssembler<T> {
  private readonly sets = new Map<string, PendingSet<T>>();

  constructor(private readonly o: ConcatAssemblerOptions<T>) {}

  /** Sets waiting for parts. */
  get pending(): number {
    return this.sets.size;
  }

  /**
   * Add part `seq` of `total` under `key`. `completes` tells whether this part finished the set
   * (the caller's window slot for a held part can be freed at once); `result` resolves to the job id.
   * A repeated part replaces the earlier copy; both are answered with the same outcome.
   */
  add(key: string, total: number, seq: number, part: T): { completes: boolean; result: Promise<string> } {
    let set = this.sets.get(key);
    if (set && set.total !== total) {
      return { completes: false, result: Promise.reject(new SmppCodecError(`part ${seq} says ${total} parts but earlier parts of reference ${key} said ${set.total}`, Status.ESME_RSUBMITFAIL)) };
    }
    if (!set) {
      if (this.sets.size >= this.o.maxSets) {
        return { completes: false, result: Promise.reject(new SmppCodecError(`${this.sets.size} concatenated messages are already waiting for parts`, Status.ESME_RMSGQFUL)) };
      }
      const created: PendingSet<T> = { total, parts: new Map(), waiters: [], timer: this.o.clock.setTimeout(() => this.expire(key, created), this.o.timeoutMs) };
      set = created;
      this.sets.set(key, set);
    }
    set.parts.set(seq, part);
    const result = new Promise<string>((resolve, reject) => set.waiters.push({ resolve, reject }));
    if (set.parts.size < total) return { completes: false, result };
    this.sets.delete(key);
    this.o.clock.clearTimeout(set.timer);
    const ordered = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    const waiters = set.waiters;
    this.o.complete(ordered).then(
      (id) => waiters.forEach((w) => w.resolve(id)),
      (e: Error) => waiters.forEach((w) => w.reject(e)),
    );
    return { completes: true, result };
  }

  /** Refuse every held part (the listener is stopping). */
  clear(reason: Error): void {
    for (const [key, set] of this.sets) {
      this.sets.delete(key);
      this.o.clock.clearTimeout(set.timer);
      set.waiters.forEach((w) => w.reject(reason));
    }
  }

  private expire(key: string, set: PendingSet<T>): void {
    if (this.sets.get(key) !== set) return;
    this.sets.delete(key);
    const missing = [];
    for (let s = 1; s <= set.total; s++) if (!set.parts.has(s)) missing.push(s);
    const e = new SmppCodecError(`concatenated message ${key}: parts ${missing.join(', ')} of ${set.total} did not arrive within ${this.o.timeoutMs} ms`, Status.ESME_RSUBMITFAIL);
    set.waiters.forEach((w) => w.reject(e));
  }
}
