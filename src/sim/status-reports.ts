/**
 * The simulated network's status reports: after a SUBMIT that asked for one (TP-SRR), the SMSC
 * sends SMS-STATUS-REPORTs as a policy says — delivered, failed, pending then final, none — after
 * a delay, with the recipient written the way the SMSC chooses (international, national, unknown)
 * and timestamps in the SMSC's zone. Pure planning: the modem delivers what this returns.
 */
import { encodeStatusReport } from '../sms/index.js';
import { PHONE_RULES } from '../util/phone.js';

export type ReportOutcome = 'delivered' | 'failed' | 'pending' | 'none';
export const REPORT_OUTCOMES: readonly ReportOutcome[] = ['delivered', 'failed', 'pending', 'none'];
export type RecipientForm = 'international' | 'national' | 'unknown';

export interface ReportPolicy {
  /**
   * delivered: one report 0x00; failed: one permanent error (default 0x41); pending: a temporary
   * status (default 0x21, "SME busy") then, `finalDelayMs` later, the final one (default 0x00);
   * none: no report at all (an SMSC that ignores TP-SRR).
   */
  outcome: ReportOutcome;
  /** From `+CMGS` to the (first) report. Minutes on a real network when the phone is off. */
  delayMs: number;
  /** pending: from the temporary report to the final one. */
  finalDelayMs: number;
  /** The final status (overrides the outcome's default). */
  status?: number;
  /** pending: the temporary status (0x20-0x3F). */
  temporaryStatus?: number;
  /** How the SMSC writes TP-RA. national: the trunk prefix form of `country` (+7900… → 8900…). */
  recipientForm: RecipientForm;
  /** Country whose national form `recipientForm: national` uses (PHONE_RULES). */
  country: string;
  /** Zone of TP-SCTS/TP-DT, minutes east of UTC (an SMSC in another zone than ours). */
  tzOffsetMinutes: number;
}

export const DEFAULT_REPORT_POLICY: ReportPolicy = {
  outcome: 'delivered',
  delayMs: 50,
  finalDelayMs: 1000,
  recipientForm: 'international',
  country: 'RU',
  tzOffsetMinutes: 180,
};

export class ReportPolicyError extends Error {
  readonly code = 'SIM_REPORT_POLICY';
}

const isOctet = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;

/** Merge a (JSON) patch into a policy, checking every field; throws ReportPolicyError naming the bad one. */
export function mergePolicy(base: ReportPolicy, patch: Record<string, unknown>): ReportPolicy {
  const out: ReportPolicy = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    switch (k) {
      case 'outcome':
        if (!REPORT_OUTCOMES.includes(v as ReportOutcome)) throw new ReportPolicyError(`"outcome" must be one of ${REPORT_OUTCOMES.join(', ')}, got ${JSON.stringify(v)}`);
        out.outcome = v as ReportOutcome;
        break;
      case 'delayMs':
      case 'finalDelayMs':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 7 * 86_400_000) throw new ReportPolicyError(`"${k}" must be whole milliseconds from 0 to 7 days, got ${JSON.stringify(v)}`);
        out[k] = v;
        break;
      case 'status':
        if (!isOctet(v)) throw new ReportPolicyError(`"status" must be a TP-ST octet 0..255, got ${JSON.stringify(v)}`);
        out.status = v;
        break;
      case 'temporaryStatus':
        if (!isOctet(v) || v < 0x20 || v > 0x3f) throw new ReportPolicyError(`"temporaryStatus" must be 0x20..0x3F (32..63: the SMSC is still trying), got ${JSON.stringify(v)}`);
        out.temporaryStatus = v;
        break;
      case 'recipientForm':
        if (!['international', 'national', 'unknown'].includes(v as string)) throw new ReportPolicyError(`"recipientForm" must be international, national or unknown, got ${JSON.stringify(v)}`);
        out.recipientForm = v as RecipientForm;
        break;
      case 'country':
        if (typeof v !== 'string' || !PHONE_RULES[v.toUpperCase()]) throw new ReportPolicyError(`"country" must be one of ${Object.keys(PHONE_RULES).join(', ')}, got ${JSON.stringify(v)}`);
        out.country = v.toUpperCase();
        break;
      case 'tzOffsetMinutes':
        if (typeof v !== 'number' || !Number.isInteger(v) || v % 15 !== 0 || Math.abs(v) > 79 * 15) throw new ReportPolicyError(`"tzOffsetMinutes" must be a multiple of 15 within ±1185, got ${JSON.stringify(v)}`);
        out.tzOffsetMinutes = v;
        break;
      default:
        throw new ReportPolicyError(`unknown report policy field "${k}" (known: outcome, delayMs, finalDelayMs, status, temporaryStatus, recipientForm, country, tzOffsetMinutes)`);
    }
  }
  return out;
}

/** One report the network will send: after `afterMs` from the submit, with this status. */
export interface PlannedReport {
  afterMs: number;
  status: number;
}

/** The reports a SUBMIT gets under a policy, in order. */
export function planReports(p: ReportPolicy): PlannedReport[] {
  switch (p.outcome) {
    case 'none':
      return [];
    case 'delivered':
      return [{ afterMs: p.delayMs, status: p.status ?? 0x00 }];
    case 'failed':
      return [{ afterMs: p.delayMs, status: p.status ?? 0x41 }];
    case 'pending':
      return [
        { afterMs: p.delayMs, status: p.temporaryStatus ?? 0x21 },
        { afterMs: p.delayMs + p.finalDelayMs, status: p.status ?? 0x00 },
      ];
  }
}

/** TP-RA as the SMSC writes it: `+79001234567` → national `89001234567` or unknown-type `79001234567`. */
export function recipientAs(to: string, form: RecipientForm, country: string): { recipient: string; type: RecipientForm } {
  if (!to.startsWith('+') || form === 'international') return { recipient: to, type: to.startsWith('+') ? 'international' : 'unknown' };
  if (form === 'unknown') return { recipient: to.slice(1), type: 'unknown' };
  const rule = PHONE_RULES[country.toUpperCase()];
  const digits = to.slice(1);
  if (!rule || !digits.startsWith(rule.countryCode)) return { recipient: to, type: 'international' };
  return { recipient: rule.trunkPrefix + digits.slice(rule.countryCode.length), type: 'national' };
}

/** The PDU of one report on a part sent to `to` with `mr`. */
export function reportPdu(o: { mr: number; to: string; status: number; submittedAt: Date; dischargedAt: Date; policy: ReportPolicy; smsc?: string }): string {
  const ra = recipientAs(o.to, o.policy.recipientForm, o.policy.country);
  return encodeStatusReport({
    mr: o.mr,
    recipient: ra.recipient,
    recipientType: ra.type,
    status: o.status,
    submittedAt: o.submittedAt,
    dischargedAt: o.dischargedAt,
    tzOffsetMinutes: o.policy.tzOffsetMinutes,
    ...(o.smsc ? { smsc: o.smsc } : {}),
  });
}
