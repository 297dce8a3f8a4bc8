/**
 * The modem side of the inbound path: takes SMS off the SIM (on `+CMTI`, `+CMT`, status reports,
 * a full SIM and a periodic sweep) and calls, stores them through the Receiver, routes them
 * through the pipeline, and only then deletes the SIM copy. One TaskChain per intake: a burst of
 * `+CMTI`, the sweep and call handling never race on one SIM slot or one multipart set.
 */
import type { ModemDriver } from '../modem/driver.js';
import { DEFAULT_MODEM_ID, type InboxEntry, type Store } from '../store/types.js';
import { realClock, every, type Clock } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { TaskChain } from '../util/task-chain.js';
import type { InboundPipeline } from './pipeline.js';
import type { Receiver } from './receiver.js';

/** The part of the modem driver the intake uses (`ownNumber`, AT+CNUM, when the driver has it). */
export type IntakeDriver = Pick<ModemDriver, 'read' | 'delete' | 'listStored' | 'ackDirect' | 'ackStatusReport' | 'readStatusReports' | 'hangup' | 'on'> &
  Partial<Pick<ModemDriver, 'ownNumber'>>;

/**
 * Applies one status report durably (the delivery tracker). The intake deletes the SIM copy or
 * acknowledges a `+CDS` only after it resolved; when it throws, the report stays for the next sweep.
 */
export type StatusReportSink = (modem: string, pdu: string) => Promise<unknown>;

export interface ModemIntakeOptions {
  store: Store;
  receiver: Receiver;
  pipeline: InboundPipeline;
  /** Modem id recorded on every entry (default `default`). */
  modem?: string;
  /** The SIM's own number (config `modem.number`), recorded as `to` on every entry; unset: asked with AT+CNUM on attach. */
  simNumber?: string;
  /** Where status reports go; without one they are only logged (and deleted from the SIM). */
  statusReports?: StatusReportSink;
  logger?: Logger;
  clock?: Clock;
}

export class ModemIntake {
  readonly modem: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly chain: TaskChain;
  private stopSweeping: (() => void) | undefined;
  private ownNumber: string | undefined;

  constructor(private readonly o: ModemIntakeOptions) {
    this.modem = o.modem ?? DEFAULT_MODEM_ID;
    this.ownNumber = o.simNumber;
    this.log = moduleLogger(o.logger, 'intake').child({ modem: this.modem });
    this.clock = o.clock ?? realClock;
    this.chain = new TaskChain((err) => this.log.error({ err: (err as Error).message }, 'inbound task failed'));
  }

  /** The receiving SIM's number (recorded as `to` on entries), when known. */
  get simNumber(): string | undefined {
    return this.ownNumber;
  }

  /** Subscribe to a freshly initialised driver and sweep the SIM once. */
  attach(driver: IntakeDriver): void {
    // The configured number wins: operators rarely store the MSISDN on the SIM, and a SIM moved
    // to another modem keeps its config. Asked before the first sweep, on the same chain.
    if (!this.o.simNumber && driver.ownNumber) {
      this.chain.push(async () => {
        this.ownNumber = (await driver.ownNumber!()) ?? this.ownNumber;
        if (this.ownNumber) this.log.info({ number: this.ownNumber }, 'SIM number from AT+CNUM');
      });
    }
    driver.on('sms-stored', ({ memory, index }) => this.chain.push(() => this.takeFromSim(driver, memory, index)));
    driver.on('sms-direct', ({ pdu }) =>
      this.chain.push(async () => {
        const r = await this.o.receiver.ingest(pdu, this.origin());
        await driver.ackDirect();
        if (r.kind === 'stored') await this.received(r.entry);
      }),
    );
    driver.on('status-report', (sr) => {
      if (sr.kind === 'routed') this.chain.push(() => this.takeRoutedReport(driver, sr.pdu));
      else this.chain.push(() => this.takeStoredReports(driver, sr));
    });
    driver.on('call', ({ from }) => this.chain.push(() => this.takeCall(driver, from)));
    driver.on('storage-full', () => {
      this.log.warn('SIM storage full: sweeping now');
      this.chain.push(() => this.sweep(driver));
    });
    this.chain.push(() => this.sweep(driver));
  }

  /** Sweep every `ms` while `current()` returns a driver (`+CMTI` is not reliable on many modems). */
  startSweeping(ms: number, current: () => IntakeDriver | undefined): void {
    this.stopSweeping?.();
    this.stopSweeping = every(this.clock, ms, () => {
      const d = current();
      if (d) this.chain.push(() => this.sweep(d));
    });
  }

  /** Resolves when every inbound task queued so far has settled (the worker waits so replies go first). */
  idle(): Promise<void> {
    return this.chain.idle();
  }

  async stop(): Promise<void> {
    this.stopSweeping?.();
    this.stopSweeping = undefined;
    await this.chain.idle();
  }

  private origin(): { modem: string; to?: string } {
    return { modem: this.modem, ...(this.ownNumber ? { to: this.ownNumber } : {}) };
  }

  /** A new SMS, stored (+CMT or off the SIM): logged once, then routed. */
  private async received(entry: InboxEntry): Promise<void> {
    this.log.info({ id: entry.id, from: entry.from, parts: entry.parts, text: entry.text }, 'SMS received');
    await this.route(entry);
  }

  /** Route a stored entry; a failure leaves it unrouted for the next start (pipeline.resume). */
  private async route(entry: InboxEntry): Promise<void> {
    try {
      await this.o.pipeline.route(entry);
    } catch (e) {
      this.log.error({ entry: entry.id, err: (e as Error).message }, 'routing failed; retried at the next start');
    }
  }

  /** Store first, delete after: a crash between the two re-reads the SMS, and dedup drops it. */
  private async takeFromSim(driver: IntakeDriver, memory: string, index: number, pdu?: string): Promise<void> {
    const sms = pdu ? { pdu } : await driver.read(memory, index);
    if (!sms) return;
    const r = await this.o.receiver.ingest(sms.pdu, this.origin());
    if (r.kind === 'skip') {
      this.log.debug({ memory, index, reason: r.reason }, 'left on the SIM');
      return;
    }
    // Applied before the delete, like an SMS is stored before it: a crash re-reads, never loses it.
    if (r.kind === 'status-report' && !(await this.applyReport(sms.pdu))) return;
    // Routed (replies queued) before the delete: AT+CMGD would otherwise wait behind the SUBMIT
    // the worker starts meanwhile, and during a mass text the ack would lose one more send slot.
    if (r.kind === 'stored') await this.received(r.entry);
    try {
      await driver.delete(memory, index);
    } catch (e) {
      this.log.warn({ memory, index, err: (e as Error).message }, 'delete from SIM failed; the sweep retries, dedup prevents a duplicate');
    }
    if (r.kind === 'partial') {
      this.log.info({ key: r.key, have: r.have, total: r.total }, 'multipart part stored');
    } else if (r.kind === 'duplicate') {
      // Same sender, same SMSC timestamp, same bytes: a re-read or a network retransmission.
      this.log.info({ memory, index }, 'duplicate SMS dropped (already stored)');
    }
  }

  /** Hand a report to the sink; false (keep the SIM copy, the sweep retries) when that failed. */
  private async applyReport(pdu: string): Promise<boolean> {
    if (!this.o.statusReports) {
      this.log.info({ pdu }, 'status report (no delivery tracking configured)');
      return true;
    }
    try {
      await this.o.statusReports(this.modem, pdu);
      return true;
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'status report not applied; kept on the modem for the next sweep');
      return false;
    }
  }

  /** `+CDS` (AT+CNMI ds=1): apply, then `AT+CNMA` when the modem wants it (a crash before repeats it). */
  private async takeRoutedReport(driver: IntakeDriver, pdu: string): Promise<void> {
    if (await this.applyReport(pdu)) await driver.ackStatusReport();
  }

  /** `+CDSI` (ds=2): read what the driver finds for the announcement, apply each, then delete it. */
  private async takeStoredReports(driver: IntakeDriver, at: { memory: string; index: number }): Promise<void> {
    for (const sr of await driver.readStatusReports(at)) await this.takeFromSim(driver, sr.memory, sr.index, sr.pdu);
  }

  private async sweep(driver: IntakeDriver): Promise<void> {
    for (const sms of await driver.listStored()) {
      if (sms.status > 1) continue; // our own stored SUBMITs (2/3) are not inbound
      await this.takeFromSim(driver, sms.memory, sms.index, sms.pdu);
    }
    for (const entry of await this.o.receiver.resume()) await this.route(entry);
  }

  /** Hang up, log the call as `[CALL]`, route it (a route may claim calls: last sender, number). */
  private async takeCall(driver: IntakeDriver, from: string): Promise<void> {
    this.log.info({ from }, 'incoming call: hanging up');
    await driver.hangup().catch((e) => this.log.warn({ err: (e as Error).message }, 'hang-up failed'));
    const now = this.clock.now();
    const { entry } = await this.o.store.addInbound({
      from,
      text: '[CALL]',
      receivedAt: new Date(now).toISOString(),
      status: 'call',
      parts: 1,
      ...this.origin(),
      dedupKey: `call|${from}|${now}`,
    });
    this.log.info({ id: entry.id, from }, '[CALL] logged');
    await this.route(entry);
  }
}
