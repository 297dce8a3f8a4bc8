export * from './types.js';
export { CodeHasher, newCode } from './code-hash.js';
export { SelfService, toStatus, type OrderResult, type SelfServiceOptions } from './service.js';
export { selfServiceHandlers, SELF_SERVICE_COMMANDS } from './handlers.js';
export { selfServiceApiRoutes, parseVerifyRequest, verifyStatus } from './api.js';
export { notificationSwitch, type NotificationSwitch } from './notifications.js';
