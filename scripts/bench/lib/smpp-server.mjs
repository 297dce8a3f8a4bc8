/**
 * The SMPP listener next to a started server for the benchmark: the real SmppServer and the real
 * StoreSubmitter on the server's store (submit_sm → stored job → queue worker → modem). The bind
 * check is a fixed login: authentication is not what is measured.
 */
import { dist } from './env.mjs';

const { SmppServer, StoreSubmitter } = await dist('smpp/index.js');

export async function startBenchSmpp(server, cfg, { perMinute }) {
  const login = 'bench';
  const password = 'bench123';
  const emptyQueue = {
    enqueue: async () => {
      throw new Error('not used');
    },
    claim: async () => [],
    ack: async () => undefined,
    release: async () => undefined,
    nextDueAt: async () => undefined,
  };
  const smpp = new SmppServer({
    config: cfg.smpp,
    accounts: { authenticate: async (id, pw) => (id !== login ? 'unknown' : pw === password ? { login } : 'bad-password') },
    submitter: new StoreSubmitter({ store: server.store, phoneRule: { country: cfg.country }, perMinute, onEnqueued: () => server.worker.kick() }),
    deliverQueue: emptyQueue,
  });
  const { port } = await smpp.start();
  return { port, login, password, stop: () => smpp.stop() };
}
