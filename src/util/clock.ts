/** Injectable time source so timers can run on fake time in tests (architecture practice 4). */
export type Timer = ReturnType<typeof setTimeout>;
export type IntervalTimer = ReturnType<typeof setInterval>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
  /**
   * Repeating timer. Real intervals are unref'd: a periodic sweep or watchdog never keeps the
   * process alive on its own. Optional so a clock that only reads time stays a one-liner; callers
   * fall back to `everyOn` below.
   */
  setInterval?(fn: () => void, ms: number): IntervalTimer;
  clearInterval?(t: IntervalTimer): void;
}

export const realClock: Required<Clock> = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (t) => clearInterval(t),
};

/**
 * Run `fn` every `ms` on the given clock; returns the function that stops it. Uses the clock's
 * own interval when it has one, else re-arms a timeout (same cadence, fake clocks included).
 */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.setInterval && clock.clearInterval) {
    const t = clock.setInterval(fn, ms);
    return () => clock.clearInterval!(t);
  }
  let stopped = false;
  let t: Timer;
  const arm = () => {
    t = clock.setTimeout(() => {
      if (stopped) return;
      arm();
      fn();
    }, ms);
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(t);
  };
}
