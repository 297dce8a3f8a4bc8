/** Public API of the loopback HTTP API. */
export { startHttpApi, jobView, HttpApiConfigError, type HttpApi, type HttpApiOptions } from './http.js';
