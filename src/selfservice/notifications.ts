/**
 * The notification switch of the self-service page: the web twin of `CLIENT sms stop/start`.
 * Same effect (the client's `optIn` flag, or the non-client opt-out list: `setOptIn`), and the
 * same trail: one log line naming the number and the new state, and the same confirmation SMS
 * the command answers with (when something changed) — so the owner of the number learns of every
 * change made on the page.
 */
import type { Logger } from 'pino';
import type { TemplateSet } from '../commands/templates.js';
import { isOptedOut, setOptIn } from '../store/optout.js';
import type { Store } from '../store/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { moduleLogger } from '../util/log.js';

/** What the page needs: read and set whether a number receives notifications and mass texts. */
export interface NotificationSwitch {
  isOn(phone: string): Promise<boolean>;
  set(phone: string, on: boolean): Promise<{ changed: boolean }>;
}

export function notificationSwitch(
  store: Store,
  templates: Pick<TemplateSet, 'smsStop' | 'smsStart'>,
  o: { onQueued?: () => void; clock?: Clock; logger?: Logger } = {},
): NotificationSwitch {
  const clock = o.clock ?? realClock;
  const log = moduleLogger(o.logger, 'selfservice-notifications');
  return {
    async isOn(phone) {
      return !(await isOptedOut(store, phone));
    },
    async set(phone, on) {
      const now = clock.now();
      const { changed, client } = await setOptIn(store, phone, on, new Date(now));
      log.info({ phone, optIn: on, changed, client, via: 'self-service page' }, 'opt-in set on the self-service page');
      if (!changed) return { changed };
      // A reply, as for the SMS command: the confirmation is not itself subject to the opt-out.
      await store.enqueue([
        { to: phone, text: on ? templates.smsStart : templates.smsStop, priority: 'reply', state: 'queued', attempts: 0, nextAttemptAt: new Date(now).toISOString() },
      ]);
      o.onQueued?.();
      return { changed };
    },
  };
}
