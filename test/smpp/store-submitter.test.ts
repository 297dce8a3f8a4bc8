import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import { InvalidDestinationError, InvalidMessageError, StoreSubmitter, SubmitThrottledError, type SmppSubmission } from '../../src/smpp/index.js';

const msg = (o: Partial<SmppSubmission> = {}): SmppSubmission => ({ to: '79001234567', from: '', text: 'hello', registeredDelivery: 0, dataCoding: 0, parts: 1, ...o });

describe('StoreSubmitter (SmppSubmitter on the Store)', () => {
  it('queues a notification job for the normalised number, attributed to the account, and returns its id', async () => {
    const store = new MemoryStore();
    let kicked = 0;
    const s = new StoreSubmitter({ store, phoneRule: { country: 'RU' }, perMinute: 10, onEnqueued: () => kicked++ });
    const id = await s.submit({ login: 'acme' }, msg({ to: '89001234567', text: 'Привет' }));
    const job = await store.getJob(id);
    expect(job).toMatchObject({ to: '+79001234567', text: 'Привет', priority: 'notification', state: 'queued', account: 'acme' });
    expect(job!.smppReceipt).toBeUndefined();
    const withReceipt = await store.getJob(await s.submit({ login: 'acme' }, msg({ registeredDelivery: 2, from: '12345' })));
    expect(withReceipt!.smppReceipt).toEqual({ when: 'failure', originator: '12345' });
    expect(kicked).toBe(2);
  });

  it('throttles an account over its rate without touching another account', async () => {
    const s = new StoreSubmitter({ store: new MemoryStore(), phoneRule: { country: 'RU' }, perMinute: 2 });
    await s.submit({ login: 'acme' }, msg());
    await s.submit({ login: 'acme' }, msg());
    await expect(s.submit({ login: 'acme' }, msg())).rejects.toBeInstanceOf(SubmitThrottledError);
    await expect(s.submit({ login: 'beta' }, msg())).resolves.toMatch(/^job-/);
  });

  it('refuses a number that is not one, and an empty text, with typed errors', async () => {
    const s = new StoreSubmitter({ store: new MemoryStore(), phoneRule: { country: 'RU' }, perMinute: 100 });
    await expect(s.submit({ login: 'acme' }, msg({ to: '123' }))).rejects.toBeInstanceOf(InvalidDestinationError);
    await expect(s.submit({ login: 'acme' }, msg({ text: '  ' }))).rejects.toBeInstanceOf(InvalidMessageError);
  });
});
