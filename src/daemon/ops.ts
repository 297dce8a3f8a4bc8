/**
 * Operations that change the data folder on behalf of the CLI. The same functions run in the CLI
 * process (when no server holds the lock) or inside the server (handed over through the spool),
 * so "server up" and "server down" behave the same and there is only ever one writer.
 */
import {
  AccountError,
  accountView,
  changeAccount,
  checkStoredCredentials,
  createAccount,
  deleteAccount,
  normalizeLogin,
  rotateCredentials,
  type AccountChanges,
  type AccountInput,
} from '../accounts/index.js';
import { addClient, importClients, removeClient } from '../commands/index.js';
import { rearmForward } from '../forward/retry.js';
import type { Forward } from '../store/types.js';
import { accountPin, cancelCampaign, createCampaign, enqueueNotification, type ReplyModem } from '../queue/index.js';
import { SelfService, type SelfServiceSettings } from '../selfservice/index.js';
import type { Store, StoreOp } from '../store/index.js';
import { normalizePhone } from '../util/phone.js';
import type { PhoneOptions } from '../util/phone.js';
import { moduleLogger, type Logger } from '../util/log.js';

export interface OpsContext {
  dataDir: string;
  phoneRule: PhoneOptions;
  key: Buffer;
  logger?: Logger;
  /** Called after jobs were queued (the server wakes its worker). */
  onEnqueued?: () => void;
  /** The server's instance (one serialiser per number); the CLI's direct mode builds one from the settings. */
  selfService?: SelfService;
  selfServiceSettings?: SelfServiceSettings;
  /** The running server's forward dispatcher: a re-armed forward is delivered at once, not at the next start. */
  forwards?: { retry(id: string): Promise<Forward> };
  /** The configured modem with this SIM number: an account's jobs go through its dedicated number's modem (queue/account-pin.ts). */
  modemForNumber?: (number: string) => string | undefined;
  /** In a running pool: the modem a subscriber last texted an account through (queue/reply-affinity.ts). */
  replyModem?: ReplyModem;
}

/** `accounts add` / `rotate`: credentials made (and shown) by the CLI; only their stored forms travel. */
export interface StoredCredentialArgs {
  tokenHash: string;
  webhookSecretEnc: string;
}

export interface ClientAddArgs {
  phone: string;
  code: string;
  login: string;
  password: string;
  optIn?: boolean;
  force?: boolean;
}

export class UnknownOpError extends Error {
  readonly code = 'UNKNOWN_OP';
  constructor(op: string) {
    super(`unknown operation "${op}"`);
  }
}

/** The stored login of an existing account (`send --account`, `mass --account`), or AccountError. */
async function requireAccount(store: Store, login: string): Promise<string> {
  const key = normalizeLogin(login);
  if (!(await store.getAccount(key))) throw new AccountError('ACCOUNT_NOT_FOUND', `no account "${key}" (see \`sms-server accounts list\`)`);
  return key;
}

export function makeOps(ctx: OpsContext): StoreOp {
  const log = moduleLogger(ctx.logger, 'ops');
  const pinFor = (store: Store) => (ctx.modemForNumber ? accountPin(store, ctx.modemForNumber, ctx.replyModem) : undefined);
  let ownSelfService: SelfService | undefined;
  const selfService = (store: Store): SelfService => {
    if (ctx.selfService) return ctx.selfService;
    if (!ctx.selfServiceSettings) throw new UnknownOpError('selfservice (not configured in this process)');
    return (ownSelfService ??= new SelfService({ repo: store, settings: ctx.selfServiceSettings, key: ctx.key, logger: ctx.logger }));
  };
  const phoneArg = (args: unknown) => normalizePhone((args as { phone: string }).phone, ctx.phoneRule);
  return async (store, op, args, requestId) => {
    switch (op) {
      case 'clients.add': {
        const a = args as ClientAddArgs;
        const { client, created } = await addClient(
          store,
          { phone: a.phone, code: a.code, login: a.login, password: a.password, optIn: a.optIn },
          ctx.key,
          ctx.phoneRule,
          { upsert: a.force },
        );
        log.info({ phone: client.phone, created }, 'client saved');
        return { phone: client.phone, created, optIn: client.optIn };
      }
      case 'clients.remove': {
        const removed = await removeClient(store, (args as { phone: string }).phone, ctx.phoneRule);
        return { removed };
      }
      case 'clients.import': {
        const r = await importClients(store, (args as { csv: string }).csv, ctx.key, ctx.phoneRule);
        log.info({ added: r.added, updated: r.updated, errors: r.errors.length }, 'clients imported');
        return r;
      }
      case 'send': {
        const a = args as { to: string | string[]; text: string; account?: string; report?: boolean };
        const account = a.account === undefined ? undefined : await requireAccount(store, a.account);
        const r = await enqueueNotification(store, { to: a.to, text: a.text, account, ...(a.report !== undefined ? { report: a.report } : {}) }, ctx.phoneRule, { pinFor: pinFor(store) });
        if (r.ids.length) ctx.onEnqueued?.();
        return { ids: r.ids, jobs: r.jobs.map((j) => ({ id: j.id, to: j.to, state: j.state })), rejected: r.rejected };
      }
      case 'mass': {
        const a = args as { text: string; name?: string; fileText: string; strict?: boolean; account?: string };
        const account = a.account === undefined ? undefined : await requireAccount(store, a.account);
        // The campaign id is the request's: a request applied again after a crash resumes it.
        const r = await createCampaign(store, { text: a.text, name: a.name, fileText: a.fileText, strict: a.strict, account }, ctx.phoneRule, {
          campaignId: `cmp-${requestId}`,
          pinFor: pinFor(store),
        });
        ctx.onEnqueued?.();
        log.info({ campaign: r.campaignId, enqueued: r.enqueued, skippedOptOut: r.skippedOptOut, invalid: r.invalid.length }, 'mass text queued');
        return r;
      }
      case 'mass.cancel': {
        const { id, by } = args as { id: string; by?: string };
        const r = await cancelCampaign(store, id);
        log.info({ campaign: id, cancelled: r.cancelled, sending: r.sending, by: by ?? 'cli' }, 'campaign cancelled');
        return r;
      }
      case 'accounts.add': {
        const a = args as AccountInput & StoredCredentialArgs;
        const creds = checkStoredCredentials(a, ctx.key);
        const account = await createAccount(store, a, creds, ctx.phoneRule, new Date());
        log.info({ account: account.login }, 'account added');
        return accountView(account);
      }
      case 'accounts.set': {
        const a = args as { login: string } & AccountChanges;
        const account = await changeAccount(store, a.login, { name: a.name, webhook: a.webhook, email: a.email, number: a.number, smppPasswordHash: a.smppPasswordHash }, ctx.phoneRule, new Date());
        // Which fields changed, never their values (the SMPP password hash included).
        log.info({ account: account.login, changed: Object.keys(a).filter((k) => k !== 'login' && a[k as keyof AccountChanges] !== undefined) }, 'account changed');
        return accountView(account);
      }
      case 'accounts.rotate': {
        const a = args as { login: string } & StoredCredentialArgs;
        const account = await rotateCredentials(store, a.login, checkStoredCredentials(a, ctx.key), new Date());
        log.info({ account: account.login }, 'account credentials rotated');
        return accountView(account);
      }
      case 'accounts.remove': {
        const removed = await deleteAccount(store, (args as { login: string }).login);
        if (removed) log.info({ account: (args as { login: string }).login }, 'account removed');
        return { removed };
      }
      case 'forwards.retry': {
        const { id, by } = args as { id: string; by?: string };
        const f = ctx.forwards ? await ctx.forwards.retry(id) : await rearmForward(store, id, new Date().toISOString());
        log.info({ forward: f.id, by: by ?? 'cli' }, 'forward re-armed');
        return { id: f.id, status: f.status, nextAttemptAt: f.nextAttemptAt };
      }
      case 'selfservice.verify':
        return selfService(store).verify(phoneArg(args), (args as { code: string }).code);
      case 'selfservice.unlock':
        return selfService(store).unlock(phoneArg(args));
      case 'selfservice.deactivate':
        return selfService(store).deactivate(phoneArg(args));
      default:
        throw new UnknownOpError(op);
    }
  };
}
