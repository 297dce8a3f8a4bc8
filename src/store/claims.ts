/**
 * The rules of claims and leases, shared by every backend so they answer alike: which jobs a
 * claimer may take, what a claim writes, and how a patch keeps `lease` only on `sending` jobs.
 */
import { isoMs } from './filters.js';
import type { ClaimOptions, Job } from './types.js';

/** A job pinned to another modem is not for this claimer; an omitted `modem` takes everything. */
export function matchesModem(job: Pick<Job, 'modem'>, modem: string | undefined): boolean {
  return modem === undefined || job.modem === undefined || job.modem === modem;
}

/** The first part (1-based) the modem has not accepted yet: where a send (re)starts. */
export function firstUnsentSeq(job: Pick<Job, 'parts'>): number {
  let seq = 1;
  while (job.parts?.some((p) => p.seq === seq && p.mr !== undefined)) seq++;
  return seq;
}

export function validateClaim(o: Pick<ClaimOptions, 'owner' | 'leaseMs'>): void {
  if (typeof o.owner !== 'string' || o.owner === '') throw new RangeError('claim owner must be a non-empty string');
  if (!Number.isFinite(o.leaseMs) || o.leaseMs <= 0) throw new RangeError(`leaseMs must be a positive number, got ${o.leaseMs}`);
}

/**
 * What a claim writes: an attempt starts, under a lease, with the crash marker on the first unsent
 * part; a claimer serving one modem is recorded as `via`.
 */
export function claimPatch(job: Job, o: Pick<ClaimOptions, 'owner' | 'leaseMs' | 'modem'>, nowMs: number): Partial<Job> {
  const now = new Date(nowMs).toISOString();
  return {
    state: 'sending',
    attempts: job.attempts + 1,
    lease: { owner: o.owner, until: new Date(nowMs + o.leaseMs).toISOString() },
    writing: { seq: firstUnsentSeq(job), at: now },
    ...(o.modem !== undefined ? { via: o.modem } : {}),
    updatedAt: now,
  };
}

/** A `sending` job its owner's restart, or anyone once the lease expired, must judge. */
export function isStrandedFor(job: Job, owner: string, nowMs: number): boolean {
  if (job.state !== 'sending') return false;
  const lease = job.lease;
  return lease === undefined || lease.owner === owner || isoMs(lease.until, 'lease.until') <= nowMs;
}

/** Applies a patch in place: stamps updatedAt (unless given) and drops the lease of a job leaving `sending`. */
export function applyJobPatch(job: Job, patch: Partial<Job>, nowIso: string): Job {
  Object.assign(job, patch, { updatedAt: patch.updatedAt ?? nowIso });
  if (job.state !== 'sending') delete job.lease;
  return job;
}
