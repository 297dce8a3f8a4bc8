/**
 * SIM/ME message storage as a modem keeps it: numbered slots per memory (1..capacity, or
 * 0..capacity-1 on Quectel), each holding a PDU and a 27.005 status. Indices are reused after
 * delete, which is what makes "read then delete" races visible to the host.
 */

/** 27.005 message status: 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT. */
export type SmsStatus = 0 | 1 | 2 | 3;

/** `SR`: the status-report memory some modems keep apart (Quectel EC25). */
export type MemoryName = 'SM' | 'ME' | 'SR';

export const MEMORIES: readonly MemoryName[] = ['SM', 'ME', 'SR'];

export interface StoredSlot {
  index: number;
  /** Hex PDU with the SMSC prefix, as AT+CMGR/+CMGL print it. */
  pdu: string;
  status: SmsStatus;
}

export class SimMemory {
  private readonly slots = new Map<number, StoredSlot>();

  constructor(
    readonly name: MemoryName,
    readonly capacity: number,
    /** Lowest index (1 on most modems, 0 on Quectel). */
    readonly firstIndex: 0 | 1 = 1,
  ) {}

  get used(): number {
    return this.slots.size;
  }

  get full(): boolean {
    return this.slots.size >= this.capacity;
  }

  /** Store in the lowest free slot; undefined when full. */
  store(pdu: string, status: SmsStatus): number | undefined {
    for (let i = this.firstIndex; i < this.firstIndex + this.capacity; i++) {
      if (!this.slots.has(i)) {
        this.slots.set(i, { index: i, pdu, status });
        return i;
      }
    }
    return undefined;
  }

  /** A copy of one slot. */
  get(index: number): StoredSlot | undefined {
    const slot = this.slots.get(index);
    return slot && { ...slot };
  }

  inRange(index: number): boolean {
    return Number.isInteger(index) && index >= this.firstIndex && index < this.firstIndex + this.capacity;
  }

  delete(index: number): boolean {
    return this.slots.delete(index);
  }

  /** Slots in index order, copies (callers must not mutate storage through them). */
  list(): StoredSlot[] {
    return [...this.slots.values()].sort((a, b) => a.index - b.index).map((s) => ({ ...s }));
  }

  setStatus(index: number, status: SmsStatus): void {
    const slot = this.slots.get(index);
    if (slot) slot.status = status;
  }
}

/** The modem's memories; `SM` is the SIM card, `ME` the modem's own flash. */
export class SimStorage {
  readonly memories: Record<MemoryName, SimMemory>;

  constructor(capacity: { SM: number; ME: number; SR?: number }, firstIndex: 0 | 1 = 1) {
    this.memories = {
      SM: new SimMemory('SM', capacity.SM, firstIndex),
      ME: new SimMemory('ME', capacity.ME, firstIndex),
      SR: new SimMemory('SR', capacity.SR ?? 50, firstIndex),
    };
  }

  get(name: MemoryName): SimMemory {
    return this.memories[name];
  }
}

/** Parse a quoted or bare memory name from AT+CPMS; undefined when the modem has no such memory. */
export function parseMemory(raw: string): MemoryName | undefined {
  const name = raw.trim().replace(/^"|"$/g, '').toUpperCase();
  return (MEMORIES as readonly string[]).includes(name) ? (name as MemoryName) : undefined;
}
