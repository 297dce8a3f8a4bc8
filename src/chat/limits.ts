/**
 * Abuse limits of the chat (SMS pumping fraud: bots make a web form text premium or foreign
 * ranges, and the operator pays). A captcha slows bots down; these bound what gets through:
 * - per client IP: sessions per hour and messages per hour (token buckets, util/rate-limit);
 * - per destination: messages per calendar day (local day of the server), counted from the
 *   stored sessions at start so a restart does not reset it;
 * - per number prefix (the first `prefixDigits` digits of the E.164 number): messages per hour,
 *   so a fraud run across one number range stops early whatever IPs it comes from.
 */
import { realClock, type Clock } from '../util/clock.js';
import { RateLimiter } from '../util/rate-limit.js';
import { ChatError } from './errors.js';

export interface ChatLimitsConfig {
  /** Messages one client IP may send per hour. */
  perIpPerHour: number;
  /** Sessions one client IP may open per hour. */
  sessionsPerIpPerHour: number;
  /** Messages to one mobile number per day. */
  perDestinationPerDay: number;
  /** Messages to all numbers sharing a prefix per hour. */
  perPrefixPerHour: number;
  /** Digits of the E.164 number (after `+`) that form its prefix: 6 covers country + operator code. */
  prefixDigits: number;
  /** Conversations (distinct mobiles) one session may hold. */
  conversationsPerSession: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimitsConfig = {
  perIpPerHour: 20,
  sessionsPerIpPerHour: 20,
  perDestinationPerDay: 10,
  perPrefixPerHour: 60,
  prefixDigits: 6,
  conversationsPerSession: 5,
};

const HOUR = 3_600_000;

export class ChatLimits {
  private readonly ipMessages: RateLimiter;
  private readonly ipSessions: RateLimiter;
  private readonly prefixes: RateLimiter;
  private day = '';
  private perDestination = new Map<string, number>();
  private readonly clock: Clock;
  private readonly offsetMinutes: number;

  constructor(
    readonly cfg: ChatLimitsConfig,
    o: { clock?: Clock; dayOffsetMinutes?: number } = {},
  ) {
    this.clock = o.clock ?? realClock;
    this.offsetMinutes = o.dayOffsetMinutes ?? -new Date().getTimezoneOffset();
    this.ipMessages = new RateLimiter({ limit: cfg.perIpPerHour, windowMs: HOUR, clock: this.clock });
    this.ipSessions = new RateLimiter({ limit: cfg.sessionsPerIpPerHour, windowMs: HOUR, clock: this.clock });
    this.prefixes = new RateLimiter({ limit: cfg.perPrefixPerHour, windowMs: HOUR, clock: this.clock });
  }

  /** The prefix a number is counted under: `+790012` for `+79001234567` with 6 digits. */
  prefixOf(mobile: string): string {
    return mobile.slice(0, 1 + this.cfg.prefixDigits);
  }

  /** Takes one session from the IP's hourly allowance, or throws 429. */
  takeSession(ip: string): void {
    if (!this.ipSessions.allow(ip)) {
      throw new ChatError(
        'limit-sessions',
        `too many chat sessions from this address: at most ${this.cfg.sessionsPerIpPerHour} per hour`,
        Math.ceil(HOUR / this.cfg.sessionsPerIpPerHour / 1000),
      );
    }
  }

  /**
   * Takes one message for (ip, mobile): checks every limit first and counts only when all pass,
   * so a refused attempt does not use up the destination's or the prefix's allowance. The IP's
   * allowance is taken even when another limit refuses (probing costs the prober).
   */
  takeMessage(ip: string, mobile: string): void {
    if (!this.ipMessages.allow(ip)) {
      throw new ChatError('limit-ip', `too many messages from this address: at most ${this.cfg.perIpPerHour} per hour`, Math.ceil(HOUR / this.cfg.perIpPerHour / 1000));
    }
    const now = this.clock.now();
    this.roll(now);
    if ((this.perDestination.get(mobile) ?? 0) >= this.cfg.perDestinationPerDay) {
      throw new ChatError(
        'limit-destination',
        `${mobile} has had ${this.cfg.perDestinationPerDay} chat messages today, the daily maximum; try again tomorrow`,
        Math.ceil(this.msToNextDay(now) / 1000),
      );
    }
    const prefix = this.prefixOf(mobile);
    if (this.prefixes.remaining(prefix) < 1) {
      throw new ChatError(
        'limit-prefix',
        `too many chat messages to numbers starting ${prefix} in the last hour (at most ${this.cfg.perPrefixPerHour})`,
        Math.ceil(HOUR / this.cfg.perPrefixPerHour / 1000),
      );
    }
    this.prefixes.allow(prefix);
    this.perDestination.set(mobile, (this.perDestination.get(mobile) ?? 0) + 1);
  }

  /** Counts a message sent before a restart (seeding from the store); ignored unless it was today. */
  seedDestination(mobile: string, atMs: number): void {
    this.roll(this.clock.now());
    if (this.dayOf(atMs) === this.day) this.perDestination.set(mobile, (this.perDestination.get(mobile) ?? 0) + 1);
  }

  /** Start of the current local day (ms), for seeding. */
  startOfDay(): number {
    const now = this.clock.now();
    return now - this.msSinceMidnight(now);
  }

  private dayOf(ms: number): string {
    return new Date(ms + this.offsetMinutes * 60_000).toISOString().slice(0, 10);
  }

  private msSinceMidnight(ms: number): number {
    const local = ms + this.offsetMinutes * 60_000;
    return ((local % 86_400_000) + 86_400_000) % 86_400_000;
  }

  private msToNextDay(ms: number): number {
    return 86_400_000 - this.msSinceMidnight(ms);
  }

  private roll(now: number): void {
    const d = this.dayOf(now);
    if (d !== this.day) {
      this.day = d;
      this.perDestination = new Map();
    }
  }
}
