// The captcha solver in a Web Worker: altcha-lib's own worker handler with its Web Crypto key
// derivation (its packaged SHA worker imports the Node one), so the page stays responsive.
import { handler } from '/assets/vendor/altcha/workers/shared.js';
import { deriveKey } from '/assets/vendor/altcha/algorithms/web/sha.js';

handler({ deriveKey });
