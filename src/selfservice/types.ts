/** Self-service access (seed 003): the settings and the store port. */
import type { SelfServiceRecord } from '../store/types.js';

export type { SelfServiceRecord };

export interface SelfServiceSettings {
  enabled: boolean;
  activationKeyword: string;
  codeLength: number;
  maxFailures: number;
  /** Fractions allowed (tests use seconds-long locks). */
  lockHours: number;
  codesPerDay: number;
  /** The page's login form (`/self-service` on the public listener): "pow" proof-of-work captcha, or "off" (local testing; warned at start). */
  captcha: 'pow' | 'off';
  /** Work per captcha on the login form: the highest counter a browser may have to reach. */
  captchaDifficulty: number;
  /** Login attempts on the page per client IP per hour. */
  loginsPerIpPerHour: number;
}

export const SELF_SERVICE_DEFAULTS: SelfServiceSettings = {
  enabled: false,
  activationKeyword: '111',
  codeLength: 6,
  maxFailures: 3,
  lockHours: 24,
  codesPerDay: 5,
  captcha: 'pow',
  captchaDifficulty: 50_000,
  loginsPerIpPerHour: 20,
};

/** The store's part (Store implements it). */
export interface SelfServiceRepo {
  getSelfService(phone: string): Promise<SelfServiceRecord | undefined>;
  putSelfService(record: SelfServiceRecord): Promise<void>;
}

/** The answer to a verification, as the API returns it. */
export type VerifyResult =
  | { ok: true }
  | { ok: false; attemptsLeft: number }
  | { ok: false; lockedUntil: string }
  | { ok: false; error: 'not-activated' };

/** Public status (`selfservice status`): no hash, no code. */
export interface SelfServiceStatus {
  phone: string;
  activated: boolean;
  activatedAt: string | null;
  hasCode: boolean;
  codeIssuedAt: string | null;
  failures: number;
  lockedUntil: string | null;
}
