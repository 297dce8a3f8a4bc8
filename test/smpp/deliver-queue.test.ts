import { deliverQueueContract } from './deliver-queue-contract.js';
import { MemoryDeliverQueue } from './fakes.js';

deliverQueueContract('in-memory (the SMPP tests\' fake)', async () => ({ queue: new MemoryDeliverQueue() }));
