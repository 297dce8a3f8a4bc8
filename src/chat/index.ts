/** Public API of the web-to-SMS chat: the service, its inbound route, its outbox on the store, limits and types. */
export * from './types.js';
export * from './errors.js';
export { ChatService, jobStateToDelivery, type ChatServiceOptions, type ChatConversationView, type ChatMessageView, type ChatDraft, type ChatListener } from './service.js';
export { ChatRoute, CHAT_ROUTE } from './route.js';
export { storeOutbox } from './outbox.js';
export { ChatLimits, DEFAULT_CHAT_LIMITS, type ChatLimitsConfig } from './limits.js';
export { DEFAULT_CHAT_TEMPLATE, renderChatSms, validateChatTemplate } from './template.js';
