/**
 * Send failures through the real serial path: a transient CMS error is retried, an invalid number
 * fails at once, and a modem that goes silent after the PDU was written leaves an unknown outcome
 * (held, or re-sent once and counted as a possible duplicate in `outbox --json`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/store/index.js';
import { buildCli, type BuiltCli } from '../helpers/cli.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { job, send } from './outbound-helpers.js';

let h: Harness | undefined;
let cli: BuiltCli;
beforeAll(() => {
  cli = buildCli();
}, 120_000);
afterAll(() => cli?.remove());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TO = '+79001234567';

/** Wedge the simulated modem once, after the PDU of the first AT+CMGS went in but before `+CMGS:` comes out. */
function hangDuringNextSend(hh: Harness, hangMs: number): void {
  let armed = true;
  hh.sim.modem.on('command', (line: string) => {
    if (!armed || !line.toUpperCase().startsWith('AT+CMGS=')) return;
    armed = false;
    // The host writes the PDU right after the prompt; the sim's send delay (500 ms) is running by 250 ms.
    setTimeout(() => hh.sim.modem.faults.hang(hangMs), 250);
  });
}

async function waitState(id: string, state: Job['state'], ms = 15_000): Promise<Job> {
  return waitFor(async () => {
    const j = await job(h!, id);
    return j?.state === state ? j : undefined;
  }, `job ${id} ${state}`, ms);
}

describe('send failures', () => {
  it('retries after CMS 500 and sends on the second attempt', async () => {
    h = await startHarness({ config: { queue: { retryBaseSeconds: 1 } } });
    h.sim.modem.faults.cmsOnNextSend(500);
    const { ids } = await send(h, TO, 'Your parcel has arrived.');
    const j = await waitState(ids[0]!, 'sent');
    expect(j.attempts).toBe(2);
    expect(j.lastError).toMatch(/500/);
    expect(h.sim.modem.sent.filter((s) => s.text === 'Your parcel has arrived.')).toHaveLength(1);
  });

  it('fails at once on CMS 21 (number refused), and refuses malformed numbers before queueing', async () => {
    h = await startHarness({ config: { queue: { retryBaseSeconds: 1 } } });
    h.sim.modem.faults.cmsOnNextSend(21);
    const { ids } = await send(h, TO, 'To a number the SMSC refuses.');
    const j = await waitState(ids[0]!, 'failed');
    expect(j).toMatchObject({ attempts: 1, reason: 'invalid-number' });
    expect(j.lastError).toMatch(/21/);
    // Still failed a moment later: not retried.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await job(h, ids[0]!))!.attempts).toBe(1);

    const bad = await send(h, ['+12', 'call-me'], 'never queued');
    expect(bad.ids).toEqual([]);
    expect(bad.rejected.map((r) => [r.to, r.error])).toEqual([
      ['+12', 'invalid-number'],
      ['call-me', 'invalid-number'],
    ]);
  });

  it('holds a job whose send timed out after the PDU was written (onUnknown: hold)', async () => {
    h = await startHarness({
      sim: { sendDelayMs: 500 },
      config: { queue: { onUnknown: 'hold' }, modem: { sendTimeoutSeconds: 2 } },
    });
    hangDuringNextSend(h, 3000);
    const { ids } = await send(h, TO, 'Maybe sent.');
    const j = await waitState(ids[0]!, 'unknown', 20_000);
    expect(j.attempts).toBe(1);
    expect(j.lastError).toMatch(/timeout|timed out/i);
    // The network did get it (the modem accepted it before wedging), and it was not re-sent.
    await waitFor(() => h!.server?.supervisor.state === 'ready', 'modem recovered', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.sim.modem.sent.filter((s) => s.text === 'Maybe sent.')).toHaveLength(1);
  });

  it('re-sends an unknown outcome once (resend-once) and shows the duplicate in outbox --json', async () => {
    h = await startHarness({
      sim: { sendDelayMs: 500 },
      config: { queue: { onUnknown: 'resend-once', unknownResendSeconds: 1 }, modem: { sendTimeoutSeconds: 2 } },
    });
    hangDuringNextSend(h, 3000);
    const { ids } = await send(h, TO, 'Sent twice, probably.');
    const j = await waitState(ids[0]!, 'sent', 30_000);
    expect(j).toMatchObject({ attempts: 2, duplicates: 1 });
    expect(j.lastError).toMatch(/timeout|timed out/i);
    // The phone really got it twice: that is what `duplicates` warns about.
    expect(h.sim.modem.sent.filter((s) => s.text === 'Sent twice, probably.')).toHaveLength(2);

    const out = await cli.run(['outbox', '--json', '--data', h.dataDir]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const rows = JSON.parse(out.stdout) as { id: string; duplicates: number; state: string; attempts: number }[];
    expect(rows.find((r) => r.id === ids[0])).toMatchObject({ duplicates: 1, state: 'sent', attempts: 2 });
    const table = await cli.run(['outbox', '--data', h.dataDir]);
    expect(table.stdout).toContain('possible duplicates sent: 1');
  });
});
