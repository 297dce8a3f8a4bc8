/**
 * Fault injection against the real server in-process (serialport → transport → AT engine →
 * driver → supervisor → store → queue) on the simulated modem behind a real pseudo-terminal.
 * Every test injects a fault, then proves the server recovered by itself and lost nothing.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import type { ServerStatus } from '../../src/store/index.js';
import type { Job } from '../../src/store/types.js';
import { buildDist, CLI, enqueue, phone } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
beforeAll(() => buildDist());
afterAll(() => console.log(`FAULTS recovery: ${tally.faults} faults injected, all survived (server never exited)`));

/** Counts what the tests injected and what the server survived (printed at the end of the file). */
export const tally = { faults: 0 };

/** Enqueue as the API/CLI would and wake the worker (a direct store write does not kick it). */
async function queue(items: Parameters<typeof enqueue>[1]): Promise<Job[]> {
  const jobs = await enqueue(h!.server!.store, items);
  h!.server!.worker.kick();
  return jobs;
}

async function job(id: string): Promise<Job | undefined> {
  return h!.server!.store.getJob(id);
}

async function inboxTexts(): Promise<string[]> {
  return (await h!.server!.store.listInbound({ limit: 10_000 })).map((e) => e.text);
}

async function statusSnapshot(): Promise<ServerStatus | undefined> {
  const ro = await h!.readStore();
  try {
    return await ro.getStatus();
  } finally {
    await ro.close();
  }
}

/** Arm a fault when the sim sees `AT+CMGS=` (the PDU follows at once, the network delay after). */
function onSend(fn: (n: number) => void): void {
  let n = 0;
  h!.sim.modem.on('command', (line: string) => {
    if (/^AT\+CMGS=/i.test(line)) fn(n++);
  });
}

describe('modem hangs during a send', () => {
  for (const onUnknown of ['hold', 'resend-once'] as const) {
    it(`climbs timeout → probe → re-init, the job ends ${onUnknown === 'hold' ? 'unknown' : 'resent once (duplicate counted)'}, later jobs go out`, async () => {
      h = await startHarness({
        sim: { sendDelayMs: 300 },
        config: { modem: { idleProbeSeconds: 60, sendTimeoutSeconds: 2 }, queue: { onUnknown, unknownResendSeconds: 1, retryBaseSeconds: 1 } as never },
      });
      // The PDU is on the "network" (sim busy) when the modem wedges: it goes out, the reply never comes.
      onSend((n) => {
        if (n === 0) setTimeout(() => h!.sim.modem.faults.hang(4000), 100);
      });
      tally.faults++;
      const [a] = await queue([{ to: phone(1), text: 'hang victim' }]);
      const settled = await waitFor(async () => {
        const j = await job(a!.id);
        return j && (j.state === 'unknown' || (j.state === 'sent' && (j.duplicates ?? 0) > 0)) ? j : undefined;
      }, 'the hung job to settle', 30_000);
      if (onUnknown === 'hold') {
        expect(settled.state).toBe('unknown');
        expect(settled.lastError).toMatch(/AtTimeoutError/);
      } else {
        expect(settled).toMatchObject({ state: 'sent', duplicates: 1 });
        // The modem had really sent it, so the re-send is a true duplicate — and it is counted.
        expect(h.sim.modem.sent.filter((s) => s.text === 'hang victim')).toHaveLength(2);
      }
      // The ladder: the send timed out, the AT probe went unanswered (the hang outlasts it), re-init brought it back.
      const steps = await waitFor(() => {
        const st = h!.server!.supervisor.recentFaults.map((f) => f.step);
        return st.includes('probe') ? st : undefined;
      }, 'the probe rung', 10_000);
      expect(steps.indexOf('timeout')).toBeLessThan(steps.indexOf('probe'));
      expect(steps).not.toContain('reopen');
      await waitFor(() => h!.server!.supervisor.state === 'ready', 'ready again', 20_000);
      const [b] = await queue([{ to: phone(2), text: 'after the hang' }]);
      await waitFor(async () => (await job(b!.id))?.state === 'sent', 'a later job sent', 20_000);
      expect(h.sim.modem.sent.some((s) => s.text === 'after the hang')).toBe(true);
      const snap = await statusSnapshot();
      expect(snap?.modem.lastFault?.step).toMatch(/timeout|probe|reinit/);
    });
  }
});

describe('modem hangs before the "> " prompt', () => {
  it('the PDU never went out: retried as a link fault, sent exactly once, no duplicate counted', async () => {
    h = await startHarness({ config: { queue: { retryBaseSeconds: 1 } as never } });
    // Wedged the moment AT+CMGS arrives: no prompt, so no PDU is ever written.
    onSend((n) => {
      if (n === 0) h!.sim.modem.faults.hang(2000);
    });
    tally.faults++;
    const [a] = await queue([{ to: phone(5), text: 'no prompt' }]);
    const done = await waitFor(async () => {
      const j = await job(a!.id);
      return j?.state === 'sent' ? j : undefined;
    }, 'sent after the prompt timeout', 40_000);
    expect(done.attempts).toBe(2);
    expect(done.duplicates ?? 0).toBe(0);
    expect(done.lastError).toMatch(/prompt/);
    expect(h.sim.modem.sent.filter((s) => s.text === 'no prompt')).toHaveLength(1);
  });
});

describe('unplug and replug', () => {
  it('reconnects through the same link, keeps sending and receiving; status shows the fault', async () => {
    h = await startHarness({ sim: { sendDelayMs: 200 }, config: { queue: { unknownResendSeconds: 1, retryBaseSeconds: 1 } as never } });
    h.sim.modem.injectSms('+79001110001', 'before unplug');
    await waitFor(async () => (await inboxTexts()).includes('before unplug'), 'SMS before unplug');

    // Pull the stick in the middle of a send: the PDU went out, the reply is lost with the port.
    onSend((n) => {
      if (n === 0) setTimeout(() => void h!.sim.unplug(), 50);
    });
    tally.faults++;
    const [a] = await queue([{ to: phone(10), text: 'in flight at unplug' }]);
    await waitFor(() => h!.server!.supervisor.lastFault?.step === 'port', 'port fault seen', 10_000);
    expect(h.server!.supervisor.state).not.toBe('ready');
    const down = await waitFor(async () => ((await statusSnapshot())?.modem.lastFault ? statusSnapshot() : undefined), 'status snapshot with the fault');
    expect(down!.modem.lastFault!.reason).toMatch(/disconnected|vanished|unplugged/);

    // Work arriving while the device is gone waits; nothing fails for it.
    const [b] = await queue([{ to: phone(11), text: 'queued while unplugged' }]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await job(b!.id))?.state).not.toBe('failed');

    await h.sim.replug();
    await waitFor(() => h!.server!.supervisor.state === 'ready', 'ready after replug', 20_000);
    await waitFor(async () => (await job(b!.id))?.state === 'sent', 'job queued while unplugged sent', 20_000);
    // The in-flight one may have gone out (the sim recorded it): re-sent once, counted.
    await waitFor(async () => (await job(a!.id))?.state === 'sent', 'in-flight job resolved', 20_000);
    const aj = (await job(a!.id))!;
    const copies = h.sim.modem.sent.filter((s) => s.text === 'in flight at unplug').length;
    expect(copies).toBeGreaterThanOrEqual(1);
    expect(copies - 1).toBeLessThanOrEqual(aj.duplicates ?? 0);

    h.sim.modem.injectSms('+79001110002', 'after replug');
    await waitFor(async () => (await inboxTexts()).includes('after replug'), 'SMS after replug');
    expect(h.server!.supervisor.recentFaults.map((f) => f.step)).toContain('port');
  });

  it('waits for a device that is gone at start, and connects when it appears', async () => {
    h = await startHarness({ startServer: false });
    await h.sim.unplug();
    tally.faults++;
    await h.startServer();
    await waitFor(() => h!.server!.supervisor.lastFault?.step === 'open', 'open fault', 10_000);
    expect(h.server!.supervisor.lastFault!.reason).toMatch(/does not exist/);
    await h.sim.replug();
    await waitFor(() => h!.server!.supervisor.state === 'ready', 'ready once the device appears', 20_000);
  });
});

describe('+CMS error bursts', () => {
  it('retries transient errors (500, 41, 332) and then sends; a permanent one (21) fails at once with its reason', async () => {
    h = await startHarness({ config: { queue: { retryBaseSeconds: 1 } as never } });
    const codes = [500, 41, 332];
    onSend((n) => {
      if (n < codes.length) h!.sim.modem.faults.cmsOnNextSend(codes[n]!);
    });
    tally.faults += codes.length;
    const [a] = await queue([{ to: phone(20), text: 'through the burst' }]);
    const done = await waitFor(async () => {
      const j = await job(a!.id);
      return j?.state === 'sent' ? j : undefined;
    }, 'sent after the burst', 60_000);
    expect(done.attempts).toBe(4);
    expect(h.sim.modem.sent.filter((s) => s.text === 'through the burst')).toHaveLength(1);

    tally.faults++;
    h.sim.modem.faults.cmsOnNextSend(21);
    const [bad, next] = await queue([
      { to: phone(21), text: 'refused by the SMSC' },
      { to: phone(22), text: 'goes out after the refusal' },
    ]);
    await waitFor(async () => (await job(next!.id))?.state === 'sent', 'next job sent', 30_000);
    expect(await job(bad!.id)).toMatchObject({ state: 'failed', reason: 'invalid-number', attempts: 1 });
    expect((await job(bad!.id))!.lastError).toMatch(/21/);
  });
});

describe('every +CMS error class on a send', () => {
  it('barred / invalid number / PDU format fail at once with their reason; memory full and manufacturer errors retry and send', async () => {
    h = await startHarness({ config: { queue: { retryBaseSeconds: 1 } as never } });
    // One job per code, one after the other: the code is armed for the job's first attempt only.
    const cases: [number, 'failed' | 'sent', string?][] = [
      [8, 'failed', 'barred'],
      [50, 'failed', 'barred'],
      [1, 'failed', 'invalid-number'],
      [96, 'failed', 'invalid-number'],
      [304, 'failed', 'pdu-format'],
      [322, 'sent'], // memory full: the driver reports storage-full, the server sweeps, the send is retried
      [512, 'sent'], // SIMCom "SMS send failed" while the network is busy
      [331, 'sent'], // no network service (not registered)
      [999, 'sent'], // a code nobody documents: retried as a modem fault
    ];
    for (const [code, state, reason] of cases) {
      h.sim.modem.faults.cmsOnNextSend(code);
      tally.faults++;
      const [j] = await queue([{ to: phone(300 + code), text: `cms ${code}` }]);
      const done = await waitFor(async () => {
        const x = await job(j!.id);
        return x && (x.state === 'sent' || x.state === 'failed') ? x : undefined;
      }, `job with CMS ${code} settled`, 30_000);
      expect(done.state, `CMS ${code}`).toBe(state);
      if (reason) expect(done.reason, `CMS ${code}`).toBe(reason);
      expect(done.lastError ?? '', `CMS ${code}`).toContain(String(code));
    }
    expect(h.server!.supervisor.state).toBe('ready');
  });
});

describe('URC storms between "> " and +CMGS (Huawei ^RSSI noise)', () => {
  it('sends every job and stores every SMS that arrived in the middle of sends', async () => {
    h = await startHarness({ profile: 'huawei', sim: { sendDelayMs: 40, noise: 0.5 } });
    onSend((n) => {
      // While the PDU is on the network: a noise storm, and every third send an SMS arrives (+CMTI).
      setTimeout(() => {
        h!.sim.modem.faults.noiseBurst(25);
        if (n % 3 === 0) h!.sim.modem.injectSms('+79001112233', `storm inbound ${n}`);
      }, 5);
    });
    const jobs = await queue(
      Array.from({ length: 15 }, (_, i) => ({ to: phone(100 + i), text: `storm ${i}` })),
    );
    tally.faults += 15;
    await waitFor(async () => {
      for (const j of jobs) if ((await job(j.id))?.state !== 'sent') return false;
      return true;
    }, 'all 15 jobs sent', 60_000);
    for (const j of jobs) expect(h.sim.modem.sent.filter((s) => s.text === j.text)).toHaveLength(1);
    const expected = [0, 3, 6, 9, 12].map((n) => `storm inbound ${n}`);
    await waitFor(async () => {
      const texts = await inboxTexts();
      return expected.every((t) => texts.filter((x) => x === t).length === 1) && texts.filter((t) => t.startsWith('storm inbound')).length === 5;
    }, 'the 5 storm SMS, each once', 30_000);
    await waitFor(() => h!.sim.modem.storage('SM').length === 0, 'SIM emptied', 30_000);
  });
});

describe('garbage on the line', () => {
  it('junk lines, invalid UTF-8 and half URCs lose nothing', async () => {
    h = await startHarness({ sim: { sendDelayMs: 30 }, config: { inbound: { sweepSeconds: 2 } as never } });
    const junk: (string | Buffer | undefined)[] = [
      undefined, // binary junk (DEFAULT_GARBAGE)
      '\u00ff\u00fe\u00c3( invalid utf-8',
      '+CMTI: "SM",',
      '+CMTI: "XX",abc',
      '+CMT: ,999',
      '^RSSI',
      Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]),
      'A'.repeat(5000),
      '>',
      '+CLIP: "',
      'RING',
    ];
    let k = 0;
    onSend(() => {
      setTimeout(() => h!.sim.modem.faults.garbage(junk[k++ % junk.length]), 3);
    });
    const jobs = await queue(Array.from({ length: 12 }, (_, i) => ({ to: phone(200 + i), text: `junk ${i}` })));
    for (let i = 0; i < 12; i++) {
      h.sim.modem.faults.garbage(junk[i % junk.length]);
      h.sim.modem.injectSms(`+7901000${String(i).padStart(4, '0')}`, `inbound through junk ${i}`);
      tally.faults += 2;
      await new Promise((r) => setTimeout(r, 40));
    }
    await waitFor(async () => {
      for (const j of jobs) if ((await job(j.id))?.state !== 'sent') return false;
      return true;
    }, 'all jobs sent through junk', 60_000);
    await waitFor(async () => (await inboxTexts()).filter((t) => t.startsWith('inbound through junk')).length === 12, '12 SMS stored', 30_000);
    const texts = await inboxTexts();
    for (let i = 0; i < 12; i++) expect(texts.filter((t) => t === `inbound through junk ${i}`)).toHaveLength(1);
    await waitFor(() => h!.sim.modem.storage('SM').length === 0, 'SIM emptied', 30_000);
    expect(h.server!.supervisor.state).toBe('ready');
  });
});

describe('SIM storage full', () => {
  it('generic modem (no URC): the periodic sweep frees slots and the SMS held by the network arrive', async () => {
    h = await startHarness({ sim: { capacity: 5 }, config: { inbound: { sweepSeconds: 2 } as never } });
    h.sim.modem.faults.simFull();
    tally.faults++;
    for (let i = 0; i < 4; i++) h.sim.modem.injectSms('+79002220000', `held back ${i}`);
    expect(h.sim.modem.heldBack).toBe(4);
    await waitFor(async () => (await inboxTexts()).filter((t) => t.startsWith('held back')).length === 4, 'held SMS delivered', 30_000);
    await waitFor(() => h!.sim.modem.storage('SM').length === 0 && h!.sim.modem.heldBack === 0, 'SIM empty, nothing held', 30_000);
    // The fillers were real inbound SMS too (status REC READ): stored, not dropped.
    expect((await inboxTexts()).filter((t) => t.startsWith('filler'))).toHaveLength(5);
  });

  it('Huawei ^SMMEMFULL triggers a sweep at once (periodic sweep effectively off)', async () => {
    h = await startHarness({ profile: 'huawei', sim: { capacity: 3, noise: 0 }, config: { inbound: { sweepSeconds: 3600 } as never } });
    await waitFor(() => h!.sim.modem.storage('SM').length === 0, 'startup sweep done');
    h.sim.modem.faults.simFull();
    tally.faults++;
    h.sim.modem.injectSms('+79002220001', 'after memfull');
    await waitFor(async () => (await inboxTexts()).includes('after memfull'), 'SMS after ^SMMEMFULL', 20_000);
  });
});

describe('SIM PIN', () => {
  it('a locked SIM is unlocked with the PIN from the config', async () => {
    h = await startHarness({ sim: { pin: '4321' }, config: { pin: '4321' } });
    h.sim.modem.injectSms('+79003330001', 'pin ok');
    await waitFor(async () => (await inboxTexts()).includes('pin ok'), 'SMS on an unlocked SIM');
  });

  it('without a configured PIN: a clear PinRequiredError in status, no reset churn, the server keeps running', async () => {
    h = await startHarness({ sim: { pin: '4321' }, startServer: false });
    const seen: string[] = [];
    h.sim.modem.on('command', (l: string) => seen.push(l));
    tally.faults++;
    await h.startServer();
    const f = await waitFor(() => h!.server!.supervisor.lastFault, 'a fault', 15_000);
    expect(f.step).toBe('pin');
    expect(f.reason).toMatch(/SIM reports "SIM PIN".*Set "pin" in the config file/);
    const snap = await waitFor(async () => ((await statusSnapshot())?.modem.lastFault?.step === 'pin' ? statusSnapshot() : undefined), 'status shows the PIN fault');
    expect(snap!.modem.lastFault!.reason).toMatch(/PIN/);
    expect(h.server!.supervisor.state).not.toBe('ready');
    expect(seen.some((l) => /CFUN=1,1/.test(l))).toBe(false);
    // What the operator sees: `sms-server status` names the state and the fault.
    const st = spawnSync(process.execPath, [CLI, 'status', '--data', h.dataDir], { encoding: 'utf8' });
    expect(st.status).toBe(0);
    expect(st.stdout).toMatch(/server:\s+running/);
    expect(st.stdout).toMatch(/modem:\s+(connecting|initialising|recovering|waiting-for-device)/);
    expect(st.stdout).toMatch(/last fault: \S+ pin: SIM reports "SIM PIN"/);
    // Still serving the data folder: the stop is clean (nothing exited underneath us).
    await h.stopServer();
  });

  it('a wrong configured PIN is sent once only, never again at reconnects (the SIM would lock with its PUK)', async () => {
    h = await startHarness({ sim: { pin: '4321' }, config: { pin: '1111' }, startServer: false });
    const tries: string[] = [];
    h.sim.modem.on('command', (l: string) => {
      if (/^AT\+CPIN="/i.test(l)) tries.push(l);
    });
    tally.faults++;
    await h.startServer();
    // Three sessions at least (back-off 2 s, 4 s): each would have spent a PIN try.
    await waitFor(() => h!.server!.supervisor.recentFaults.filter((f) => f.step === 'pin').length >= 3, 'three PIN faults', 30_000);
    expect(tries).toEqual(['AT+CPIN="1111"']);
    expect(h.server!.supervisor.lastFault!.reason).toMatch(/refused the configured PIN.*not sent again/);
    const snap = await waitFor(async () => ((await statusSnapshot())?.modem.lastFault?.reason.includes('refused') ? statusSnapshot() : undefined), 'status names the refusal');
    expect(snap!.modem.state).not.toBe('ready');
  });
});
