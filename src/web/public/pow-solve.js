// Solving a server's proof-of-work challenge in the page (the chat and the self-service login):
// altcha-lib's own browser build with Web Crypto, in workers when the browser has them (several
// cores, the page stays responsive), else on the main thread.
import { solveChallenge, solveChallengeWorkers } from '/assets/vendor/altcha/pow.js';
import { deriveKey } from '/assets/vendor/altcha/algorithms/web/sha.js';

/**
 * `ch`: what the server's captcha route answered. Resolves with the answer to post (base64 JSON
 * of {challenge, solution}), or undefined when the server has the captcha switched off.
 */
export async function solveCaptcha(ch) {
  if (ch.mode === 'off') return undefined;
  const { mode: _mode, ...challenge } = ch;
  const solution =
    typeof Worker === 'function'
      ? await solveChallengeWorkers({
          challenge,
          concurrency: Math.min(4, navigator.hardwareConcurrency || 1),
          createWorker: () => new Worker('/assets/pow-worker.js', { type: 'module' }),
        })
      : await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('no solution');
  return btoa(JSON.stringify({ challenge, solution }));
}
