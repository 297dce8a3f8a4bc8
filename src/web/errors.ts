/**
 * Errors the public web layer answers with their own status. Services may throw any error that
 * carries a 4xx `status` and a string `code` (e.g. ChatError): the web layer shows its code and
 * message; anything else is a 500 whose details stay in the log.
 */

export class WebError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds for a Retry-After header (429, 409). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'WebError';
  }
}

/** What a client may be shown of an error. */
export interface PublicError {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

/** A 4xx error thrown on purpose by a route or a service (status + code), safe to show. */
export function asPublicError(e: unknown): PublicError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown; retryAfterSeconds?: unknown; validation?: unknown };
  if (o.validation !== undefined) {
    return { status: 400, code: 'bad-request', message: String(o.message) };
  }
  const status = typeof o.status === 'number' ? o.status : typeof o.statusCode === 'number' ? o.statusCode : undefined;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  // Fastify's own errors (bad JSON, wrong content type, body too large) carry FST_… codes.
  const code = typeof o.code === 'string' && !o.code.startsWith('FST_') ? o.code : status === 415 ? 'unsupported-media-type' : status === 413 ? 'body-too-large' : 'bad-request';
  return {
    status,
    code,
    message: String(o.message ?? ''),
    retryAfterSeconds: typeof o.retryAfterSeconds === 'number' ? o.retryAfterSeconds : undefined,
  };
}
