/** Public API of forwarding: events, the dispatcher, the channel senders and the signature. */
export * from './errors.js';
export * from './events.js';
export * from './schedule.js';
export * from './sender.js';
export * from './signature.js';
export { WebhookSender, WEBHOOK_TIMEOUT_MS, type WebhookSenderOptions } from './webhook-sender.js';
export { EmailSender, mailBody, mailSubject, type SmtpConfig, type EmailSenderOptions } from './email-sender.js';
export { ForwardDispatcher, DEFAULT_CONCURRENCY, type ForwardDispatcherOptions } from './dispatcher.js';
export { rearmForward } from './retry.js';
