/**
 * The route contract: what every consumer of inbound SMS and calls implements (commands, the
 * `login: ` prefix, live web chats, last sender, dedicated numbers). The pipeline (pipeline.ts)
 * offers each stored, unrouted entry to its routes in order; the first claim wins.
 */
import type { InboxEntry, InboxStatus, NewForward } from '../store/types.js';

/** What a route says when it takes an entry; recorded on the entry in the same write that marks it handled. */
export interface RouteClaim {
  /** 'command' | 'prefix' | 'chat' | 'last-sender' | 'number' | … ('none' is the pipeline's own fallback). */
  routedBy: string;
  /** Entry status to record; default 'processed'. */
  status?: InboxStatus;
  /** Owning account login, when the route assigns one (accounts issue). */
  account?: string | null;
  /** Route-specific fields stored on the entry under `route` (e.g. { conversationId }). */
  target?: Record<string, unknown>;
  /** Extra entry fields to write in the same update (e.g. command, replies, text with a prefix removed). */
  patch?: Partial<Omit<InboxEntry, 'id'>>;
  /**
   * Deliveries to the owning account (webhook, e-mail) stored in the SAME write as the claim
   * (`Store.routeInbound`): a crash can never leave a routed entry without its forwards, nor
   * forwards for an entry that was not routed.
   */
  forwards?: NewForward[];
}

export interface InboundRoute {
  readonly name: string;
  /** undefined = pass to the next route. Must be idempotent: re-run for entries left unrouted by a crash. */
  route(entry: InboxEntry): Promise<RouteClaim | undefined>;
  /**
   * Optional follow-up once this route's claim is recorded (wake a worker, push to an open chat
   * page). Best effort: it runs after the write, so a crash can skip it; anything that must not be
   * lost belongs in the store before the claim is returned (e.g. a queued delivery job).
   */
  afterClaim?(entry: InboxEntry): Promise<void> | void;
}
