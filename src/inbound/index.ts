/** Public API of the inbound module: receive (Receiver, ModemIntake), then route (InboundPipeline, the route contract). */
export type { InboundRoute, RouteClaim } from './route.js';
export { InboundPipeline, RouteError, NO_ROUTE, isUnrouted, type InboundPipelineOptions } from './pipeline.js';
export { Receiver, type IngestResult, type IngestSource, type ReceiverOptions } from './receiver.js';
export { ModemIntake, type IntakeDriver, type ModemIntakeOptions, type StatusReportSink } from './modem-intake.js';
