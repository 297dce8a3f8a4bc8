/**
 * The one module that touches the `smpp` npm package (0.5.1, pinned exactly): its TCP server, its
 * framing and its PDU tables. Three behaviours of the package are routed around here, once, at load
 * (each is pinned by `test/smpp/library.contract.test.ts`):
 *
 * 1. A command_length below 16 (the header size) is accepted by `PDU.commandLength`: 0 silently eats
 *    four octets and stalls until more data arrives, 1..15 throws later. We throw at once, so the
 *    session closes on a stream it cannot frame.
 * 2. A PDU that frames but whose body does not parse (an int8 read past the end) throws inside the
 *    package's read loop, which then never resets its `_busy` flag: the session is dead but open.
 *    `PDU.fromStream` here returns a `malformed` pseudo-PDU instead, so the session answers
 *    generic_nack and goes on reading (the octets of the bad PDU are already consumed).
 * 3. `short_message` and `message_payload` are decoded by the package into `{udh, message}` with
 *    its own GSM table, which maps unknown septets to spaces and reads data_coding 0xF0.. wrongly.
 *    Those fields stay raw octets here; `text-codec.ts` decodes them with the project's SMS codec.
 *
 * Everything else (response matching, timeouts, window, enquire_link) is done by `session.ts`:
 * the package keeps response callbacks forever and has no back-pressure of its own.
 */
import smpp from 'smpp';

export type LibPdu = smpp.PDU;
export type LibSession = smpp.Session;
export type LibServer = smpp.Server;

/** Header octets: command_length, command_id, command_status, sequence_number. */
export const HEADER_LENGTH = 16;
/** The package's cap on command_length (16 KiB): a longer PDU cannot be framed and the session closes. */
export const MAX_PDU_LENGTH: number = smpp.PDU.maxLength;

/** Raised from the framing layer when the byte stream cannot be cut into PDUs. */
export class SmppFramingError extends Error {
  readonly code = 'SMPP_FRAMING';
  constructor(message: string) {
    super(message);
    this.name = 'SmppFramingError';
  }
}

/** The command name given to a PDU that framed but whose body did not parse. */
export const MALFORMED = 'malformed';

const RAW = { encode: (v: unknown) => v, decode: (v: unknown) => v };
let patched = false;

function applyPatches(): void {
  if (patched) return;
  patched = true;
  const { PDU } = smpp;
  const originalCommandLength = PDU.commandLength.bind(PDU);
  PDU.commandLength = (stream) => {
    const n = originalCommandLength(stream);
    if (n !== false && n < HEADER_LENGTH) throw new SmppFramingError(`command_length ${n} is shorter than the 16-octet header`);
    return n;
  };
  PDU.fromStream = (stream, commandLength) => {
    const body = stream.read(commandLength - 4) as Buffer | null;
    if (!body) return false;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(commandLength, 0);
    const buffer = Buffer.concat([head, body]);
    try {
      return new PDU(buffer);
    } catch (e) {
      return malformedPdu(buffer, e as Error);
    }
  };
  for (const name of ['submit_sm', 'deliver_sm', 'data_sm']) {
    const param = smpp.commands[name]?.params?.short_message;
    if (param) param.filter = RAW;
  }
  const payload = smpp.tlvs.message_payload;
  if (payload) payload.filter = RAW;
}

function malformedPdu(buffer: Buffer, error: Error): LibPdu {
  const pdu = Object.create(smpp.PDU.prototype) as LibPdu;
  pdu.command_length = buffer.readUInt32BE(0);
  pdu.command_id = buffer.readUInt32BE(4);
  pdu.command_status = buffer.readUInt32BE(8);
  pdu.sequence_number = buffer.readUInt32BE(12);
  pdu.command = MALFORMED;
  pdu.parseError = error.message;
  return pdu;
}

applyPatches();

/** A TCP server whose connections arrive as package sessions (framing and PDU decoding done). */
export function createLibServer(onSession: (session: LibSession) => void): LibServer {
  return smpp.createServer({}, onSession);
}

/** A request or response PDU of `command` with the given parameters and TLVs. */
export function makePdu(command: string, fields: Record<string, unknown> = {}): LibPdu {
  return new smpp.PDU(command, fields);
}

/** generic_nack (body-less) for a sequence number and status. */
export function genericNack(sequenceNumber: number, status: number): LibPdu {
  return new smpp.PDU('generic_nack', { sequence_number: sequenceNumber, command_status: status });
}

/** Decode one whole PDU from octets (tests and tools). */
export function decodePdu(buffer: Buffer): LibPdu {
  return new smpp.PDU(buffer);
}
