/**
 * Stored history for the storage benchmarks: inbox entries written straight into the documented
 * segment layout (src/store/lowdb/LAYOUT.md), since filling 1M entries through addInbound one fsync at a
 * time would take hours. Shared by store.mjs and storage.mjs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const SEG = 1000;

/** Inbox entry number i (realistic size: a processed CLIENT info with Cyrillic text). */
export const entry = (i) => ({
  id: `in-${i}`,
  from: '+7900' + String(1000000 + (i % 5000)),
  text: 'Hello, this is inbound message number ' + i + ' — with a bit of Cyrillic: Привет',
  receivedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  sentAt: '2026-01-01T03:00:00+03:00',
  status: 'processed',
  parts: 1,
  encoding: 'ucs2',
  command: 'info',
  replies: [`job-${i}`],
  dedupKey: `+7900${i}|260101030000|${(i * 2654435761 >>> 0).toString(16)}`,
});

/** Writes n inbox entries (ids in-0 … in-(n-1)) into `dir` as the store's segment files. */
export async function prefill(dir, n) {
  const month = '2026-01';
  await mkdir(path.join(dir, 'inbox', month), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'inbox', 'head.json'), JSON.stringify({ v: 1, segmentSize: SEG }), { mode: 0o600 });
  for (let seg = 0; seg * SEG < n; seg++) {
    const records = [];
    for (let i = seg * SEG; i < Math.min(n, (seg + 1) * SEG); i++) records.push(entry(i));
    const name = `seg-${String(seg).padStart(6, '0')}.json`;
    await writeFile(path.join(dir, 'inbox', month, name), JSON.stringify({ v: 1, n: seg, records }), { mode: 0o600 });
  }
}
