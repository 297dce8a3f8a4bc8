/** Self-service access (seed 003): the per-number state and the settings. */

/** One subscriber's self-service state. Stored by phone (E.164); the code only as a keyed hash. */
export interface SelfServiceRecord {
  phone: string;
  /** Set by the activation keyword; unset after `selfservice deactivate`. */
  activatedAt?: string;
  /** `CodeHasher.hash(phone, code)` of the current code; never the code. */
  codeHash?: string;
  codeIssuedAt?: string;
  /** The inbox entry that ordered the current code (a re-run after a crash must not issue another). */
  codeEntry?: string;
  /** Consecutive wrong codes since the last success, unlock or lock expiry. */
  failures: number;
  /** While set and in the future every verification answers "locked", even with the right code. */
  lockedUntil?: string;
  /** Code orders on `ordersDay` (UTC date, YYYY-MM-DD) — the `codesPerDay` limit. */
  ordersDay?: string;
  ordersToday: number;
  /** Day (UTC) the "not activated" / "too many codes" reply last went out: at most one a day each. */
  notActivatedReplyDay?: string;
  tooManyReplyDay?: string;
  updatedAt: string;
}

export interface SelfServiceSettings {
  enabled: boolean;
  activationKeyword: string;
  codeLength: number;
  maxFailures: number;
  /** Fractions allowed (tests use seconds-long locks). */
  lockHours: number;
  codesPerDay: number;
}

export const SELF_SERVICE_DEFAULTS: SelfServiceSettings = {
  enabled: false,
  activationKeyword: '111',
  codeLength: 6,
  maxFailures: 3,
  lockHours: 24,
  codesPerDay: 5,
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
