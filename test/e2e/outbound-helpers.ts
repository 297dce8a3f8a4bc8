/** Helpers shared by the outbound end-to-end tests: CLI-style ops through the spool, readings of the store. */
import { SpoolClient, type Job } from '../../src/store/index.js';
import type { CampaignResult } from '../../src/queue/index.js';
import type { Harness as FullHarness } from '../helpers/harness.js';

/** What the helpers use of a harness (the one-modem and the pool harness both have it). */
type Harness = Pick<FullHarness, 'dataDir' | 'readStore'>;

/** Submit one op the way a CLI does while the server runs: through the spool, applied by the server. */
export function spoolOp<R>(h: Harness, op: string, args: unknown): Promise<R> {
  return new SpoolClient(h.dataDir).submit<R>(op, args, { timeoutMs: 20_000 });
}

/** Register clients through the running server. */
export async function addClients(h: Harness, phones: string[]): Promise<void> {
  for (const [i, phone] of phones.entries()) {
    await spoolOp(h, 'clients.add', { phone, code: String(1000 + i), login: `user${i}`, password: `pw${i}secret` });
  }
}

export interface SendResult {
  ids: string[];
  jobs: { id: string; to: string; state: string }[];
  rejected: { to: string; error: string; message: string }[];
}

export const send = (h: Harness, to: string | string[], text: string) => spoolOp<SendResult>(h, 'send', { to, text });

export const mass = (h: Harness, numbers: string[], text: string, name?: string) =>
  spoolOp<CampaignResult>(h, 'mass', { text, name, fileText: numbers.join('\n') + '\n' });

/** `count` distinct Russian mobile numbers starting at +7 901 000 00 00 + `from`. */
export function numbers(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `+7901${String(from + i).padStart(7, '0')}`);
}

/** Every job in the data folder (read-only view: what the CLI sees). */
export async function allJobs(h: Harness): Promise<Job[]> {
  const ro = await h.readStore();
  try {
    return await ro.listJobs({ limit: 1_000_000 });
  } finally {
    await ro.close();
  }
}

export async function job(h: Harness, id: string): Promise<Job | undefined> {
  const ro = await h.readStore();
  try {
    return await ro.getJob(id);
  } finally {
    await ro.close();
  }
}
