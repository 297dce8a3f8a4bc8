import { MemoryStore } from '../../src/store/memory.js';
import { accountsContract } from './accounts-contract.js';
import { storeContract } from './contract.js';

storeContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
accountsContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
