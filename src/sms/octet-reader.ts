/** A bounds-checked cursor over PDU octets: every read names the field, so truncation errors are specific. */
/** A specific reason a field is bad; decodePdu wraps it into a PduDecodeError. */
export class BadFieldError extends Error {}

export class TruncatedError extends BadFieldError {
  constructor(readonly field: string, readonly offset: number, readonly need: number, readonly have: number) {
    super(`truncated at ${field} (need ${need} octet${need === 1 ? '' : 's'} at offset ${offset}, have ${have})`);
  }
}

export class OctetReader {
  pos = 0;
  constructor(readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.pos;
  }

  byte(field: string): number {
    return this.bytes(1, field)[0]!;
  }

  bytes(n: number, field: string): Buffer {
    if (n > this.remaining) throw new TruncatedError(field, this.pos, n, Math.max(0, this.remaining));
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Everything left (possibly empty). */
  rest(): Buffer {
    const out = this.data.subarray(this.pos);
    this.pos = this.data.length;
    return out;
  }
}
