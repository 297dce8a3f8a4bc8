/**
 * `POST /self-service/verify` on the loopback API (operator token): what a terminal or a portal
 * calls with the code a subscriber typed. Answers (the contract):
 * 200 `{ok:true}` | 200 `{ok:false, attemptsLeft}` | 423 `{ok:false, lockedUntil}` | 404 `{ok:false, error:"not-activated"}`.
 */
import { HttpError, type ApiRoute } from '../api/http.js';
import { normalizePhone, type PhoneOptions, type PhoneRule } from '../util/phone.js';
import type { SelfService } from './service.js';
import type { VerifyResult } from './types.js';

/** HTTP status for a verification result. */
export function verifyStatus(r: VerifyResult): number {
  if (r.ok) return 200;
  if ('lockedUntil' in r) return 423;
  if ('error' in r) return 404;
  return 200;
}

/** Checks and normalises `{phone, code}`; throws HttpError 400 naming the bad field. */
export function parseVerifyRequest(body: unknown, rule: PhoneOptions | PhoneRule): { phone: string; code: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object {"phone": …, "code": …}');
  const { phone, code } = body as { phone?: unknown; code?: unknown };
  if (typeof phone !== 'string' || phone.trim() === '') throw new HttpError(400, '"phone" is required: the subscriber\'s number');
  if (typeof code !== 'string' || !/^\d{1,32}$/.test(code.trim())) throw new HttpError(400, '"code" is required: the digits the subscriber received');
  let e164: string;
  try {
    e164 = normalizePhone(phone, rule);
  } catch (e) {
    throw new HttpError(400, `"phone": ${(e as Error).message}`);
  }
  return { phone: e164, code: code.trim() };
}

export function selfServiceApiRoutes(svc: SelfService, rule: PhoneOptions | PhoneRule): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/self-service/verify',
      async handle({ body }) {
        const { phone, code } = parseVerifyRequest(await body(), rule);
        const r = await svc.verify(phone, code);
        return [verifyStatus(r), r];
      },
    },
  ];
}
