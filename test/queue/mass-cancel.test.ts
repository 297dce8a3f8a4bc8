/** `cancelCampaign` (the `mass.cancel` op behind `mass cancel` and the console) on the in-memory Store. */
import { describe, expect, it } from 'vitest';
import { cancelCampaign, createCampaign } from '../../src/queue/index.js';
import { MemoryStore } from '../../src/store/memory.js';

async function campaign() {
  const store = new MemoryStore();
  await store.open();
  const r = await createCampaign(store, { text: 'Sale', fileText: '+79010000001\n+79010000002\n+79010000003\n' }, { country: 'RU' }, { campaignId: 'cmp-x' });
  return { store, id: r.campaignId };
}

describe('cancelCampaign', () => {
  it('fails every queued job with reason cancelled and leaves the one a modem is sending alone', async () => {
    const { store, id } = await campaign();
    const claimed = await store.claimNext({ owner: 'host:m1', leaseMs: 60_000 });
    expect(claimed?.state).toBe('sending');
    expect(await cancelCampaign(store, id)).toEqual({ campaignId: id, cancelled: 2, sending: 1 });
    const jobs = await store.listJobs({ campaignId: id });
    expect(jobs.filter((j) => j.state === 'failed' && j.reason === 'cancelled')).toHaveLength(2);
    expect((await store.getJob(claimed!.id))!.state).toBe('sending');
    // No worker can claim a cancelled job.
    expect(await store.claimNext({ owner: 'host:m2', leaseMs: 60_000 })).toBeUndefined();
    expect(await cancelCampaign(store, id)).toEqual({ campaignId: id, cancelled: 0, sending: 1 });
  });

  it('names an unknown campaign', async () => {
    const { store } = await campaign();
    await expect(cancelCampaign(store, 'cmp-nope')).rejects.toMatchObject({ code: 'CAMPAIGN_NOT_FOUND', message: expect.stringContaining('no campaign "cmp-nope"') });
  });
});
