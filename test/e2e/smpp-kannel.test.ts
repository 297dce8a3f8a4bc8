/**
 * Debian's Kannel against `serve` (issue 16): bearerbox binds to the real server's SMPP listener as
 * the account `kannel`; a message sent through smsbox's sendsms leaves through the simulated modem
 * on a PTY, its status report comes back to Kannel's dlr-url as a delivered DLR, and an inbound SMS
 * with the `kannel: ` prefix reaches smsbox's sms-service. Kannel's own SMPP code, not ours, reads
 * our deliver_sm and receipts. Skipped when Kannel is not installed (`apt-get install kannel`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/config.js';
import { hashPassword } from '../../src/util/password-hash.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { until } from '../smpp/helpers.js';
import { haveKannel, moText, startKannel, type Kannel } from '../smpp/kannel.js';
import { addAccount } from './accounts-helpers.js';
import { cliOp } from './customer-helpers.js';

describe.skipIf(!haveKannel)('Kannel bound to the SMPP listener of serve (skipped when Debian kannel is not installed)', () => {
  let h: Harness;
  let kannel: Kannel;

  beforeAll(async () => {
    h = await startHarness({ config: { smpp: { ...DEFAULTS.smpp, enabled: true, port: 0 } } });
    await addAccount(h, { login: 'kannel' });
    await cliOp(h, 'accounts.set', { login: 'kannel', smppPasswordHash: await hashPassword('k4nnel') });
    kannel = await startKannel({ smscPort: h.server!.smpp!.address.port, username: 'kannel', password: 'k4nnel', until });
    await until(() => h.server!.smpp!.server.sessions('kannel').length > 0, 'Kannel to bind', 30_000);
  }, 120_000);

  afterAll(async () => {
    await kannel?.stop();
    await h?.close();
  }, 60_000);

  it('sendsms → the modem sends it → Kannel gets the delivered DLR for it', async () => {
    expect(await kannel.sendsms({ to: '+79001234567', text: 'Sent by Kannel via serve', 'dlr-mask': '3', 'dlr-url': kannel.dlrUrl('serve') })).toMatch(/^202/);
    await waitFor(() => h.sim.modem.sent.find((s) => s.text === 'Sent by Kannel via serve' && s.to === '+79001234567'), 'the SMS at the modem', 45_000);
    const jobs = await h.server!.store.listJobs({ account: 'kannel' });
    expect(jobs.map((j) => j.text)).toEqual(['Sent by Kannel via serve']);
    const dlr = await until(() => kannel.hits.find((x) => x.path === '/dlr' && x.q.get('n') === 'serve' && x.q.get('type') === '1'), 'the delivered DLR callback', 45_000);
    expect(dlr.q.get('reply')).toMatch(new RegExp(`^id:${jobs[0]!.id} sub:001 dlvrd:001 .*stat:DELIVRD err:000`));
  }, 120_000);

  it('an inbound SMS with the account prefix reaches smsbox as an MO message', async () => {
    h.sim.modem.injectSms('+79005550009', 'kannel: hello from a phone', { timestamp: new Date(Date.UTC(2026, 10, 27, 15, 0, 0)) });
    const mo = await until(() => kannel.hits.find((x) => x.path === '/mo'), 'the MO request', 45_000);
    expect(mo.q.get('from')).toBe('+79005550009');
    // The SIM's number is unknown here: the login stands in as the destination (Kannel refuses none).
    expect(mo.q.get('to')).toBe('kannel');
    expect(moText(mo)).toBe('hello from a phone');
  }, 90_000);
});
