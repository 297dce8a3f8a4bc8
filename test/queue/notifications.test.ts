import { describe, it, expect } from 'vitest';
import { enqueueNotification } from '../../src/queue/notifications.js';
import { InvalidRequestError } from '../../src/queue/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { addClient } from './helpers.js';

describe('enqueueNotification', () => {
  it('normalises numbers and queues one notification job each', async () => {
    const store = new MemoryStore();
    const r = await enqueueNotification(store, { to: ['8 (900) 123-45-67', '+7 900 765-43-21'], text: 'Your order is ready' }, { country: 'RU' });
    expect(r.rejected).toEqual([]);
    expect(r.jobs.map((j) => [j.to, j.priority, j.state, j.attempts])).toEqual([
      ['+79001234567', 'notification', 'queued', 0],
      ['+79007654321', 'notification', 'queued', 0],
    ]);
    expect(r.ids).toEqual(r.jobs.map((j) => j.id));
    expect((await store.queueCounts()).byPriority.notification).toBe(2);
  });

  it('rejects invalid, duplicate and opted-out recipients one by one, queues the rest', async () => {
    const store = new MemoryStore();
    await addClient(store, '+79001111111', false);
    await addClient(store, '+79002222222', true);
    const r = await enqueueNotification(store, { to: ['12ab', '+79001111111', '89002222222', '+79002222222'], text: 'hi' });
    expect(r.jobs.map((j) => j.to)).toEqual(['+79002222222']);
    expect(r.rejected.map(({ to, error }) => ({ to, error }))).toEqual([
      { to: '12ab', error: 'invalid-number' },
      { to: '+79001111111', error: 'opted-out' },
      { to: '+79002222222', error: 'duplicate' },
    ]);
    expect(r.rejected[0]!.message).toContain('"12ab"');
  });

  it('refuses a request without text or recipients with a specific message', async () => {
    const store = new MemoryStore();
    await expect(enqueueNotification(store, { to: '+79001234567', text: ' ' })).rejects.toThrow(InvalidRequestError);
    await expect(enqueueNotification(store, { to: [], text: 'x' })).rejects.toThrow(/at least one/);
    await expect(enqueueNotification(store, { to: [42 as unknown as string], text: 'x' })).rejects.toThrow(/"to"\[0\] must be a string/);
    await expect(enqueueNotification(store, { to: 'x', text: 'y'.repeat(1601) })).rejects.toThrow(/1601 characters/);
    expect((await store.listJobs()).length).toBe(0);
  });
});
