import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { addClient } from '../../src/commands/index.js';
import { loadOrCreateKey } from '../../src/util/secret.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('server on the simulated modem over a pseudo-terminal', () => {
  it('answers CLIENT info with the acknowledgement, then the credentials, to the registered number', async () => {
    h = await startHarness({ startServer: false });
    // Register the client before the server takes the single-writer lock.
    const { LowdbStore } = await import('../../src/store/index.js');
    const store = new LowdbStore(h.dataDir);
    await store.open();
    await addClient(store, { phone: '8 900 123-45-67', code: '1234', login: 'ivanov', password: '1a2b3c4d' }, loadOrCreateKey({ dataDir: h.dataDir }), { country: 'RU' });
    await store.close();
    await h.startServer();

    h.sim.modem.injectSms('+79001234567', 'client INFO');
    const sent = await waitFor(() => (h!.sim.modem.sent.length >= 2 ? h!.sim.modem.sent : undefined), 'two replies');
    expect(sent.map((s) => s.to)).toEqual(['+79001234567', '+79001234567']);
    expect(sent[0]!.text).toBe('Your request has been received. Wait for notification of the request being processed.');
    expect(sent[1]!.text).toBe(
      "REGISTRATION CENTER. Personal Code: 1234. CLIENT'S PORTAL: login: ivanov, password: 1a2b3c4d. Do not share your registration data with anyone.",
    );
    // Stored before deleted: the SIM is empty again and the inbox holds the request.
    await waitFor(() => h!.sim.modem.storage('SM').length === 0, 'SIM emptied');
    const ro = await h.readStore();
    const inbox = await ro.listInbound();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ from: '+79001234567', text: 'client INFO', status: 'processed', command: 'info' });
    await ro.close();
  });
});
