/**
 * Record ids. Inbox and job ids carry a sequence number (`in-1234`, `job-1234`) so LowdbStore finds the
 * segment holding a record from its id alone (seq / segmentSize) without an id index.
 */

export function inboxId(seq: number): string {
  return `in-${seq}`;
}

export function jobId(seq: number): string {
  return `job-${seq}`;
}

export function forwardId(seq: number): string {
  return `fwd-${seq}`;
}

/** The sequence number of an id made by `inboxId`/`jobId`/`forwardId`, or undefined for anything else. */
export function seqOf(id: string, prefix: 'in' | 'job' | 'fwd'): number | undefined {
  if (!id.startsWith(prefix + '-')) return undefined;
  const digits = id.slice(prefix.length + 1);
  if (!/^(0|[1-9]\d{0,15})$/.test(digits)) return undefined;
  return Number(digits);
}
