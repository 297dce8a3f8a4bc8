/**
 * The inbound pipeline: after an SMS or a call is stored, its entry is offered to an ordered list
 * of routes; the first claim wins and is recorded on the entry (`routedBy`, `account`, `route`,
 * the route's patch and the final status) in ONE store write, the same write that takes it out of
 * the unrouted set. Nothing claiming it → `ignored` (a call stays `call`) with `routedBy: 'none'`.
 *
 * Crash safety: an entry is unrouted while `routedBy` is unset and its status is `new` (or `call`).
 * `resume()` offers such entries again at start, so routes must be idempotent (the command route
 * records its intent first and never queues a reply twice).
 */
import type { Forward, InboxEntry, InboxStatus, Store } from '../store/types.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { InboundRoute, RouteClaim } from './route.js';

/** `routedBy` of entries that no route claimed. */
export const NO_ROUTE = 'none';

export interface InboundPipelineOptions {
  store: Store;
  /** In order of precedence; more can be added with `add()`. */
  routes?: InboundRoute[];
  /** Called after every recorded claim or fallback (the server wakes the queue worker). */
  onRouted?: (entry: InboxEntry) => void;
  /** Called with the forwards a claim stored (the server hands them to the forward dispatcher). */
  onForwards?: (forwards: Forward[]) => void;
  logger?: Logger;
}

export class RouteError extends Error {
  readonly code = 'ROUTE_FAILED';
  constructor(
    readonly route: string,
    readonly entryId: string,
    cause: unknown,
  ) {
    super(`route "${route}" failed on inbox entry ${entryId}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'RouteError';
  }
}

/** True while no route has recorded a decision for the entry. */
export function isUnrouted(e: InboxEntry): boolean {
  return e.routedBy === undefined && (e.status === 'new' || e.status === 'call');
}

export class InboundPipeline {
  private readonly store: Store;
  private readonly routes: InboundRoute[];
  private readonly onRouted?: (entry: InboxEntry) => void;
  private readonly onForwards?: (forwards: Forward[]) => void;
  private readonly log: Logger;
  /** Routes run one entry at a time: routes read-modify-write (opt-in lists, conversations). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(o: InboundPipelineOptions) {
    this.store = o.store;
    this.routes = [...(o.routes ?? [])];
    this.onRouted = o.onRouted;
    this.onForwards = o.onForwards;
    this.log = moduleLogger(o.logger, 'inbound');
  }

  /** Append a route, or insert it before the route named `before`. Names are unique. */
  add(route: InboundRoute, o: { before?: string } = {}): this {
    if (this.routes.some((r) => r.name === route.name)) throw new Error(`inbound route "${route.name}" is already registered`);
    const at = o.before === undefined ? -1 : this.routes.findIndex((r) => r.name === o.before);
    if (o.before !== undefined && at < 0) throw new Error(`no inbound route "${o.before}" to insert "${route.name}" before`);
    if (at < 0) this.routes.push(route);
    else this.routes.splice(at, 0, route);
    return this;
  }

  /** Route names in order. */
  get names(): string[] {
    return this.routes.map((r) => r.name);
  }

  /**
   * Route one stored entry and return it as recorded. An entry already routed (a stale copy, a
   * second call) is returned unchanged. A route that throws stops the walk (a later route must not
   * take what an earlier one would have claimed) with a RouteError; the entry stays unrouted for
   * the next `resume()`.
   */
  route(entry: InboxEntry): Promise<InboxEntry> {
    const run = this.tail.then(() => this.routeNow(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async routeNow(given: InboxEntry): Promise<InboxEntry> {
    // The caller's copy may be stale: the store decides whether it is still unrouted.
    const entry = (await this.store.getInbound(given.id)) ?? given;
    if (!isUnrouted(entry)) return entry;
    let claim: RouteClaim | undefined;
    let by: InboundRoute | undefined;
    for (const r of this.routes) {
      try {
        claim = await r.route(entry);
      } catch (e) {
        throw new RouteError(r.name, entry.id, e);
      }
      if (claim) {
        by = r;
        break;
      }
    }
    const record = claim ? recordOf(entry, claim) : fallbackOf(entry);
    // A claim's forwards are stored in the same write as the claim: never a routed entry without them.
    const { entry: recorded, forwards } = claim?.forwards?.length
      ? await this.store.routeInbound(entry.id, record, claim.forwards)
      : { entry: await this.store.updateInbound(entry.id, record), forwards: [] as Forward[] };
    this.log.debug({ entry: entry.id, routedBy: recorded.routedBy, status: recorded.status }, 'inbound routed');
    if (by?.afterClaim) {
      try {
        await by.afterClaim(recorded);
      } catch (e) {
        this.log.warn({ entry: entry.id, route: by.name, err: (e as Error).message }, 'follow-up after the claim failed');
      }
    }
    if (forwards.length) this.onForwards?.(forwards);
    this.onRouted?.(recorded);
    return recorded;
  }

  /**
   * Entries left unrouted by a crash between store and route, received at or after `since`
   * (bounded: without it the scan reads the whole history when nothing is pending). Each is
   * routed; a failing one is logged and left for the next start. Returns how many were routed.
   */
  async resume(since: Date, limit = 1000): Promise<number> {
    const iso = since.toISOString();
    const pending = [
      ...(await this.store.listInbound({ status: 'new', since: iso, limit })),
      ...(await this.store.listInbound({ status: 'call', since: iso, limit })).filter(isUnrouted),
    ].sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0));
    let n = 0;
    for (const e of pending) {
      try {
        await this.route(e);
        n++;
      } catch (err) {
        this.log.error({ entry: e.id, err: (err as Error).message }, 'routing failed; retried at the next start');
      }
    }
    if (n) this.log.info({ routed: n }, 'resumed entries left unrouted by a crash');
    return n;
  }
}

function recordOf(entry: InboxEntry, c: RouteClaim): Partial<Omit<InboxEntry, 'id'>> {
  const status: InboxStatus = c.status ?? (entry.status === 'call' ? 'call' : 'processed');
  return {
    ...c.patch,
    status,
    routedBy: c.routedBy,
    ...(c.account !== undefined ? { account: c.account } : {}),
    ...(c.target !== undefined ? { route: c.target } : {}),
  };
}

function fallbackOf(entry: InboxEntry): Partial<Omit<InboxEntry, 'id'>> {
  return { status: entry.status === 'call' ? 'call' : 'ignored', routedBy: NO_ROUTE };
}
