/**
 * Security headers and the cross-site request check of the public web layer.
 *
 * - CSP: everything from our own origin only, no inline script or style, no framing, no plugins.
 *   Pages keep their data out of script: strings travel as `<script type="application/json">`
 *   (never executed) and are read with JSON.parse.
 * - Referrer-Policy `same-origin`, not `no-referrer`: with `no-referrer` a browser sends
 *   `Origin: null` even on same-origin POSTs (Fetch standard), and the Origin check below
 *   would refuse our own page.
 * - CSRF: cookies are SameSite=Strict (set by the features); in addition every state-changing
 *   request must come from our own origin: `Sec-Fetch-Site` (when the browser sends it) must be
 *   same-origin, and `Origin` (when present) must name the host the request was sent to. Scripts
 *   (curl) send neither and are let through: they hold their own cookie.
 *   JSON bodies are required on POST, which an HTML form cannot send cross-site.
 */
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyRequest } from 'fastify';
import { WebError } from './errors.js';

export const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  referrerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  frameguard: { action: 'deny' },
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws 403 `cross-site` when a state-changing request does not come from our own origin. */
export function checkSameOrigin(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new WebError(403, 'cross-site', `cross-site request refused (Sec-Fetch-Site: ${site})`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = origin === 'null' ? undefined : new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (!host || host.toLowerCase() !== req.host.toLowerCase()) {
    throw new WebError(403, 'cross-site', `cross-site request refused: Origin ${JSON.stringify(origin)} is not this site (${req.host})`);
  }
}
