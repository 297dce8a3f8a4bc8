/**
 * Static assets of the public pages: `src/web/public/` (copied to `dist/web/public/` by the build)
 * under `/assets/`, and the browser build of `altcha-lib` (the captcha solver, the same library
 * that verifies on the server) under `/assets/vendor/altcha/` — only the five modules it needs.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page files are: next to this module, in the source tree and in `dist/` alike. */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** altcha-lib's ES module build (v2), which runs in browsers as is (Web Crypto). */
export function altchaBrowserDir(): string {
  // The package's exports hide package.json; its CommonJS entry is dist/cjs/v2/index.js.
  const cjsEntry = createRequire(import.meta.url).resolve('altcha-lib');
  return join(dirname(dirname(dirname(dirname(cjsEntry)))), 'dist', 'esm', 'v2');
}

/** The vendor modules a page may load: the solver, its worker handler and the browser SHA key derivation. */
const ALTCHA_FILES = new Set(['/pow.js', '/helpers.js', '/types.js', '/algorithms/web/sha.js', '/workers/shared.js']);

export async function registerStatic(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/assets/',
    index: false,
    // Page templates are rendered by their routes, never served raw.
    allowedPath: (path) => !path.endsWith('.html'),
    maxAge: '1h',
  });
  await app.register(fastifyStatic, {
    root: altchaBrowserDir(),
    prefix: '/assets/vendor/altcha/',
    index: false,
    decorateReply: false,
    allowedPath: (path) => ALTCHA_FILES.has(path.startsWith('/') ? path : `/${path}`),
    maxAge: '1d',
  });
}
