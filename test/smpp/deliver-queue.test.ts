import { LowdbStore } from '../../src/store/lowdb/lowdb-store.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ForwardDeliverQueue } from '../../src/smpp/index.js';
import { removeDir, tempDir } from '../store/helpers.js';
import { deliverQueueContract } from './deliver-queue-contract.js';
import { MemoryDeliverQueue } from './fakes.js';

deliverQueueContract('in-memory (the SMPP tests\' fake)', async () => ({ queue: new MemoryDeliverQueue() }));

deliverQueueContract('ForwardDeliverQueue on MemoryStore', async () => {
  const store = new MemoryStore();
  await store.open();
  return { queue: new ForwardDeliverQueue(store) };
});

// On disk: the reopen case is a process that died (no close) and a new one opening the folder.
deliverQueueContract('ForwardDeliverQueue on LowdbStore', async () => {
  const dir = await tempDir('sms-smpp-queue-');
  const stores: LowdbStore[] = [];
  const open = async () => {
    const s = new LowdbStore(dir, { lock: false });
    await s.open();
    stores.push(s);
    return new ForwardDeliverQueue(s);
  };
  return {
    queue: await open(),
    reopen: open,
    close: async () => {
      for (const s of stores) await s.close().catch(() => undefined);
      await removeDir(dir);
    },
  };
});
