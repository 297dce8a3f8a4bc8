import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTranscript, replayTranscript } from './replay.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'transcripts');
const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();

describe('recorded transcripts replayed through SerialTransport + AtEngine on a PTY', () => {
  it('has at least two transcripts', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const f of files) {
    it(f, async () => {
      const report = await replayTranscript(loadTranscript(join(dir, f)));
      expect(report.txMismatches).toEqual([]);
      expect(report.actual).toEqual(report.expected);
    });
  }
});

describe('replay harness self-check', () => {
  it('notices misfiled lines: the Huawei transcript without its profile no longer matches', async () => {
    const entries = loadTranscript(join(dir, 'huawei-e173-rssi-noise.jsonl')).filter((e) => e.dir !== 'meta');
    const report = await replayTranscript(entries);
    expect(report.actual.noise).toEqual([]);
    // COMMAND NOT SUPPORT is no final for a generic modem: AT+CNMA runs into its timeout.
    expect(report.actual.results[2]).toEqual({ error: 'AtTimeoutError' });
    expect(report.actual).not.toEqual(report.expected);
  });
});
