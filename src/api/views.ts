/**
 * The JSON shapes the loopback API and the CLI print: a contract for scripts and integrations.
 */
import type { InboxEntry, Job } from '../store/types.js';

/**
 * The JSON shape of an inbox entry (a contract for scripts: id, from, text, receivedAt, status,
 * parts; issue 11 adds account — login or null —, routedBy and to — the SIM's number or null).
 */
export function inboxJson(e: InboxEntry): Record<string, unknown> {
  return {
    id: e.id,
    from: e.from,
    to: e.to ?? null,
    text: e.text,
    receivedAt: e.receivedAt,
    status: e.status,
    parts: e.parts,
    account: e.account ?? null,
    routedBy: e.routedBy ?? null,
    ...(e.originalText !== undefined ? { originalText: e.originalText } : {}),
    ...(e.sentAt ? { sentAt: e.sentAt } : {}),
    ...(e.command ? { command: e.command } : {}),
    ...(e.incomplete ? { incomplete: e.incomplete } : {}),
    ...(e.encoding ? { encoding: e.encoding } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(e.replies?.length ? { replies: e.replies } : {}),
    ...(e.status === 'error' && e.raw ? { raw: e.raw } : {}),
  };
}

/** What GET /messages/:id shows of a job. */
export function jobView(j: Job) {
  return {
    id: j.id,
    to: j.to,
    state: j.state,
    priority: j.priority,
    attempts: j.attempts,
    lastError: j.lastError ?? null,
    reason: j.reason ?? null,
    createdAt: j.createdAt,
    sentAt: j.sentAt ?? null,
    parts: j.parts ?? [],
    duplicates: j.duplicates ?? 0,
    account: j.account ?? null,
  };
}
