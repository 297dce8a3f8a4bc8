export { ServerMetrics, MODEM_STATES, type MetricsSources, type ServerMetricsOptions } from './server-metrics.js';
export { healthOf, healthHttpStatus, type Health, type HealthState } from './health.js';
export { metricsApiRoutes } from './api.js';
