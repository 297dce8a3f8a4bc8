/**
 * How a simulated modem hands status reports to its host, by `AT+CNMI` ds: 1 → `+CDS: <len>` with
 * the PDU (under `AT+CSMS=1` each waits for `AT+CNMA`, and a missing ack turns routing off, 27.005
 * §3.4.4), 2 → stored (the profile's report memory, else the receive memory) and `+CDSI`, with the
 * Quectel announcement quirk, 0 → lost. Reports the modem cannot take (memory full, routing off)
 * wait "in the network" and are sent again when that changes.
 */
import type { ModemProfile } from '../modem/profile.js';
import type { Timer } from '../util/clock.js';
import { tpduLength, type SimSettings } from './at-commands.js';
import type { SimStorage } from './storage.js';

/** Counters of the status reports the network sent, and how they reached the host. */
export interface ReportStats {
  /** Planned or injected reports handed to the modem. */
  generated: number;
  /** `+CDS` URCs written (ds=1). */
  routed: number;
  /** Stored with `+CDSI` (ds=2). */
  stored: number;
  /** Lost because AT+CNMI ds=0 (the SMSC counts them delivered to the phone). */
  dropped: number;
  /** Waiting in the network: storage full, or routing turned off after a missing `AT+CNMA`. */
  held: number;
  /** `+CDS` that needed `AT+CNMA` and did not get it in time. */
  unacknowledged: number;
}

/** What the channel uses of its modem. */
export interface ReportChannelHost {
  readonly profile: ModemProfile;
  readonly settings: SimSettings;
  readonly memories: SimStorage;
  urc(line: string, pdu?: string): void;
  after(ms: number, fn: () => void): Timer;
  cancel(t: Timer): void;
}

export class ReportChannel {
  readonly stats: ReportStats = { generated: 0, routed: 0, stored: 0, dropped: 0, held: 0, unacknowledged: 0 };
  private held: string[] = [];
  /** A `+CDS` sent under AT+CSMS=1 that waits for AT+CNMA; later ones queue behind it. */
  private ackWait: { timer: Timer; pdu: string } | undefined;
  private ackQueue: string[] = [];
  /** Between AT+CNMA and the next queued +CDS: a fresh report still queues, so the order holds. */
  private draining = false;

  constructor(
    private readonly host: ReportChannelHost,
    private readonly o: { cnmaTimeoutMs: number; networkRetryMs: number },
  ) {}

  /** The network sends one report now. */
  deliver(pdu: string, fresh = true): void {
    if (fresh) this.stats.generated++;
    const s = this.host.settings;
    const ds = s.cnmi[3] ?? 0;
    if (ds === 1) {
      // 27.005 §3.4.1: under AT+CSMS=1 no further +CDS until the previous one is acknowledged.
      if (this.ackWait || this.draining) {
        this.ackQueue.push(pdu);
        return;
      }
      this.stats.routed++;
      this.host.urc(`+CDS: ${tpduLength(pdu)}`, pdu);
      if (s.csms === 1) this.awaitAck(pdu);
      return;
    }
    if (ds === 2) {
      const memName = this.host.profile.sim.statusReportMemory ?? s.cpms[2];
      const index = this.host.memories.get(memName).store(pdu, 0);
      if (index === undefined) return this.hold(pdu);
      this.stats.stored++;
      // Quectel EC25/EG25: stored in SR, announced as "SM",0 (profile sim.cdsiAnnounces).
      const shown = this.host.profile.sim.cdsiAnnounces ?? { memory: memName, index };
      this.host.urc(`+CDSI: "${shown.memory}",${shown.index}`);
      return;
    }
    this.stats.dropped++;
  }

  /** AT+CNMA: true when a `+CDS` waited for it. */
  acknowledge(): boolean {
    if (!this.ackWait) return false;
    this.host.cancel(this.ackWait.timer);
    this.ackWait = undefined;
    if (this.ackQueue.length === 0) return true;
    // After the OK of AT+CNMA, as a modem would: the next +CDS is a URC of its own.
    this.draining = true;
    this.host.after(0, () => {
      this.draining = false;
      const next = this.ackQueue.shift();
      if (next) this.deliver(next, false);
    });
    return true;
  }

  /** Storage freed or AT+CNMI changed: the network tries the reports it holds again. */
  retryHeld(): void {
    if (this.held.length === 0 || (this.host.settings.cnmi[3] ?? 0) === 0) return;
    this.host.after(this.o.networkRetryMs, () => {
      const pending = this.held;
      this.held = [];
      this.stats.held = 0;
      for (const pdu of pending) this.deliver(pdu, false);
    });
  }

  /** Power loss: reports waiting for an ack are lost to the modem; the SMSC sends them again later. */
  powerLoss(): void {
    const waiting = this.ackWait ? [this.ackWait.pdu] : [];
    for (const p of [...waiting, ...this.ackQueue.splice(0)]) this.hold(p);
    this.ackWait = undefined;
    this.draining = false;
  }

  private hold(pdu: string): void {
    this.held.push(pdu);
    this.stats.held = this.held.length;
  }

  private awaitAck(pdu: string): void {
    const timer = this.host.after(this.o.cnmaTimeoutMs, () => {
      // 27.005 §3.4.4: no +CNMA within the network timeout → the ME turns routing off (mt=ds=0)
      // and rejects the report; the SMSC keeps it and tries again later.
      this.ackWait = undefined;
      this.stats.unacknowledged++;
      this.host.settings.cnmi[1] = 0;
      this.host.settings.cnmi[3] = 0;
      for (const p of [pdu, ...this.ackQueue.splice(0)]) this.hold(p);
    });
    this.ackWait = { timer, pdu };
  }
}
