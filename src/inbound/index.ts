/** Public API of the inbound module: receive (Receiver, ModemIntake), then route (InboundPipeline, the route contract). */
export type { InboundRoute, RouteClaim } from './route.js';
export { InboundPipeline, RouteError, NO_ROUTE, isUnrouted, type InboundPipelineOptions } from './pipeline.js';
export { Receiver, type IngestResult, type IngestSource, type ReceiverOptions } from './receiver.js';
export { ModemIntake, type IntakeDriver, type ModemIntakeOptions, type StatusReportEvent } from './modem-intake.js';
export { PrefixRoute, parsePrefix } from './prefix-route.js';
export { LastSenderRoute, DEFAULT_LAST_SENDER_DAYS, type LastSenderLookup, type LastSenderRouteOptions } from './last-sender-route.js';
export { NumberRoute, type NumberRouteOptions } from './number-route.js';
