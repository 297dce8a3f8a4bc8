/**
 * Faults a test or an operator can inject into the simulated modem, each imitating something
 * real modems do in the field (see docs/field-notes: wedged Huawei sticks, lost +CMTI, SIM full).
 */

export interface SimFaults {
  /** Stop answering entirely (input swallowed, no output, URCs included) for `ms`, or until `clear()`. Huawei E160/E220/E1752 wedge like this after hours. */
  hang(ms?: number): void;
  /**
   * Take the next submitted PDU (after Ctrl-Z) and wedge for `ms` without answering: the host
   * never learns whether it was sent (it was not). Huawei E1752 sticks do this mid-send.
   */
  hangOnNextSend(ms: number): void;
  /** Answer the next accepted AT+CMGS with `+CMS ERROR: <code>` after the send delay (500 not registered, 41 operator throttling). */
  cmsOnNextSend(code: number): void;
  /** Emit a raw junk line; a string is written as latin1 bytes so characters ≥ 0x80 become invalid UTF-8. */
  garbage(line?: string | Buffer): void;
  /** Emit `n` of the profile's noise URCs at once. */
  noiseBurst(n: number): void;
  /** Fill every free slot of the receive memory: new SMS are held back by the network. */
  simFull(): void;
  /** Store the next inbound SMS part without announcing it (+CMTI lost). */
  dropNextCmti(): void;
  /** Answer the next AT+CMGD with `+CMS ERROR: 500` and keep the message. */
  failNextDelete(): void;
  /**
   * Swallow the next AT+CMGD: nothing deleted and no answer at all, as a modem that wedges in the
   * middle of a command (the host times out). Lets a test kill the host between read and delete.
   */
  stallNextDelete(): void;
  /** On a PTY: close the bridge like a pulled USB stick (the device path disappears). */
  unplug(): void;
  /** On a PTY: bring the device back on the same path (fresh boot). */
  replug(): void;
  /** Clear hang and all pending one-shot faults. */
  clear(): void;
}

/** One-shot and ongoing fault flags the modem consults. */
export class FaultState {
  hung = false;
  hangTimer: ReturnType<typeof setTimeout> | undefined;
  nextSendCms: number | undefined;
  nextSendHangMs: number | undefined;
  dropCmti = 0;
  failDelete = 0;
  stallDelete = 0;

  takeSendCms(): number | undefined {
    const c = this.nextSendCms;
    this.nextSendCms = undefined;
    return c;
  }

  takeSendHang(): number | undefined {
    const ms = this.nextSendHangMs;
    this.nextSendHangMs = undefined;
    return ms;
  }

  takeDropCmti(): boolean {
    if (this.dropCmti <= 0) return false;
    this.dropCmti--;
    return true;
  }

  takeStallDelete(): boolean {
    if (this.stallDelete <= 0) return false;
    this.stallDelete--;
    return true;
  }

  takeFailDelete(): boolean {
    if (this.failDelete <= 0) return false;
    this.failDelete--;
    return true;
  }
}

/** Junk used when `garbage()` is called without a line: binary noise seen on flaky USB-serial links. */
export const DEFAULT_GARBAGE = Buffer.from([0x7e, 0xff, 0xfe, 0x00, 0x41, 0x54, 0xc3, 0x28, 0x80, 0x2b, 0x43, 0x4d]);
