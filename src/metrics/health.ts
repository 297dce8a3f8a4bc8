/**
 * `GET /health` for a load balancer or a systemd watchdog: `ready` when every modem is ready,
 * `degraded` when some are (the server still sends and receives through them), `down` when none
 * is. HTTP 200 for ready and degraded, 503 for down: a balancer takes the host out only when it
 * cannot send at all.
 */
import type { ServerStatus } from '../store/types.js';

export type HealthState = 'ready' | 'degraded' | 'down';

export interface Health {
  status: HealthState;
  modems: { id: string; state: string; downSince?: string }[];
}

export function healthOf(s: ServerStatus): Health {
  const modems = (s.modems ?? []).map((m) => ({ id: m.id, state: m.state, ...(m.downSince ? { downSince: m.downSince } : {}) }));
  const ready = modems.filter((m) => m.state === 'ready').length;
  const status: HealthState = ready === 0 ? 'down' : ready === modems.length ? 'ready' : 'degraded';
  return { status, modems };
}

export const healthHttpStatus = (h: Health): number => (h.status === 'down' ? 503 : 200);
