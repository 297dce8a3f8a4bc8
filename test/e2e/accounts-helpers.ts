/**
 * Shared steps of the accounts end-to-end tests (issue 11): accounts created through the running
 * server's spool exactly as `sms-server accounts add` does (credentials made on the CLI side), waits
 * on routed inbox entries, and webhook checks with the `standardwebhooks` package (not our code).
 */
import { Webhook } from 'standardwebhooks';
import { makeCredentials } from '../../src/accounts/credentials.js';
import type { AccountView } from '../../src/accounts/service.js';
import type { Forward, InboxEntry } from '../../src/store/index.js';
import { loadOrCreateKey } from '../../src/util/secret.js';
import { waitFor, type Harness } from '../helpers/harness.js';
import type { OffsetClock } from '../helpers/offset-clock.js';
import type { ReceivedRequest } from '../helpers/webhook-receiver.js';
import { cliOp } from './customer-helpers.js';

export interface CreatedAccount extends AccountView {
  token: string;
  webhookSecret: string;
}

/** `accounts add` through the running server; returns the view plus the once-shown token and secret. */
export async function addAccount(h: Pick<Harness, 'dataDir'>, a: { login: string; name?: string; webhook?: string; email?: string; number?: string }): Promise<CreatedAccount> {
  const creds = makeCredentials(loadOrCreateKey({ dataDir: h.dataDir }));
  const view = await cliOp<AccountView>(h, 'accounts.add', { ...a, tokenHash: creds.tokenHash, webhookSecretEnc: creds.webhookSecretEnc });
  return { ...view, token: creds.token, webhookSecret: creds.webhookSecret };
}

/** The routed inbox entry matching `pred` (routing recorded: `routedBy` set). */
export function routed(h: Harness, pred: (e: InboxEntry) => boolean, what: string, timeoutMs = 15_000): Promise<InboxEntry> {
  return waitFor(async () => (await h.server!.store.listInbound({ limit: 200 })).find((e) => e.routedBy !== undefined && pred(e)), what, timeoutMs);
}

/** Forwards about one inbox entry, once `n` exist and `done(f)` holds for each. */
export function forwardsOf(h: Harness, ref: string, n: number, done: (f: Forward) => boolean, what: string, timeoutMs = 15_000): Promise<Forward[]> {
  return waitFor(async () => {
    const list = await h.server!.store.listForwards({ ref });
    return list.length === n && list.every(done) ? list : undefined;
  }, what, timeoutMs);
}

/**
 * Verifies one received webhook with the standardwebhooks package (timestamp tolerance against the
 * server's clock when it jumped ahead); returns the payload. Throws on a bad signature.
 */
export function verifyWebhook(secret: string, r: ReceivedRequest, clock?: OffsetClock): Record<string, unknown> {
  const wh = new Webhook(secret);
  const run = () => wh.verify(r.body, r.headers) as Record<string, unknown>;
  return clock ? clock.withDateNow(run) : run();
}

/** Requests whose body names this inbox entry. */
export function requestsFor(requests: ReceivedRequest[], entryId: string): ReceivedRequest[] {
  return requests.filter((r) => (JSON.parse(r.body) as { id?: string }).id === entryId);
}
