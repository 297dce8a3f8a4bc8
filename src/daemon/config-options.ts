/** Config → the options of each service, units converted in one place (seconds → ms). */
import { existsSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { unknownResendDelays } from '../queue/retry-policy.js';
import type { QueueWorkerOptions } from '../queue/worker.js';
import { DEFAULT_MODEM_ID } from '../store/types.js';
import { SerialTransport } from '../transport/index.js';
import type { Logger } from '../util/log.js';
import type { SupervisorOptions } from './supervisor.js';

/** One serial modem: the real port and device probe. */
export function serialModemOptions(cfg: Config, device: string, logger: Logger): SupervisorOptions {
  return {
    id: DEFAULT_MODEM_ID,
    device,
    baudRate: cfg.baudRate,
    profile: cfg.profile,
    pin: cfg.pin,
    idleProbeMs: cfg.modem.idleProbeSeconds * 1000,
    sendTimeoutMs: cfg.modem.sendTimeoutSeconds !== undefined ? cfg.modem.sendTimeoutSeconds * 1000 : undefined,
    openTransport: (path, baudRate) => new SerialTransport({ path, baudRate, logger }),
    deviceExists: existsSync,
    logger,
  };
}

export function queuePolicyOptions(cfg: Config): Pick<QueueWorkerOptions, 'policy' | 'rate' | 'dailyCap'> {
  const q = cfg.queue;
  return {
    policy: { maxAttempts: q.maxAttempts, onUnknown: q.onUnknown, baseDelayMs: q.retryBaseSeconds * 1000, unknownResendDelayMs: unknownResendDelays(q.unknownResendSeconds) },
    rate: { massPerMinute: q.massPerMinute },
    dailyCap: q.dailyCap,
  };
}
