/** The chat's outbox on the Store: one queued job per message, priority `notification` (above mass texts). */
import type { Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import type { ChatOutbox } from './types.js';

/**
 * `notification`, not `reply`: the visitor's SMS is unsolicited for the mobile, so the worker's
 * opt-out check (`sms stop`) and daily cap apply to it, as to any notification.
 */
export function storeOutbox(store: Pick<Store, 'enqueue'>, o: { onQueued?: () => void; clock?: Clock } = {}): ChatOutbox {
  const clock = o.clock ?? realClock;
  return {
    async send(to, text, modem) {
      const [job] = await store.enqueue([
        { to, text, priority: 'notification', state: 'queued', attempts: 0, nextAttemptAt: new Date(clock.now()).toISOString(), ...(modem ? { modem } : {}) },
      ]);
      o.onQueued?.();
      return { jobId: job!.id };
    },
  };
}
