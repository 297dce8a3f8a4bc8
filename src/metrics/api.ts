/**
 * `GET /metrics` on the loopback API, in the Prometheus text format. It needs the operator token
 * like every API route: the figures name modems, queue sizes and the host's memory. Prometheus
 * sends it with `authorization: {credentials_file: …}` in its scrape config (docs/metrics.md).
 */
import { RawBody, type ApiRoute } from '../api/http.js';
import type { ServerMetrics } from './server-metrics.js';

export function metricsApiRoutes(metrics: ServerMetrics): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      async handle() {
        return [200, new RawBody(metrics.contentType, await metrics.metrics())];
      },
    },
  ];
}
