/**
 * The modem pool end to end: three simulated modems of different families, each on its own
 * pseudo-terminal (serialport → transport → AT engine → driver), the real server driving them.
 * Mass texts spread over every ready modem; a subscriber is answered from the SIM they texted;
 * an unplugged or hung modem's work is taken by the others; pinned replies wait or fail over as
 * `pool.pinnedFallback` says; `status` lists every modem.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/store/index.js';
import { startPoolHarness, waitFor, type PoolHarness, type PoolHarnessModem } from '../helpers/harness.js';
import { addAccount } from './accounts-helpers.js';
import { addClients, allJobs, mass, numbers, spoolOp } from './outbound-helpers.js';
import { ChatClient } from '../web/chat-helpers.js';

const CLI = join(process.cwd(), 'dist/cli/main.js');
const CLIENT = '+79001234567';
const NUMBERS = { m1: '+79990000001', m2: '+79990000002', m3: '+79990000003' } as const;
type Id = keyof typeof NUMBERS;

let h: PoolHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Three modems of three families; `over` per modem (send delay, caps…). */
function three(over: Partial<Record<Id, Partial<PoolHarnessModem>>> = {}, sendDelayMs = 150): PoolHarnessModem[] {
  const profiles: Record<Id, string> = { m1: 'generic', m2: 'sim800', m3: 'huawei' };
  return (Object.keys(NUMBERS) as Id[]).map((id) => ({
    id,
    profile: profiles[id],
    number: NUMBERS[id],
    ...over[id],
    sim: { sendDelayMs, noise: 0, ...over[id]?.sim },
  }));
}

/** Recipients each simulated modem accepted an SMS part for. */
function sentBy(pool: PoolHarness, id: Id): string[] {
  return pool.sim(id).modem.sent.map((s) => s.to);
}

const CONFIG = { queue: { unknownResendSeconds: 1, retryBaseSeconds: 1 } };

describe('modem pool: assignment', { timeout: 120_000 }, () => {
  it('keeps all three modems busy during a mass text, each SMS sent once, within a SIM daily cap', async () => {
    h = await startPoolHarness({ modems: three({ m3: { dailyCap: 6 } }), config: CONFIG });
    const recipients = numbers(45);
    expect((await mass(h, recipients, 'Spring sale: 20% off this week.')).enqueued).toBe(45);
    await waitFor(async () => (await allJobs(h!)).every((j) => j.state === 'sent'), 'campaign sent', 60_000);

    const by = { m1: sentBy(h, 'm1'), m2: sentBy(h, 'm2'), m3: sentBy(h, 'm3') };
    // Nothing twice, nothing missing: the three modems' radio logs add up to the campaign.
    expect([...by.m1, ...by.m2, ...by.m3].sort()).toEqual([...recipients].sort());
    // m3's SIM stops at its daily cap; the other two share the rest and are both well used.
    expect(by.m3).toHaveLength(6);
    expect(by.m1.length).toBeGreaterThanOrEqual(10);
    expect(by.m2.length).toBeGreaterThanOrEqual(10);
    // Each job names the modem that sent it, and that modem's radio log has it.
    for (const j of await allJobs(h)) expect(by[j.via as Id]).toContain(j.to);
    // The three were on the air at the same time, not one after another.
    const firsts = (['m1', 'm2', 'm3'] as Id[]).map((id) => Date.parse(h!.sim(id).modem.sent[0]!.at));
    const lasts = (['m1', 'm2', 'm3'] as Id[]).map((id) => Date.parse(h!.sim(id).modem.sent.at(-1)!.at));
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...lasts));
    expect(h.member('m3').quota.sentToday(Date.now())).toBe(6);
  });

  it('answers an SMS to modem 2 through modem 2 while 1 and 3 send a campaign', async () => {
    h = await startPoolHarness({ modems: three({}, 300), config: CONFIG });
    await addClients(h, [CLIENT]);
    await mass(h, numbers(40), 'Weekly news: the office is closed on Monday.');
    await waitFor(() => sentBy(h!, 'm1').length >= 2 && sentBy(h!, 'm3').length >= 2, 'campaign under way on m1 and m3', 30_000);
    h.sim('m2').modem.injectSms(CLIENT, 'CLIENT info');
    await waitFor(() => sentBy(h!, 'm2').filter((to) => to === CLIENT).length >= 2, 'ack and info through m2', 30_000);

    expect(sentBy(h, 'm1')).not.toContain(CLIENT);
    expect(sentBy(h, 'm3')).not.toContain(CLIENT);
    const ro = await h.readStore();
    const [entry] = await ro.listInbound({ from: CLIENT });
    await ro.close();
    expect(entry).toMatchObject({ modem: 'm2', to: NUMBERS.m2, status: 'processed' });
    const replies = (await allJobs(h)).filter((j) => j.priority === 'reply');
    expect(replies).toHaveLength(2);
    for (const r of replies) expect(r).toMatchObject({ modem: 'm2', via: 'm2', inReplyTo: entry!.id, state: 'sent' });
    // Pinned work first: m2 sent at most the one mass part in flight between the SMS and its answer.
    const m2 = h.sim('m2').modem.sent;
    const firstReply = m2.findIndex((s) => s.to === CLIENT);
    const storedAt = Date.parse(entry!.receivedAt);
    expect(m2.slice(0, firstReply).filter((s) => Date.parse(s.at) > storedAt).length).toBeLessThanOrEqual(1);
    // The campaign goes on through the other two meanwhile.
    const campaign = (await allJobs(h)).filter((j) => j.priority === 'mass');
    expect(campaign.some((j) => j.state !== 'sent')).toBe(true);
  });
});

describe('modem pool: accounts with a dedicated number', { timeout: 120_000 }, () => {
  it('an account whose number is modem 3\'s SIM sends only through modem 3; an account without one through any', async () => {
    h = await startPoolHarness({ modems: three({}, 100), config: CONFIG });
    await addAccount(h, { login: 'shop', number: NUMBERS.m3 });
    await addAccount(h, { login: 'office' });
    const shopTo = numbers(6, 600);
    await spoolOp(h, 'send', { to: shopTo.slice(0, 3), text: 'Your order is ready.', account: 'shop' });
    await spoolOp(h, 'mass', { text: 'Shop news.', fileText: shopTo.slice(3).join('\n') + '\n', account: 'shop' });
    const officeTo = numbers(12, 700);
    await spoolOp(h, 'mass', { text: 'Office news.', fileText: officeTo.join('\n') + '\n', account: 'office' });
    await waitFor(async () => (await allJobs(h!)).every((j) => j.state === 'sent'), 'all sent', 30_000);

    for (const j of (await allJobs(h)).filter((x) => x.account === 'shop')) expect(j).toMatchObject({ modem: 'm3', via: 'm3' });
    expect(sentBy(h, 'm3')).toEqual(expect.arrayContaining(shopTo));
    expect([...sentBy(h, 'm1'), ...sentBy(h, 'm2')].filter((to) => shopTo.includes(to))).toEqual([]);
    // The office's texts are not pinned: the other two modems carry most of them.
    const office = (await allJobs(h)).filter((x) => x.account === 'office');
    expect(office.every((j) => j.modem === undefined)).toBe(true);
    expect(new Set(office.map((j) => j.via)).size).toBeGreaterThanOrEqual(2);
  });
});

describe('modem pool: an account answering a subscriber', { timeout: 120_000 }, () => {
  it('an account without a dedicated number answers through the modem the subscriber texted, also after a restart', async () => {
    h = await startPoolHarness({ modems: three({}, 100), config: CONFIG });
    await addAccount(h, { login: 'office' });
    const OTHER = '+79001112233';
    h.sim('m2').modem.injectSms(CLIENT, 'office: please call me back');
    const routedTo = async () => (await h!.server!.store.listInbound({ from: CLIENT })).filter((e) => e.routedBy === 'prefix');
    const [entry] = await waitFor(async () => ((await routedTo()).length === 1 ? routedTo() : undefined), 'routed to office', 20_000);
    expect(entry).toMatchObject({ modem: 'm2', account: 'office' });
    const answer = (text: string) => spoolOp<{ ids: string[] }>(h!, 'send', { to: [CLIENT, OTHER], text, account: 'office' });
    const sentJobs = async (ids: string[]) => {
      await waitFor(async () => (await allJobs(h!)).filter((j) => ids.includes(j.id)).every((j) => j.state === 'sent'), 'answer sent', 30_000);
      return (await allJobs(h!)).filter((j) => ids.includes(j.id));
    };
    const first = await sentJobs((await answer('We will call you at 15:00.')).ids);
    expect(first.find((j) => j.to === CLIENT)).toMatchObject({ modem: 'm2', via: 'm2' });
    // The other recipient never texted: not pinned.
    expect(first.find((j) => j.to === OTHER)!.modem).toBeUndefined();

    // After a restart the affinity is read back from the inbox.
    await h.stopServer();
    await h.startServer();
    const second = await sentJobs((await answer('Calling you at 15:30 instead.')).ids);
    expect(second.find((j) => j.to === CLIENT)).toMatchObject({ modem: 'm2', via: 'm2' });
    expect(sentBy(h, 'm1')).not.toContain(CLIENT);
    expect(sentBy(h, 'm3')).not.toContain(CLIENT);
  });
});

describe('modem pool: web chat', { timeout: 120_000 }, () => {
  it('a chat conversation keeps to one SIM: the one its first SMS left through, then the one the mobile answered', async () => {
    h = await startPoolHarness({ modems: three({}, 100), config: { ...CONFIG, web: { enabled: true, port: 0 }, chat: { captcha: 'off' } } });
    const c = new ChatClient(`http://127.0.0.1:${h.server!.web!.port!}`);
    expect((await c.session()).status).toBe(201);
    const MOBILE = '+79005550101';
    const say = async (text: string): Promise<Job> => {
      expect((await c.send({ name: 'Ana', to: MOBILE, text }, null)).status).toBe(201);
      // Sent as the chat saw it (its conversation learns the modem from that outcome), then the job.
      type Convs = { conversations: { messages: { text: string; state: string }[] }[] };
      await waitFor(async () => (await c.request<Convs>('GET', '/chat/api/conversations')).body.conversations[0]?.messages.some((m) => m.text === text && m.state === 'sent'), `"${text}" sent in the chat`, 30_000);
      return (await allJobs(h!)).find((j) => j.text === `Ana (web): ${text}`)!;
    };
    const first = await say('hola');
    expect(first.modem).toBeUndefined();
    const x = first.via as Id;
    // Before any answer: the next SMS from the same number, while the other two modems are idle.
    expect(await say('¿me lees?')).toMatchObject({ modem: x, via: x });
    // The mobile texts another of the operator's numbers: the conversation moves to that SIM.
    const y = (['m1', 'm2', 'm3'] as Id[]).find((id) => id !== x)!;
    h.sim(y).modem.injectSms(MOBILE, 'sí, te leo');
    await waitFor(async () => (await h!.server!.store.listInbound({ from: MOBILE })).find((e) => e.routedBy === 'chat'), 'answer in the chat', 20_000);
    expect(await say('perfecto')).toMatchObject({ modem: y, via: y });
    expect(sentBy(h, x).filter((to) => to === MOBILE)).toHaveLength(2);
    expect(sentBy(h, y).filter((to) => to === MOBILE)).toHaveLength(1);
  });
});

describe('modem pool: failover', { timeout: 120_000 }, () => {
  it('modem 1 unplugged mid-campaign: its unsent recipients go out through 2 and 3, nothing lost, duplicates ≤ in flight', async () => {
    h = await startPoolHarness({ modems: three({}, 250), config: CONFIG });
    const recipients = numbers(45, 100);
    await mass(h, recipients, 'Your order has shipped.');
    await waitFor(() => sentBy(h!, 'm1').length >= 3, 'm1 sending', 30_000);
    // Pulled while it may have a part in flight: that one may have left (a possible duplicate).
    await h.sim('m1').unplug();
    const m1AtUnplug = sentBy(h, 'm1').length;
    await waitFor(async () => (await allJobs(h!)).every((j) => j.state === 'sent'), 'campaign finished without m1', 60_000);

    const jobs = await allJobs(h);
    const m1 = sentBy(h, 'm1');
    const others = [...sentBy(h, 'm2'), ...sentBy(h, 'm3')];
    // Every recipient got the text; after the unplug only m2 and m3 sent (m1's radio may finish the
    // one part it had in flight: the network accepts it even though the host never hears back).
    for (const r of recipients) expect([...m1, ...others]).toContain(r);
    expect(m1.length - m1AtUnplug).toBeLessThanOrEqual(1);
    const extra = m1.length + others.length - recipients.length;
    expect(extra).toBeLessThanOrEqual(1);
    const dupJobs = jobs.filter((j) => (j.duplicates ?? 0) > 0);
    expect(dupJobs.length).toBeLessThanOrEqual(1);
    expect(extra).toBeLessThanOrEqual(dupJobs.length);
    // Jobs sent after the unplug name m2 or m3.
    expect(jobs.filter((j) => j.via === 'm1').length).toBeLessThanOrEqual(m1AtUnplug);
    expect(h.member('m1').supervisor.state).not.toBe('ready');

    // Re-inserted, it takes work again.
    await h.sim('m1').replug();
    await waitFor(() => h!.member('m1').supervisor.state === 'ready', 'm1 back', 30_000);
    const second = numbers(12, 300);
    await mass(h, second, 'Second wave.');
    await waitFor(() => sentBy(h!, 'm1').some((to) => second.includes(to)), 'm1 sends again', 30_000);
  });

  it('a hung modem does not delay the others: replies through 2 and 3 while 1 is still stuck in its send', async () => {
    h = await startPoolHarness({ modems: three({}, 200), config: { ...CONFIG, modem: { sendTimeoutSeconds: 30 } } });
    await addClients(h, [CLIENT, '+79001234568']);
    await mass(h, numbers(30, 200), 'Maintenance tonight.');
    await waitFor(() => sentBy(h!, 'm1').length >= 1, 'm1 sending', 30_000);
    h.sim('m1').modem.faults.hang(); // swallows everything: its AT+CMGS waits out the 30 s send timeout
    const stuck = await waitFor(async () => (await allJobs(h!)).find((j) => j.state === 'sending' && j.via === 'm1'), 'a job stuck on m1', 10_000);
    h.sim('m2').modem.injectSms(CLIENT, 'CLIENT info');
    h.sim('m3').modem.injectSms('+79001234568', 'CLIENT info');
    await waitFor(
      () => sentBy(h!, 'm2').filter((to) => to === CLIENT).length >= 2 && sentBy(h!, 'm3').filter((to) => to === '+79001234568').length >= 2,
      'both answered',
      20_000,
    );
    // Answered while m1's send was still waiting for its timeout: nothing waited for m1.
    const stillStuck = (await allJobs(h)).find((j) => j.id === stuck.id)!;
    expect(stillStuck).toMatchObject({ state: 'sending', via: 'm1' });
    expect(h.member('m1').supervisor.lastFault?.step).not.toBe('timeout');
    h.sim('m1').modem.faults.clear();
  });
});

describe('modem pool: pinned replies of a modem that is down', { timeout: 120_000 }, () => {
  /** A subscriber texts m1; its replies are queued pinned to m1; m1 is unplugged before they leave. */
  async function replyPinnedToDeadModem(fallback: 'wait' | 'any'): Promise<Job[]> {
    h = await startPoolHarness({
      modems: three({ m1: { sim: { sendDelayMs: 3000 } } }),
      config: { ...CONFIG, pool: { pinnedWaitMinutes: 0.05, pinnedFallback: fallback } },
    });
    await addClients(h!, [CLIENT]);
    h!.sim('m1').modem.injectSms(CLIENT, 'CLIENT info');
    // The ack is on m1's radio (3 s network delay), the result queued behind it: pull the stick now.
    await waitFor(async () => (await allJobs(h!)).some((j) => j.priority === 'reply' && j.state === 'sending' && j.via === 'm1'), 'ack in flight on m1', 20_000);
    await h.sim('m1').unplug();
    await waitFor(() => h!.member('m1').supervisor.state !== 'ready', 'm1 down', 10_000);
    return (await allJobs(h)).filter((j) => j.priority === 'reply');
  }

  it('"any": after pool.pinnedWaitMinutes the replies leave through another modem, the change recorded on the job', async () => {
    const replies = await replyPinnedToDeadModem('any');
    expect(replies).toHaveLength(2);
    await waitFor(async () => (await allJobs(h!)).filter((j) => j.priority === 'reply').every((j) => j.state === 'sent'), 'replies sent after the fallback', 30_000);
    const sent = (await allJobs(h!)).filter((j) => j.priority === 'reply');
    const downSince = h!.member('m1').downSince()!;
    for (const j of sent) {
      expect(j.modem).toBeUndefined();
      expect(j.repin).toMatchObject({ from: 'm1', reason: 'modem-down' });
      expect(['m2', 'm3']).toContain(j.via);
      // Not before the wait (0.05 min = 3 s after m1 went down), and sent only after it.
      expect(Date.parse(j.repin!.at) - downSince).toBeGreaterThanOrEqual(3000);
      expect(Date.parse(j.sentAt!)).toBeGreaterThanOrEqual(Date.parse(j.repin!.at));
    }
    const others = [...sentBy(h!, 'm2'), ...sentBy(h!, 'm3')].filter((to) => to === CLIENT);
    expect(others.length).toBeGreaterThanOrEqual(2);
  });

  it('"wait": the replies wait for modem 1 past the wait time and leave through it once it is back', async () => {
    await replyPinnedToDeadModem('wait');
    // Three times the wait: still queued (or waiting to re-send) for m1, nothing through the others.
    await new Promise((r) => setTimeout(r, 9_000));
    const waiting = (await allJobs(h!)).filter((j) => j.priority === 'reply');
    for (const j of waiting) expect(j).toMatchObject({ modem: 'm1', state: 'queued' });
    expect([...sentBy(h!, 'm2'), ...sentBy(h!, 'm3')]).not.toContain(CLIENT);

    await h!.sim('m1').replug();
    await waitFor(async () => (await allJobs(h!)).filter((j) => j.priority === 'reply').every((j) => j.state === 'sent'), 'replies sent through m1', 40_000);
    for (const j of (await allJobs(h!)).filter((x) => x.priority === 'reply')) expect(j).toMatchObject({ modem: 'm1', via: 'm1' });
    expect([...sentBy(h!, 'm2'), ...sentBy(h!, 'm3')]).not.toContain(CLIENT);
  });
});

describe('modem pool: status', { timeout: 120_000 }, () => {
  it('`status` lists every modem: id, number, device, profile, state, signal, operator, registration, queue depth, sent today, last fault', async () => {
    h = await startPoolHarness({ modems: three({ m2: { dailyCap: 100 } }, 50), config: CONFIG });
    await mass(h, numbers(9, 400), 'Hello.');
    await waitFor(async () => (await allJobs(h!)).every((j) => j.state === 'sent'), 'sent', 30_000);
    await h.sim('m3').unplug();
    await waitFor(() => h!.member('m3').supervisor.lastFault?.step === 'port', 'm3 fault', 10_000);
    // Signal and operator are polled on ready; the snapshot is refreshed on every state change.
    await waitFor(async () => {
      const ro = await h!.readStore();
      const s = await ro.getStatus();
      await ro.close();
      return s?.modems?.find((m) => m.id === 'm1')?.operator && s.modems.find((m) => m.id === 'm3')?.state !== 'ready';
    }, 'snapshot with radio data and m3 down', 20_000);

    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--data', h!.dataDir], { encoding: 'utf8' });
    const json = run(['status', '--json']);
    expect(json.status).toBe(0);
    const st = JSON.parse(json.stdout) as { modems: Record<string, unknown>[]; queue: { unpinned: number } };
    expect(st.modems.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    const sentTotal = st.modems.reduce((n, m) => n + (m.sentToday as number), 0);
    expect(sentTotal).toBe(9);
    for (const m of st.modems) {
      expect(m).toMatchObject({ number: NUMBERS[m.id as Id], device: join(h.dataDir, `modem-${m.id as string}`), queueDepth: 0 });
      expect(typeof m.profile).toBe('string');
    }
    const [m1, m2, m3] = st.modems;
    expect(m1).toMatchObject({ state: 'ready', profile: 'generic', registration: expect.any(String), operator: expect.any(String), signal: { rssi: expect.any(Number) } });
    expect(m2).toMatchObject({ state: 'ready', profile: 'sim800', dailyCap: 100 });
    expect(m3).toMatchObject({ lastFault: { step: 'port' } });
    expect(m3!.state).not.toBe('ready');

    const text = run(['status']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^id\s+number\s+state\s+signal\s+operator\s+network\s+queued\s+sent today\s+profile\s+device$/m);
    expect(text.stdout).toMatch(new RegExp(`^m2\\s+\\${NUMBERS.m2}\\s+ready\\s.*\\s\\d+/100\\s+sim800\\s`, 'm'));
    expect(text.stdout).toMatch(/^last fault m3: \S+ port: /m);
  });
});
