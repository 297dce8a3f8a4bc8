/** Public API of the outbound queue: the worker, its retry policy, notifications and mass campaigns. */
export * from './errors.js';
export * from './retry-policy.js';
export { MassRateLimiter } from './rate-limiter.js';
export { DailyCap, sentToday, storeSentCounter, type SentCounter } from './daily-cap.js';
export { ModemQuota } from './modem-quota.js';
export { PinnedFallback, type PinnedFallbackMode, type PinnedFallbackOptions } from './pinned-fallback.js';
export * from './worker.js';
export * from './notifications.js';
export * from './mass.js';
export { accountPin, type ModemForNumber, type PinForAccount, type ReplyModem } from './account-pin.js';
export { ReplyAffinity, storeReplyModem, type ReplyAffinityOptions } from './reply-affinity.js';
