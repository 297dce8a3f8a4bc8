/** Config → the options of each service, units converted in one place (seconds → ms). */
import { existsSync } from 'node:fs';
import type { Config, ModemSpec } from '../config/config.js';
import { unknownResendDelays } from '../queue/retry-policy.js';
import type { QueueWorkerOptions } from '../queue/worker.js';
import { SerialTransport } from '../transport/index.js';
import type { Logger } from '../util/log.js';
import type { SupervisorOptions } from './supervisor.js';

/** One serial modem of the pool: the real port and device probe. */
export function serialModemOptions(cfg: Config, spec: ModemSpec, logger: Logger): SupervisorOptions {
  return {
    id: spec.id,
    device: spec.device,
    baudRate: spec.baudRate,
    profile: spec.profile,
    pin: spec.pin,
    idleProbeMs: cfg.modem.idleProbeSeconds * 1000,
    sendTimeoutMs: cfg.modem.sendTimeoutSeconds !== undefined ? cfg.modem.sendTimeoutSeconds * 1000 : undefined,
    openTransport: (path, baudRate) => new SerialTransport({ path, baudRate, logger }),
    deviceExists: existsSync,
    logger,
  };
}

export function queuePolicyOptions(cfg: Config): Pick<QueueWorkerOptions, 'policy'> {
  const q = cfg.queue;
  return {
    policy: { maxAttempts: q.maxAttempts, onUnknown: q.onUnknown, baseDelayMs: q.retryBaseSeconds * 1000, unknownResendDelayMs: unknownResendDelays(q.unknownResendSeconds) },
  };
}

/** The pool's settings: per-recipient cap, pinned wait and fallback, the SIM sweep. */
export function poolOptions(cfg: Config) {
  return {
    recipientDailyCap: cfg.queue.dailyCap,
    pinnedWaitMs: cfg.pool.pinnedWaitMinutes * 60_000,
    pinnedFallback: cfg.pool.pinnedFallback,
    sweepMs: cfg.inbound.sweepSeconds * 1000,
  };
}
