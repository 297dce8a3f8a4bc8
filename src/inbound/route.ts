/**
 * The route contract of the inbound pipeline: after an SMS or call is stored, routes are asked in
 * order; the first claim wins and is recorded on the entry in the same store write.
 * (Placeholder with the agreed contract until the pipeline lands on main.)
 */
import type { NewForward } from '../store/account-types.js';
import type { InboxEntry, InboxStatus } from '../store/types.js';

export interface RouteClaim {
  routedBy: string;
  status?: InboxStatus;
  account?: string | null;
  target?: Record<string, unknown>;
  patch?: Partial<Omit<InboxEntry, 'id'>>;
  /** Forwards to store in the same write that records the claim (nothing lost between the two). */
  forwards?: NewForward[];
}

export interface InboundRoute {
  readonly name: string;
  route(entry: InboxEntry): Promise<RouteClaim | undefined>;
}
