/** Delivery reports: match a status report to its sent part, keep part and job delivery states. */
export { DeliveryTracker, reportHash, type DeliveryFinal, type DeliveryStats, type DeliveryStore, type DeliveryTrackerOptions, type ReportOutcome } from './tracker.js';
export { matchReport, recipientKey, type MatchOptions, type MatchResult, type ReportKey, type SentPartRef, type UnmatchedReason } from './match.js';
export { aggregate, applyStatus, deliveryJson, deliveryLabel, jobDelivery } from './state.js';
