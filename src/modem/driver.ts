/**
 * The modem driver: everything a GSM modem does for an SMS server, in AT commands, on top of
 * the AT engine. It knows profiles, storage memories, PDUs as hex and calls; it does not know
 * customers or how anything is stored.
 *
 * URC handlers never write to the port (architecture practice 2): they only emit events; the
 * daemon reacts by calling driver methods, which queue on the engine's single executor.
 */
import { EventEmitter } from 'node:events';
import { engineOptionsFromProfile, type AtEngine, type AtCommand, type AtResponse, type UrcEvent } from '../at/index.js';
import { AtTimeoutError, CmsError } from '../at/errors.js';
import type { SubmitPart } from '../sms/index.js';
import { type Clock, realClock, type Timer } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { ModemProfile } from './profile.js';
import { detectProfile } from './profile.js';
import { PinRequiredError, ModemProtocolError } from './errors.js';
import {
  chooseCnmi,
  parseClip,
  parseCmgl,
  parseCmgr,
  parseCmgs,
  parseCmti,
  parseCnum,
  parseCnmiSupport,
  parseCops,
  parseCpin,
  parseCreg,
  parseCsq,
  type Registration,
  type Signal,
  type StoredSms,
} from './parse.js';

export type { StoredSms } from './parse.js';

export interface ModemInfo {
  manufacturer: string;
  model: string;
  revision: string;
  imei?: string;
  profile: string;
}

export interface ModemStatus {
  signal?: Signal;
  registration?: Registration;
  operator?: string;
  pin?: string;
  at: string;
}

export interface DriverOptions {
  pin?: string;
  /** Detect the profile from AT+CGMI/AT+CGMM during init (profile 'auto'). */
  autoDetect?: boolean;
  /** Overrides `profile.timeouts.send` (kept across profile auto-detection). */
  sendTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

export interface ModemDriverEvents {
  /** `+CMTI`: an SMS was stored at memory/index. */
  'sms-stored': [{ memory: string; index: number }];
  /** `+CMT`: an SMS delivered straight to us (must be acknowledged with AT+CNMA). */
  'sms-direct': [{ pdu: string }];
  /** `+CDS`/`+CDSI`: a status report. */
  'status-report': [{ pdu?: string; memory?: string; index?: number }];
  /** An incoming call, once per call, with the caller from `+CLIP` ('unknown' when withheld). */
  call: [{ from: string }];
  /** The SIM's SMS storage is full (Huawei `^SMMEMFULL`, or CMS 322 seen). */
  'storage-full': [];
  /** A boot-ready URC (`SMS Ready`, `+QIND: SMS DONE`). */
  ready: [];
  /** Registration changed (`+CREG` URC). */
  registration: [Registration];
}

/** After RING with no +CLIP within this long, report the call as from an unknown caller. */
const CLIP_WAIT_MS = 1500;
/** A call is over when neither RING nor +CLIP has been seen for this long. */
const CALL_GAP_MS = 8000;

export class ModemDriver extends EventEmitter<ModemDriverEvents> {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readMemory: string | undefined;
  private readySeen = false;
  private callActive = false;
  private callReported = false;
  private clipTimer: Timer | undefined;
  private callGapTimer: Timer | undefined;
  info: ModemInfo | undefined;

  constructor(
    private readonly engine: AtEngine,
    public profile: ModemProfile,
    private readonly opts: DriverOptions = {},
  ) {
    super();
    this.log = moduleLogger(opts.logger, 'modem');
    this.clock = opts.clock ?? realClock;
    engine.on('urc', (u: UrcEvent) => this.onUrc(u));
  }

  private run(cmd: AtCommand | string): Promise<AtResponse> {
    return this.engine.run(cmd);
  }

  /** Run a command whose failure is tolerable (optional features); logs and returns undefined. */
  private async tryRun(cmd: AtCommand | string): Promise<AtResponse | undefined> {
    try {
      return await this.run(cmd);
    } catch (e) {
      this.log.info({ cmd: typeof cmd === 'string' ? cmd : cmd.text, err: (e as Error).message }, 'optional command failed');
      return undefined;
    }
  }

  /**
   * Bring the modem to a known state. ESC first: a predecessor that crashed between `> ` and
   * Ctrl-Z leaves the modem waiting for PDU input, and every command would be swallowed as PDU.
   */
  async init(): Promise<ModemInfo> {
    await this.engine.escape();
    await this.wake();
    await this.run('ATZ').catch((e) => this.log.warn({ err: (e as Error).message }, 'ATZ failed; continuing'));
    await this.run('ATE0');
    await this.tryRun('AT+CMEE=1');
    // Identify before the PIN gate: the detected profile decides how AT+CPIN? answers (Wavecom).
    this.info = await this.identify();
    if (this.opts.autoDetect) {
      const detected = detectProfile(`${this.info.manufacturer} ${this.info.model}`);
      if (detected.name !== this.profile.name) {
        this.log.info({ profile: detected.name }, 'profile detected from AT+CGMI/AT+CGMM');
        this.profile = detected;
        this.engine.configure(engineOptionsFromProfile(detected));
      }
      this.info.profile = this.profile.name;
    }
    await this.unlockSim();
    await this.waitSmsReady();
    await this.run('AT+CMGF=0');
    await this.selectStorage(this.profile.storage);
    const support = parseCnmiSupport((await this.tryRun('AT+CNMI=?'))?.lines ?? []);
    const cnmi = chooseCnmi(support, this.profile.flags.directDelivery);
    if (!(await this.tryRun(cnmi))) await this.tryRun('AT+CNMI=1,1,0,0,0');
    await this.tryRun('AT+CLIP=1');
    for (const cmd of this.profile.init) await this.tryRun(cmd);
    if (this.profile.flags.cmms) await this.tryRun('AT+CMMS=2');
    this.log.info({ ...this.info, cnmi }, 'modem initialised');
    return this.info;
  }

  /** Some modems drop the first command after open or ESC; try plain AT a few times. */
  private async wake(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < 3; i++) {
      try {
        await this.run({ text: 'AT', timeoutMs: 2000 });
        return;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private async unlockSim(): Promise<void> {
    const cpin = (): Promise<AtResponse> =>
      this.run({ text: 'AT+CPIN?', expect: ['+CPIN:'], infoCompletes: this.profile.flags.cpinWithoutOk }).catch((e: unknown) => {
        // An unknown Wavecom-like modem: `+CPIN: READY` came, the OK never did.
        if (e instanceof AtTimeoutError && e.partial.some((l) => l.startsWith('+CPIN:'))) {
          this.log.warn('AT+CPIN? answered without a final result; set a profile with cpinWithoutOk for this modem');
          return { command: 'AT+CPIN?', lines: e.partial, final: '' };
        }
        throw e;
      });
    let state = parseCpin((await cpin()).lines) ?? 'READY';
    if (state === 'READY') return;
    if (state === 'SIM PIN' && this.opts.pin) {
      try {
        await this.run({ text: `AT+CPIN="${this.opts.pin}"`, timeoutMs: 10_000, redact: true });
      } catch (e) {
        throw new PinRequiredError(state, `the configured PIN was refused (${(e as Error).message}); not retried, to protect the SIM from PUK lock`);
      }
      state = parseCpin((await cpin()).lines) ?? 'READY';
      if (state === 'READY') return;
    }
    throw new PinRequiredError(state);
  }

  private async identify(): Promise<ModemInfo> {
    const text = async (cmd: string) => {
      const r = await this.tryRun(cmd);
      return (r?.lines ?? []).join(' ').replace(/^\+CG\w+:\s*/, '').trim();
    };
    return {
      manufacturer: await text('AT+CGMI'),
      model: await text('AT+CGMM'),
      revision: await text('AT+CGMR'),
      imei: (await text('AT+CGSN')) || undefined,
      profile: this.profile.name,
    };
  }

  /**
   * SIMCom and Quectel answer SMS commands with errors until `SMS Ready` / `+QIND: SMS DONE`.
   * If the profile names ready URCs and none was seen, probe storage; wait only if that fails.
   */
  private async waitSmsReady(): Promise<void> {
    if (!this.profile.urc.ready.length || this.readySeen) return;
    if (await this.tryRun('AT+CPMS?')) return;
    this.log.info({ waitMs: this.profile.timeouts.ready }, 'waiting for the modem SMS stack to be ready');
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(() => {
        this.off('ready', done);
        resolve();
      }, this.profile.timeouts.ready);
      const done = () => {
        this.clock.clearTimeout(t);
        resolve();
      };
      this.once('ready', done);
    });
  }

  private async selectStorage(mem: string): Promise<void> {
    try {
      await this.run(`AT+CPMS="${mem}","${mem}","${mem}"`);
    } catch (e) {
      // Some firmware accepts only the first parameter.
      this.log.warn({ mem, err: (e as Error).message }, 'AT+CPMS with three memories refused; trying one');
      await this.run(`AT+CPMS="${mem}"`);
    }
    this.readMemory = mem;
  }

  /** +CMTI may name another memory than the current one (`+CMS ERROR: 321` otherwise). */
  private async useMemory(mem: string): Promise<void> {
    if (this.readMemory === mem) return;
    await this.run(`AT+CPMS="${mem}"`);
    this.readMemory = mem;
  }

  /** Every stored SMS (`AT+CMGL=4`) in the given memories (default: the profile's). */
  async listStored(memories: string[] = [this.profile.storage]): Promise<StoredSms[]> {
    const all: StoredSms[] = [];
    for (const mem of memories) {
      await this.useMemory(mem);
      const r = await this.run({ text: 'AT+CMGL=4', expect: ['+CMGL:'], timeoutMs: 30_000 });
      const { items, problems } = parseCmgl(r.lines, mem);
      for (const p of problems) this.log.warn({ mem, problem: p }, 'odd AT+CMGL line');
      all.push(...items);
    }
    return all;
  }

  async read(memory: string, index: number): Promise<StoredSms | undefined> {
    await this.useMemory(memory);
    const r = await this.run({ text: `AT+CMGR=${index}`, expect: ['+CMGR:'] });
    return parseCmgr(r.lines, memory, index);
  }

  async delete(memory: string, index: number): Promise<void> {
    await this.useMemory(memory);
    await this.run(`AT+CMGD=${index}`);
  }

  /** Acknowledge a `+CMT` direct delivery so the network does not re-send it. */
  async ackDirect(): Promise<void> {
    await this.tryRun('AT+CNMA');
  }

  /**
   * Submit one PDU. A small state machine inside the engine: `AT+CMGS=<n>` → `> ` → PDU + Ctrl-Z
   * → `+CMGS: <mr>`. Never retried here: after the PDU is written the network may have it, so
   * the queue's policy decides (architecture practice 3).
   */
  async send(part: SubmitPart, opts: { sensitive?: boolean } = {}): Promise<{ mr: number }> {
    try {
      const r = await this.run({
        text: `AT+CMGS=${part.tpduLength}`,
        redact: opts.sensitive,
        expect: ['+CMGS:'],
        timeoutMs: this.opts.sendTimeoutMs ?? this.profile.timeouts.send,
        prompt: { payload: `${part.hex}\x1a`, timeoutMs: this.profile.timeouts.prompt },
      });
      const mr = parseCmgs(r.lines);
      if (mr === undefined) throw new ModemProtocolError(`no +CMGS: <mr> in reply (${r.lines.join(' | ') || r.final})`, 'AT+CMGS');
      return { mr };
    } catch (e) {
      if (e instanceof CmsError && Number(e.cms) === 322) this.emit('storage-full');
      throw e;
    }
  }

  /** `ATH` or `AT+CHUP` as the profile says; the other as a fallback. */
  async hangup(): Promise<void> {
    const first = this.profile.hangup;
    try {
      await this.run(first);
    } catch (e) {
      const other = first === 'ATH' ? 'AT+CHUP' : 'ATH';
      this.log.warn({ cmd: first, err: (e as Error).message }, `hang-up failed; trying ${other}`);
      await this.run(other);
    }
    this.endCall();
  }

  async status(): Promise<ModemStatus> {
    const csq = await this.tryRun({ text: 'AT+CSQ', expect: ['+CSQ:'] });
    const creg = await this.tryRun({ text: 'AT+CREG?', expect: ['+CREG:'] });
    const cops = await this.tryRun({ text: 'AT+COPS?', expect: ['+COPS:'] });
    const cpin = await this.tryRun({ text: 'AT+CPIN?', expect: ['+CPIN:'], infoCompletes: this.profile.flags.cpinWithoutOk });
    const cregLine = creg?.lines.find((l) => l.startsWith('+CREG:'));
    return {
      signal: csq ? parseCsq(csq.lines) : undefined,
      registration: cregLine ? parseCreg(cregLine) : undefined,
      operator: cops ? parseCops(cops.lines) : undefined,
      pin: cpin ? parseCpin(cpin.lines) : undefined,
      at: new Date(this.clock.now()).toISOString(),
    };
  }

  /**
   * The SIM's own number (`AT+CNUM`), when the SIM stores it — many do not (operators rarely write
   * the MSISDN to the SIM), so undefined is an ordinary answer; config `modem.number` covers that.
   */
  async ownNumber(): Promise<string | undefined> {
    const r = await this.tryRun({ text: 'AT+CNUM', expect: ['+CNUM:'] });
    return r ? parseCnum(r.lines) : undefined;
  }

  /** A cheap liveness probe for the watchdog and the recovery ladder. */
  async probe(timeoutMs = 3000): Promise<void> {
    await this.run({ text: 'AT', timeoutMs });
  }

  /** Last rung of the ladder before reopening: the profile's reset (`AT+CFUN=1,1`). */
  async reset(): Promise<void> {
    await this.run({ text: this.profile.reset, timeoutMs: 15_000 });
    this.readySeen = false;
    this.readMemory = undefined;
  }

  private onUrc(u: UrcEvent): void {
    const line = u.line;
    if (this.profile.urc.ready.some((r) => line.startsWith(r))) {
      this.readySeen = true;
      this.emit('ready');
      return;
    }
    if (line.startsWith('+CMTI:')) {
      const at = parseCmti(line);
      if (at) this.emit('sms-stored', at);
      else this.log.warn({ line }, 'unparsable +CMTI');
      return;
    }
    if (line.startsWith('+CMT:')) {
      if (u.pdu) this.emit('sms-direct', { pdu: u.pdu });
      else this.log.warn({ line }, '+CMT without a PDU line');
      return;
    }
    if (line.startsWith('+CDSI:')) {
      const at = parseCmti(line);
      if (at) this.emit('status-report', at);
      return;
    }
    if (line.startsWith('+CDS:')) {
      this.emit('status-report', { pdu: u.pdu });
      return;
    }
    if (line === 'RING' || line.startsWith('+CRING:')) {
      this.onRing();
      return;
    }
    if (line.startsWith('+CLIP:')) {
      this.onRing();
      const from = parseClip(line) ?? 'unknown';
      this.reportCall(from);
      return;
    }
    if (line.startsWith('NO CARRIER')) {
      this.endCall();
      return;
    }
    if (line.startsWith('+CREG:')) {
      const reg = parseCreg(line);
      if (reg) this.emit('registration', reg);
      return;
    }
    if (line.startsWith('^SMMEMFULL') || /^\+CIEV:\s*"?(SMSFULL|MESSAGE)"?/i.test(line)) {
      this.emit('storage-full');
      return;
    }
    this.log.debug({ line }, 'URC not handled');
  }

  private onRing(): void {
    if (!this.callActive) {
      this.callActive = true;
      this.callReported = false;
      // RING without +CLIP (CLIP unsupported or withheld): still log and hang up.
      this.clipTimer = this.clock.setTimeout(() => this.reportCall('unknown'), CLIP_WAIT_MS);
    }
    if (this.callGapTimer) this.clock.clearTimeout(this.callGapTimer);
    this.callGapTimer = this.clock.setTimeout(() => this.endCall(), CALL_GAP_MS);
  }

  private reportCall(from: string): void {
    if (this.callReported) return;
    this.callReported = true;
    if (this.clipTimer) this.clock.clearTimeout(this.clipTimer);
    this.emit('call', { from });
  }

  private endCall(): void {
    if (this.clipTimer) this.clock.clearTimeout(this.clipTimer);
    if (this.callGapTimer) this.clock.clearTimeout(this.callGapTimer);
    this.callActive = false;
    this.callReported = false;
  }

  /** Stop timers (on shutdown or before a reconnect builds a new driver). */
  dispose(): void {
    this.endCall();
    this.removeAllListeners();
  }
}

