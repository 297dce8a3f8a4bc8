/** `forwards retry`: re-arm a failed forward — due at once, the schedule starts over, its attempts kept. */
import type { Forward, ForwardStore } from '../store/account-types.js';
import { ForwardError } from './errors.js';

export async function rearmForward(store: ForwardStore, id: string, nowIso: string): Promise<Forward> {
  const f = await store.getForward(id);
  if (!f) throw new ForwardError('FORWARD_NOT_FOUND', `no forward "${id}" (see \`sms-server forwards\`)`);
  if (f.status !== 'failed') throw new ForwardError('FORWARD_STATE', `forward ${id} is ${f.status}; only a failed forward can be retried`);
  return store.updateForward(id, { status: 'pending', tries: 0, nextAttemptAt: nowIso, reason: undefined });
}
