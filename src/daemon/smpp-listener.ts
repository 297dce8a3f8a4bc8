/**
 * Wiring of the SMPP listener (`smpp.enabled`): the SmppServer with its ports on the store —
 * accounts by their SMPP password hash, submissions as account jobs, the DeliverQueue on the
 * account's `smpp` forwards — plus the two hooks the composition root calls: forwards just stored
 * (wake the account's sessions) and a job's final delivery (queue the receipt it asked for).
 */
import type { Config } from '../config/config.js';
import type { DeliveryFinal } from '../delivery/index.js';
import type { PinForAccount } from '../queue/account-pin.js';
import { ForwardDeliverQueue, receiptFor, receiptForUnsent, SmppServer, StoredSmppAccounts, StoreSubmitter, type ReceiptForSmpp } from '../smpp/index.js';
import type { Forward, Job, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

export interface SmppListener {
  address: { host: string; port: number };
  server: SmppServer;
  /** Forwards on channel `smpp` were stored (a route's claim, a receipt, `forwards retry`). */
  pulled(forwards: readonly Forward[]): void;
  /** A job's delivery turned final (before the state is written: at least once): queue its receipt. */
  receipt(e: DeliveryFinal): Promise<void>;
  /**
   * The worker failed a job before any part left (no status report will come): queue its UNDELIV
   * receipt. After the job's write, so a crash in between loses this one receipt (the job stays failed).
   */
  unsent(job: Job): Promise<void>;
  stop(): Promise<void>;
}

export interface SmppListenerOptions {
  cfg: Config;
  store: Store;
  /** Wake the queue workers after a submit. */
  kick: () => void;
  pinFor?: PinForAccount;
  clock: Clock;
  logger: Logger;
}

export async function startSmppListener(o: SmppListenerOptions): Promise<SmppListener> {
  const queue = new ForwardDeliverQueue(o.store, o.clock);
  const server = new SmppServer({
    config: o.cfg.smpp,
    accounts: new StoredSmppAccounts((login) => o.store.getAccount(login)),
    submitter: new StoreSubmitter({ store: o.store, phoneRule: { country: o.cfg.country }, perMinute: o.cfg.smpp.submitPerMinute, onEnqueued: o.kick, pinFor: o.pinFor, clock: o.clock }),
    deliverQueue: queue,
    clock: o.clock,
    logger: o.logger,
  });
  const address = await server.start();
  // A receipt exists only for a job with an account (receiptFor* check it).
  const queueReceipt = async (job: Job, r: ReceiptForSmpp | undefined): Promise<void> => {
    if (!r) return;
    await queue.enqueue(job.account!, r);
    server.notify(job.account!);
  };
  return {
    address,
    server,
    pulled: (forwards) => {
      for (const login of new Set(forwards.filter((f) => f.channel === 'smpp').map((f) => f.account))) server.notify(login);
    },
    receipt: (e) => queueReceipt(e.job, receiptFor(e.job, e.delivery, new Date(o.clock.now()).toISOString())),
    unsent: (job) => queueReceipt(job, receiptForUnsent(job, new Date(o.clock.now()).toISOString())),
    stop: () => server.stop(),
  };
}
