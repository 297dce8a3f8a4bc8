/**
 * The simulated modem: a state machine at the byte boundary. The host writes bytes with
 * `input()`, the modem answers on the 'output' event exactly as a USB GSM stick would on its
 * tty — echo, `\r\n…\r\n` framing, the `> ` prompt with no line end, URCs at any moment —
 * configured from a modem profile's `sim` section.
 */
import { EventEmitter } from 'node:events';
import { loadProfile, type ModemProfile } from '../modem/profile.js';
import { encodeDeliver } from '../sms/index.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { executeCommand, tpduLength, type CommandHost, type SimSettings } from './at-commands.js';
import { CommandLineError, parseCommandLine } from './command-line.js';
import { DEFAULT_GARBAGE, FaultState, type SimFaults } from './faults.js';
import { SeededRng } from './rng.js';
import type { SentSms } from './sent.js';
import { SimStorage, type MemoryName, type StoredSlot } from './storage.js';
import { checkSubmitPdu } from './submit.js';

export type { SentSms } from './sent.js';

export interface SimulatedModemOptions {
  /** Profile name (`huawei`) or object; default `generic`. */
  profile?: string | ModemProfile;
  /** Slots per memory; a number sets SM (ME gets 100). Default: the profile's `sim.capacity`. */
  capacity?: number | { SM?: number; ME?: number };
  /** Network time between Ctrl-Z and `+CMGS:` (real networks: 2–10 s). Default 0. */
  sendDelayMs?: number;
  /** Seed of the RNG behind noise URCs. */
  seed?: number;
  /** SMS centre reported by AT+CSCA? and stamped into delivered PDUs. */
  smsc?: string;
  /** When set, the SIM starts locked: `+CPIN: SIM PIN` until `AT+CPIN="<pin>"`. */
  pin?: string;
  /** Echo at power-up (V.250 default: on). */
  echo?: boolean;
  /** The SIM's own number, answered to AT+CNUM; unset: the SIM does not know it (the usual case). */
  ownNumber?: string;
  /**
   * Noise URCs from the profile (`^RSSI:18` …): `probability` at each chance moment (between echo
   * and reply, after `> `, before `+CMGS:`), plus one every `intervalMs` when set. A number is the
   * probability. Default: 0.1 when the profile has noise URCs, no interval.
   */
  noise?: number | { probability?: number; intervalMs?: number };
  /** Time between RINGs of an incoming call. Default 2000. */
  ringIntervalMs?: number;
  /** Rings before the caller gives up (`NO CARRIER`); 0 = ring until hung up. Default 0. */
  maxRings?: number;
  /** Time from AT+CFUN=1,1 to the boot URCs. Default 100. */
  bootDelayMs?: number;
  /** How soon the network retries delivering held-back SMS after storage frees. Default 50. */
  networkRetryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface InjectSmsOptions {
  /** Delivery order of parts by 1-based seq, e.g. [3, 1, 2]; may omit (lost) or repeat parts. */
  order?: number[];
  encoding?: 'gsm7' | 'ucs2' | '8bit';
  /** Concatenation reference; default: an incrementing counter. */
  ref?: number;
  refBits?: 8 | 16;
  timestamp?: Date;
}

export class SimInputError extends Error {
  readonly code = 'SIM_INPUT';
}

const ESC = 0x1b;
const CTRL_Z = 0x1a;
const CR = 0x0d;
const LF = 0x0a;
const BS = 0x08;

/**
 * Events: 'output' (Buffer to the host), 'sent' (SentSms), 'command' (the command line text),
 * 'unplug' / 'replug' (asked of the PTY runner by the faults).
 */
export class SimulatedModem extends EventEmitter {
  readonly profile: ModemProfile;
  /** Decoded SUBMIT parts the modem accepted, in order. */
  readonly sent: SentSms[] = [];
  readonly faults: SimFaults;

  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rng: SeededRng;
  private readonly memories: SimStorage;
  private readonly fault = new FaultState();
  private readonly host: CommandHost;
  private settings: SimSettings;
  private readonly opts: SimulatedModemOptions;
  private readonly noiseProbability: number;
  private readonly noiseIntervalMs: number;

  private mode: 'command' | 'pdu' = 'command';
  private lineBuf = '';
  private pduBuf = '';
  private promptLength = 0;
  /** While a send is on the network the modem reads no further commands; they wait here. */
  private busy = false;
  private queued: Buffer[] = [];
  private nextMr = 0;
  private nextRef = 1;
  /** SMS the network could not deliver (storage full): retried when space frees. */
  private held: string[] = [];
  private memFullAnnounced = false;
  private call: { from: string; rings: number; timer?: Timer } | undefined;
  private timers = new Set<Timer>();
  private noiseTimer: Timer | undefined;
  private disposed = false;

  constructor(o: SimulatedModemOptions = {}) {
    super();
    this.opts = o;
    this.profile = typeof o.profile === 'object' ? o.profile : loadProfile(o.profile ?? 'generic');
    this.clock = o.clock ?? realClock;
    this.log = moduleLogger(o.logger, 'sim');
    this.rng = new SeededRng(o.seed ?? 1);
    const cap = typeof o.capacity === 'number' ? { SM: o.capacity } : (o.capacity ?? {});
    this.memories = new SimStorage({ SM: cap.SM ?? this.profile.sim.capacity, ME: cap.ME ?? 100 });
    this.settings = this.defaultSettings();
    const noise = typeof o.noise === 'number' ? { probability: o.noise } : (o.noise ?? {});
    this.noiseProbability = noise.probability ?? (this.profile.sim.noiseUrcs.length > 0 ? 0.1 : 0);
    this.noiseIntervalMs = noise.intervalMs ?? 0;
    this.host = this.makeHost();
    this.faults = this.makeFaults();
    this.scheduleNoise();
  }

  // --- host side ---------------------------------------------------------------------------

  /** Bytes from the host (what the host wrote to the modem's tty). */
  input(data: Buffer | string): void {
    if (this.disposed || this.fault.hung) return; // a wedged modem swallows everything
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.busy) {
      this.queued.push(buf);
      return;
    }
    for (let i = 0; i < buf.length; i++) {
      if (this.busy || this.fault.hung) {
        if (this.busy) this.queued.push(buf.subarray(i));
        return;
      }
      this.inputByte(buf[i]!);
    }
  }

  private inputByte(b: number): void {
    if (b === ESC) {
      // gammu sends ESC before every command to abort a half-typed line or a pending PDU.
      this.lineBuf = '';
      if (this.mode === 'pdu') {
        this.mode = 'command';
        this.pduBuf = '';
        this.final('OK');
      }
      return;
    }
    if (this.mode === 'pdu') {
      if (b === CTRL_Z) {
        this.submit();
        return;
      }
      if (this.settings.echo) this.write(Buffer.from([b]));
      if (b !== CR && b !== LF && b !== 0x20) this.pduBuf += String.fromCharCode(b);
      return;
    }
    if (this.settings.echo) this.write(Buffer.from([b]));
    if (b === CR) {
      const line = this.lineBuf;
      this.lineBuf = '';
      this.commandLine(line);
    } else if (b === BS) {
      this.lineBuf = this.lineBuf.slice(0, -1);
    } else if (b !== LF) {
      this.lineBuf += String.fromCharCode(b);
    }
  }

  private commandLine(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let commands;
    try {
      commands = parseCommandLine(line);
    } catch (e) {
      if (e instanceof CommandLineError) return; // modems ignore lines not starting with AT
      throw e;
    }
    this.emit('command', line);
    this.log.trace({ line }, 'command');
    this.maybeNoise(); // Huawei: a ^RSSI can land between the echo and the reply
    const lines: string[] = [];
    for (const [i, cmd] of commands.entries()) {
      const out = executeCommand(cmd, this.host);
      if (out.kind === 'ok') {
        lines.push(...(out.lines ?? []));
      } else if (out.kind === 'info-only') {
        lines.push(...out.lines);
        if (i === commands.length - 1) {
          this.reply(lines, undefined);
          return;
        }
      } else if (out.kind === 'error') {
        this.reply(lines, out.final);
        return;
      } else {
        this.reply(lines, undefined);
        this.mode = 'pdu';
        this.pduBuf = '';
        this.promptLength = out.tpduLength;
        this.write('\r\n> ');
        this.maybeNoise(); // Huawei E173 prints ^RSSI even right after the prompt
        return;
      }
    }
    this.reply(lines, 'OK');
  }

  private submit(): void {
    this.mode = 'command';
    const check = checkSubmitPdu(this.pduBuf, this.promptLength);
    this.pduBuf = '';
    if (!check.ok) {
      this.log.debug({ reason: check.reason }, 'rejected PDU');
      this.final(`+CMS ERROR: ${check.cms}`);
      return;
    }
    this.busy = true;
    this.maybeNoise();
    this.after(this.opts.sendDelayMs ?? 0, () => {
      this.busy = false;
      this.maybeNoise();
      const cms = this.fault.takeSendCms();
      if (cms !== undefined) {
        this.final(`+CMS ERROR: ${cms}`);
      } else {
        const mr = this.nextMr;
        this.nextMr = (this.nextMr + 1) % 256;
        const d = check.decoded;
        const rec: SentSms = { to: d.to, text: d.text, pdu: check.hex, mr, at: new Date(this.clock.now()).toISOString(), encoding: d.encoding };
        if (d.concat) rec.concat = d.concat;
        this.sent.push(rec);
        this.reply([`+CMGS: ${mr}`], 'OK');
        this.emit('sent', rec);
      }
      this.drainQueued();
    });
  }

  private drainQueued(): void {
    const q = this.queued;
    this.queued = [];
    for (const b of q) this.input(b);
  }

  // --- network side ------------------------------------------------------------------------

  /** Power-up: the profile's boot URCs (SIMCom `RDY` … `SMS Ready`, Huawei `^SIMST:1`). */
  boot(): void {
    for (const line of this.profile.sim.bootUrcs) this.urc(line);
  }

  /**
   * An SMS arrives from the network: encoded as SMS-DELIVER part(s), stored in the receive
   * memory (AT+CPMS third argument) and announced with `+CMTI` per part.
   * @returns the storage indices of the parts stored now (held-back parts are not included).
   */
  injectSms(from: string, text: string, o: InjectSmsOptions = {}): number[] {
    const ref = o.ref ?? this.nextRef;
    if (o.ref === undefined) this.nextRef = (this.nextRef % 255) + 1;
    const opts: Parameters<typeof encodeDeliver>[2] = { ref, smsc: this.settings.csca };
    if (o.refBits) opts.refBits = o.refBits;
    if (o.encoding) opts.encoding = o.encoding;
    if (o.timestamp) opts.timestamp = o.timestamp;
    const parts = encodeDeliver(from, text, opts);
    const order = o.order ?? parts.map((_, i) => i + 1);
    for (const seq of order) {
      if (!Number.isInteger(seq) || seq < 1 || seq > parts.length) {
        throw new SimInputError(`order names part ${seq} but "${text.slice(0, 20)}…" has ${parts.length} part(s)`);
      }
    }
    const indices: number[] = [];
    for (const seq of order) {
      const idx = this.deliver(parts[seq - 1]!);
      if (idx !== undefined) indices.push(idx);
    }
    return indices;
  }

  /** Deliver a raw SMS-DELIVER PDU (hex with SMSC prefix). Returns its index, or -1 when not stored (held back, or direct +CMT delivery). */
  injectPdu(hex: string): number {
    const clean = hex.replace(/\s+/g, '').toUpperCase();
    if (!/^(?:[0-9A-F]{2})+$/.test(clean)) throw new SimInputError(`injectPdu: not hex octets: ${JSON.stringify(hex.slice(0, 40))}`);
    return this.deliver(clean) ?? -1;
  }

  private deliver(pdu: string): number | undefined {
    const s = this.settings;
    // CNMI mt=2 on modems with direct delivery (profile flag): +CMT with the PDU, nothing stored.
    if (s.cnmi[1] === 2 && this.profile.flags.directDelivery) {
      this.urc(`+CMT: ,${tpduLength(pdu)}`, pdu);
      return undefined;
    }
    const memName = s.cpms[2];
    const mem = this.memories.get(memName);
    const index = this.held.length === 0 ? mem.store(pdu, 0) : undefined;
    if (index === undefined) {
      // A real network keeps the SMS and retries; the modem says its memory is full once.
      this.held.push(pdu);
      if (!this.memFullAnnounced && this.profile.urc.prefixes.includes('^SMMEMFULL')) this.urc(`^SMMEMFULL: "${memName}"`);
      this.memFullAnnounced = true;
      return undefined;
    }
    if (this.fault.takeDropCmti()) return index;
    if (s.cnmi[1]! >= 1) this.urc(`+CMTI: "${memName}",${index}`);
    return index;
  }

  private retryHeld(): void {
    if (this.held.length === 0) return;
    this.after(this.opts.networkRetryMs ?? 50, () => {
      const pending = this.held;
      this.held = [];
      this.memFullAnnounced = false;
      for (const pdu of pending) this.deliver(pdu);
    });
  }

  /** An incoming voice call: `RING` (+ `+CLIP` when enabled) every ringIntervalMs until ATH/AT+CHUP. */
  injectCall(from: string): void {
    this.endCall();
    this.call = { from, rings: 0 };
    this.ring();
  }

  private ring(): void {
    const call = this.call;
    if (!call) return;
    const max = this.opts.maxRings ?? 0;
    if (max > 0 && call.rings >= max) {
      this.endCall();
      this.urc('NO CARRIER');
      return;
    }
    call.rings++;
    this.urc('RING');
    if (this.settings.clip) this.urc(`+CLIP: "${call.from}",${call.from.startsWith('+') ? 145 : 129},,,,0`);
    call.timer = this.after(this.opts.ringIntervalMs ?? 2000, () => this.ring());
  }

  private endCall(): void {
    if (this.call?.timer) this.cancel(this.call.timer);
    this.call = undefined;
  }

  /** True while a call rings. */
  get ringing(): boolean {
    return this.call !== undefined;
  }

  /** Stored messages of one memory (default SM), in index order. */
  storage(mem: MemoryName = 'SM'): StoredSlot[] {
    return this.memories.get(mem).list();
  }

  /** SMS the network holds back because the receive memory is full. */
  get heldBack(): number {
    return this.held.length;
  }

  /** Current AT settings (read-only view for tests and the control interface). */
  get state(): Readonly<SimSettings> {
    return this.settings;
  }

  /**
   * Power loss and power-up (USB unplug/replug, AT+CFUN=1,1): half-typed input and a pending
   * send are lost, settings return to defaults, stored SMS survive, boot URCs follow.
   */
  powerCycle(): void {
    this.mode = 'command';
    this.lineBuf = '';
    this.pduBuf = '';
    this.busy = false;
    this.queued = [];
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.host.reset(true);
  }

  /** Stop all timers (rings, noise, pending sends); no further output. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    if (this.noiseTimer) this.clock.clearTimeout(this.noiseTimer);
    if (this.fault.hangTimer) this.clock.clearTimeout(this.fault.hangTimer);
  }

  // --- output --------------------------------------------------------------------------------

  private write(data: string | Buffer): void {
    if (this.disposed || this.fault.hung) return;
    this.emit('output', typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Info lines as one block and a final result, framed like V.250 with ATV1. */
  private reply(lines: string[], final: string | undefined): void {
    if (lines.length) this.write(`\r\n${lines.join('\r\n')}\r\n`);
    if (final !== undefined) this.final(final);
  }

  private final(text: string): void {
    this.write(`\r\n${text}\r\n`);
  }

  private urc(line: string, pdu?: string): void {
    this.write(pdu === undefined ? `\r\n${line}\r\n` : `\r\n${line}\r\n${pdu}\r\n`);
  }

  private noiseLine(): string | undefined {
    const lines = this.profile.sim.noiseUrcs;
    if (lines.length === 0 || this.settings.curc === 0) return undefined;
    return this.rng.pick(lines);
  }

  private maybeNoise(): void {
    if (!this.rng.chance(this.noiseProbability)) return;
    const line = this.noiseLine();
    if (line) this.urc(line);
  }

  private scheduleNoise(): void {
    if (this.noiseIntervalMs <= 0 || this.disposed) return;
    this.noiseTimer = this.clock.setTimeout(() => {
      const line = this.noiseLine();
      if (line) this.urc(line);
      this.scheduleNoise();
    }, this.noiseIntervalMs);
  }

  // --- timers ----------------------------------------------------------------------------------

  private after(ms: number, fn: () => void): Timer {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      if (!this.disposed) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: Timer): void {
    this.clock.clearTimeout(t);
    this.timers.delete(t);
  }

  // --- wiring ----------------------------------------------------------------------------------

  private defaultSettings(): SimSettings {
    return {
      echo: this.opts.echo ?? true,
      cmee: 0,
      cfun: 1,
      pinLocked: this.opts.pin !== undefined,
      cmgf: 0,
      cscs: 'GSM',
      cpms: ['SM', 'SM', 'SM'],
      cnmi: [1, 1, 0, 0, 0],
      csca: this.opts.smsc ?? '+79168999100',
      clip: false,
      creg: 0,
      cgreg: 0,
      cmms: 0,
      curc: 1,
      portsel: 0,
    };
  }

  private makeHost(): CommandHost {
    const modem = this;
    return {
      profile: this.profile,
      get settings() {
        return modem.settings;
      },
      storage: this.memories,
      identity: { imei: '867530012345678', imsi: '250991234567890', operator: 'MTS-RUS', ...(this.opts.ownNumber ? { ownNumber: this.opts.ownNumber } : {}) },
      hangup: () => this.endCall(),
      reset: (full) => {
        const keepPinUnlocked = !full && !this.settings.pinLocked;
        const cpms = this.settings.cpms;
        Object.assign(this.settings, this.defaultSettings());
        if (keepPinUnlocked) this.settings.pinLocked = false;
        if (!full) {
          this.settings.cpms = cpms;
          return;
        }
        this.endCall();
        this.after(this.opts.bootDelayMs ?? 100, () => this.boot());
      },
      spaceFreed: () => this.retryHeld(),
      takeDeleteFault: () => this.fault.takeFailDelete(),
      unlock: (pin) => {
        if (pin !== this.opts.pin) return false;
        this.settings.pinLocked = false;
        return true;
      },
    };
  }

  private makeFaults(): SimFaults {
    const f = this.fault;
    return {
      hang: (ms) => {
        f.hung = true;
        this.lineBuf = '';
        if (f.hangTimer) this.clock.clearTimeout(f.hangTimer);
        f.hangTimer = ms === undefined ? undefined : this.clock.setTimeout(() => this.faults.clear(), ms);
      },
      cmsOnNextSend: (code) => {
        f.nextSendCms = code;
      },
      garbage: (line) => {
        const body = line === undefined ? DEFAULT_GARBAGE : typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
        this.write(Buffer.concat([Buffer.from('\r\n'), body, Buffer.from('\r\n')]));
      },
      noiseBurst: (n) => {
        const lines = this.profile.sim.noiseUrcs.length ? this.profile.sim.noiseUrcs : ['+CSQ: 20,99'];
        for (let i = 0; i < n; i++) this.urc(this.rng.pick(lines));
      },
      simFull: () => {
        const mem = this.memories.get(this.settings.cpms[2]);
        let n = 0;
        while (!mem.full) {
          const [pdu] = encodeDeliver('+79000000000', `filler ${++n}`, { smsc: this.settings.csca });
          mem.store(pdu!, 1);
        }
      },
      dropNextCmti: () => {
        f.dropCmti++;
      },
      failNextDelete: () => {
        f.failDelete++;
      },
      unplug: () => {
        this.emit('unplug');
      },
      replug: () => {
        this.emit('replug');
      },
      clear: () => {
        f.hung = false;
        if (f.hangTimer) this.clock.clearTimeout(f.hangTimer);
        f.hangTimer = undefined;
        f.nextSendCms = undefined;
        f.dropCmti = 0;
        f.failDelete = 0;
      },
    };
  }
}
