/** Public API of the outbound queue: the worker, its retry policy, notifications and mass campaigns. */
export * from './errors.js';
export * from './retry-policy.js';
export { MassRateLimiter } from './rate-limiter.js';
export { DailyCap, sentToday } from './daily-cap.js';
export { ModemQuota } from './modem-quota.js';
export { PinnedFallback, type PinnedFallbackMode, type PinnedFallbackOptions } from './pinned-fallback.js';
export * from './worker.js';
export * from './notifications.js';
export * from './mass.js';
export { accountPin, type PinForAccount, type ReplyModem } from './account-pin.js';
export { ReplyAffinity, type ReplyAffinityOptions } from './reply-affinity.js';
