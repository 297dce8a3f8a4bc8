/**
 * Crash safety: the real server (`node dist/cli/main.js serve`) as a child process on the
 * simulated modem behind a pseudo-terminal, killed with SIGKILL 20 times at random (seeded)
 * moments of a 200-recipient mass text while SMS keep arriving, restarted after each kill.
 *
 * Invariants (the "done when"):
 * - every recipient got the SMS at least once (the modem's accepted-SUBMIT log);
 * - duplicates actually sent ≤ duplicates counted in `outbox --json` ≤ kills: a kill can leave at
 *   most one PDU in flight (the worker's `writing` marker), and each such job is re-sent at most
 *   once and counted when it is (`duplicates`), whether or not the first copy had gone out;
 * - every injected inbound SMS is in the inbox exactly once, and the SIM is empty at the end
 *   (never deleted before stored; re-reads after a kill are de-duplicated);
 * - every JSON file of the data folder parses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { LowdbStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/harness.js';
import { buildDist, CLI, corruptJsonFiles, phone, rng } from './helpers.js';

const RECIPIENTS = 200;
const KILLS = 20;
const INBOUND = 60;
const SEED = Number(process.env.KILL_LOOP_SEED ?? 20261122);

let dir: string;
let sim: RunningSimulator;
let child: ChildProcess | undefined;
let logFd: number;

beforeAll(() => {
  buildDist();
  dir = mkdtempSync(join(tmpdir(), 'sms-kill-'));
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.close();
  if (logFd !== undefined) closeSync(logFd);
  if (process.env.KEEP_KILL_LOOP_DIR) console.log(`kill loop data folder kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--data', dir], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startServe(device: string): ChildProcess {
  const c = spawn(process.execPath, [CLI, 'serve', '--device', device, '--data', dir, '--profile', 'generic'], {
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  return c;
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

describe('kill -9 loop during a mass text with inbound traffic', () => {
  it(`${KILLS} kills, ${RECIPIENTS} recipients, ${INBOUND} inbound SMS: nothing lost, duplicates counted`, async () => {
    const t0 = Date.now();
    const rand = rng(SEED);
    const device = join(dir, 'modem');
    logFd = openSync(join(dir, 'serve.log'), 'a');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        profile: 'generic',
        queue: { massPerMinute: 10_000, retryBaseSeconds: 1, unknownResendSeconds: 1 },
        inbound: { sweepSeconds: 2 },
      }),
    );
    // A network delay per SUBMIT so that kills land between Ctrl-Z and +CMGS.
    sim = await startSimulatorOnPty({ link: device, sendDelayMs: 60 });

    // The mass text is queued through the real CLI (direct mode: no server holds the lock yet).
    const csv = ['phone', ...Array.from({ length: RECIPIENTS }, (_, i) => phone(i))].join('\n') + '\n';
    writeFileSync(join(dir, 'recipients.csv'), csv);
    const mass = cli(['mass', '--file', join(dir, 'recipients.csv'), '--text', 'Kill loop campaign', '--json']);
    expect(mass.stderr).toBe('');
    expect(JSON.parse(mass.stdout)).toMatchObject({ enqueued: RECIPIENTS });

    // Inbound traffic across the whole run, whether or not a server is up at that moment.
    const injected: string[] = [];
    const inject = setInterval(() => {
      if (injected.length >= INBOUND) return clearInterval(inject);
      const text = `kill-loop inbound ${injected.length}`;
      sim.modem.injectSms(`+7902${String(3_000_000 + injected.length).slice(1).padStart(7, '0')}`, text);
      injected.push(text);
    }, 350);

    let sends = 0;
    const onCommand = (l: string) => {
      if (/^AT\+CMGS=/i.test(l)) sends++;
    };
    sim.modem.on('command', onCommand);

    const killLog: { mode: string; atSend: number; uptimeMs: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const started = Date.now();
      const base = sends;
      child = startServe(device);
      // 2 of 3 kills land inside a send (after AT+CMGS, within the network delay or the store
      // writes right after +CMGS); the rest at a random moment (start-up, sweep, inbound, idle).
      const mode = rand() < 0.67 ? 'mid-send' : 'random';
      if (mode === 'mid-send') {
        const nth = 1 + Math.floor(rand() * 6);
        const offset = Math.floor(rand() * 120);
        await waitFor(() => sends >= base + nth || child!.exitCode !== null, `send #${nth} of run ${k}`, 30_000, 2);
        await new Promise((r) => setTimeout(r, offset));
      } else {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(rand() * 1500)));
      }
      expect(child.exitCode, `server exited by itself in run ${k}: see ${join(dir, 'serve.log')}`).toBeNull();
      child.kill('SIGKILL');
      await exited(child);
      killLog.push({ mode, atSend: sends, uptimeMs: Date.now() - started });
    }
    const sendsDuringKills = sends;

    // Final run: let it drain the queue and empty the SIM, then stop it cleanly.
    child = startServe(device);
    await waitFor(() => injected.length >= INBOUND, 'all inbound injected', 60_000);
    const ro = async <T,>(fn: (s: LowdbStore) => Promise<T>): Promise<T> => {
      const s = new LowdbStore(dir, { readOnly: true });
      await s.open();
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    };
    await waitFor(
      async () => {
        const pending = await ro(async (s) => (await s.listJobs({ limit: 10_000 })).filter((j) => j.state === 'queued' || j.state === 'sending').length);
        const inbox = await ro(async (s) => (await s.listInbound({ limit: 10_000 })).length);
        return pending === 0 && inbox >= INBOUND && sim.modem.storage('SM').length === 0 && sim.modem.heldBack === 0;
      },
      'queue drained, SIM empty, inbox complete',
      120_000,
      250,
    );
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).toBe(0);
    sim.modem.off('command', onCommand);

    // Recipients: each got the campaign text at least once.
    const perRecipient = new Map<string, number>();
    for (const s of sim.modem.sent) if (s.text === 'Kill loop campaign') perRecipient.set(s.to, (perRecipient.get(s.to) ?? 0) + 1);
    const missing = Array.from({ length: RECIPIENTS }, (_, i) => phone(i)).filter((p) => !perRecipient.has(p));
    expect(missing).toEqual([]);
    const actualDuplicates = [...perRecipient.values()].reduce((n, c) => n + (c - 1), 0);

    // The outbox (through the real CLI) counts them.
    const outbox = cli(['outbox', '--json', '--limit', '1000']);
    expect(outbox.status).toBe(0);
    const jobs = JSON.parse(outbox.stdout) as { to: string; state: string; duplicates?: number }[];
    expect(jobs).toHaveLength(RECIPIENTS);
    const counted = jobs.reduce((n, j) => n + (j.duplicates ?? 0), 0);
    const byState = jobs.reduce<Record<string, number>>((m, j) => ((m[j.state] = (m[j.state] ?? 0) + 1), m), {});
    expect(actualDuplicates).toBeLessThanOrEqual(counted);
    expect(counted).toBeLessThanOrEqual(KILLS);
    // Per job: copies on the air ≤ 1 + its own counted duplicates.
    for (const j of jobs) expect(perRecipient.get(j.to) ?? 0).toBeLessThanOrEqual(1 + (j.duplicates ?? 0));

    // Inbound: every injected SMS exactly once.
    const inbox = await ro((s) => s.listInbound({ limit: 10_000 }));
    const texts = inbox.map((e) => e.text);
    const lost = injected.filter((t) => !texts.includes(t));
    const doubled = injected.filter((t) => texts.filter((x) => x === t).length > 1);
    expect(lost).toEqual([]);
    expect(doubled).toEqual([]);
    expect(inbox).toHaveLength(INBOUND);

    expect(corruptJsonFiles(dir)).toEqual([]);
    const status = cli(['status', '--json']);
    expect(JSON.parse(status.stdout).server.running).toBe(false);

    const figures = {
      seed: SEED,
      kills: killLog.length,
      killsMidSend: killLog.filter((k) => k.mode === 'mid-send').length,
      sendsDuringKills,
      totalSubmits: sim.modem.sent.length,
      actualDuplicates,
      countedDuplicates: counted,
      jobStates: byState,
      inboundInjected: injected.length,
      inboundStored: inbox.length,
      wallSeconds: Math.round((Date.now() - t0) / 1000),
    };
    console.log(`KILL LOOP FIGURES ${JSON.stringify(figures)}`);
    writeFileSync(join(tmpdir(), 'sms-kill-loop-figures.json'), JSON.stringify({ ...figures, killLog }, null, 2));
  });
});


