/** Public API of the loopback HTTP API. */
export { startHttpApi, jobView, HttpApiConfigError, HttpError, type ApiRoute, type HttpApi, type HttpApiOptions } from './http.js';
