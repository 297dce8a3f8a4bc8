/**
 * SmppSubmitter on the Store: a submitted message becomes a notification job attributed to the
 * account (the same path as `send` and `POST /messages`: number normalised, opt-out honoured),
 * within a per-account rate; a receipt request is kept on the job.
 */
import type { PinForAccount } from '../../queue/account-pin.js';
import { enqueueNotification } from '../../queue/notifications.js';
import { InvalidRequestError } from '../../queue/errors.js';
import type { Store } from '../../store/types.js';
import type { PhoneOptions, PhoneRule } from '../../util/phone.js';
import { RateLimiter } from '../../util/rate-limit.js';
import type { Clock } from '../../util/clock.js';
import { InvalidDestinationError, InvalidMessageError, SubmitThrottledError, type SmppAccount, type SmppSubmission, type SmppSubmitter } from '../ports.js';

export interface StoreSubmitterOptions {
  store: Store;
  phoneRule: PhoneOptions | PhoneRule;
  /** submit_sm (whole messages) per account per minute. */
  perMinute: number;
  /** Wake the queue worker. */
  onEnqueued?: () => void;
  /** An account's jobs go through the modem of its dedicated number (queue/account-pin.ts). */
  pinFor?: PinForAccount;
  clock?: Clock;
}

export class StoreSubmitter implements SmppSubmitter {
  private readonly limiter: RateLimiter;

  constructor(private readonly o: StoreSubmitterOptions) {
    this.limiter = new RateLimiter({ limit: o.perMinute, windowMs: 60_000, clock: o.clock });
  }

  async submit(account: SmppAccount, m: SmppSubmission): Promise<string> {
    if (!this.limiter.allow(account.login)) {
      throw new SubmitThrottledError(`account "${account.login}" is over its ${this.o.perMinute} messages per minute`);
    }
    let r;
    try {
      const receipt = m.registeredDelivery === 0 ? undefined : { when: m.registeredDelivery === 1 ? ('final' as const) : ('failure' as const), originator: m.from };
      r = await enqueueNotification(
        this.o.store,
        { to: m.to, text: m.text, account: account.login, ...(receipt ? { extra: { smppReceipt: receipt }, report: true } : {}) },
        this.o.phoneRule,
        { clock: this.o.clock, pinFor: this.o.pinFor },
      );
    } catch (e) {
      if (e instanceof InvalidRequestError) throw new InvalidMessageError(e.message);
      throw e;
    }
    const rejected = r.rejected[0];
    if (rejected) {
      // An opted-out subscriber is refused like a bad number: the client must not retry it.
      throw new InvalidDestinationError(rejected.message);
    }
    this.o.onEnqueued?.();
    return r.ids[0]!;
  }
}
