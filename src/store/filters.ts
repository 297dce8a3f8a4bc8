/** Filter predicates and count shapes shared by MemoryStore and LowdbStore so both answer alike. */
import type { Campaign, ChatSession, ChatSessionFilter, InboxEntry, InboxFilter, Job, JobFilter, JobState, QueueCounts } from './types.js';
import { PRIORITY_ORDER } from './types.js';

export const JOB_STATES: readonly JobState[] = ['queued', 'sending', 'sent', 'failed', 'unknown'];

/** States in which a job may still be (re)sent: segments holding one stay "open" in LowdbStore. */
export function isPending(state: JobState): boolean {
  return state === 'queued' || state === 'sending';
}

export function emptyStateCounts(): Record<JobState, number> {
  return { queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
}

export function emptyQueueCounts(): QueueCounts {
  return { byPriority: { reply: 0, notification: 0, mass: 0 }, byState: emptyStateCounts() };
}

/** Epoch ms of an ISO string; a bad value sorts as "now or never" is the caller's choice, so throw. */
export function isoMs(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not an ISO date: ${JSON.stringify(iso)}`);
  return ms;
}

/** Compiles an InboxFilter (without limit) into a predicate. */
export function inboxPredicate(filter: InboxFilter = {}): (e: InboxEntry) => boolean {
  const sinceMs = filter.since === undefined ? undefined : isoMs(filter.since, 'since');
  return (e) =>
    (filter.from === undefined || e.from === filter.from) &&
    (filter.status === undefined || e.status === filter.status) &&
    (filter.account === undefined || e.account === filter.account) &&
    (sinceMs === undefined || Date.parse(e.receivedAt) >= sinceMs);
}

/** Compiles a JobFilter (without limit) into a predicate. */
export function jobPredicate(filter: JobFilter = {}): (j: Job) => boolean {
  const sinceMs = filter.since === undefined ? undefined : isoMs(filter.since, 'since');
  const untilMs = filter.until === undefined ? undefined : isoMs(filter.until, 'until');
  const field = filter.timeField ?? 'createdAt';
  if (field !== 'createdAt' && field !== 'sentAt') throw new RangeError(`timeField must be createdAt or sentAt, got ${JSON.stringify(field)}`);
  const timed = sinceMs !== undefined || untilMs !== undefined;
  return (j) => {
    if (filter.state !== undefined && j.state !== filter.state) return false;
    if (filter.priority !== undefined && j.priority !== filter.priority) return false;
    if (filter.campaignId !== undefined && j.campaignId !== filter.campaignId) return false;
    if (filter.to !== undefined && j.to !== filter.to) return false;
    if (filter.account !== undefined && j.account !== filter.account) return false;
    if (filter.modem !== undefined && j.modem !== filter.modem) return false;
    if (!timed) return true;
    const t = j[field];
    if (t === undefined) return false;
    const ms = Date.parse(t);
    return (sinceMs === undefined || ms >= sinceMs) && (untilMs === undefined || ms < untilMs);
  };
}

/** Oldest first (by createdAt, then id): the order of listCampaigns. */
export function compareCampaigns(a: Campaign, b: Campaign): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Validates a limit: undefined means no limit. */
export function limitOf(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

export function priorityRank(p: Job['priority']): number {
  const r = PRIORITY_ORDER.indexOf(p);
  if (r < 0) throw new RangeError(`unknown job priority ${JSON.stringify(p)}`);
  return r;
}

/** Chat sessions matching a filter, oldest first (by createdAt), as copies. Both backends list with it. */
export function selectChatSessions(all: Iterable<ChatSession>, f: ChatSessionFilter = {}): ChatSession[] {
  return [...all]
    .filter((s) => (!f.live || !s.endedAt) && (!f.since || s.createdAt >= f.since))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
    .map((s) => structuredClone(s));
}
