/**
 * Transcript replay (architecture practice 6): a recorded modem conversation, one JSON object
 * per line, is replayed through the REAL SerialTransport + AtEngine over a PTY. The harness plays
 * the modem side (checks each `tx` byte for byte, then sends the following `rx` chunks as
 * separate reads) and runs the host side from the same file:
 *
 *   {"dir":"meta","profile":"huawei","note":"Huawei E173 11.126.85.00.209"}
 *   {"dir":"tx","data":"AT+CMGS=19\r","expect":["+CMGS:"]}   a command (ends in CR)
 *   {"dir":"rx","data":"\r\n> "}                              modem bytes (delayMs: pause before, default 25)
 *   {"dir":"tx","data":"0011…\u001a"}                         the prompt payload of the previous command
 *   {"dir":"result","lines":["+CMGS: 12"],"final":"OK"}       expected outcome of the previous command
 *   {"dir":"result","error":"CmsError","code":500}            …or its typed error
 *   {"dir":"urc","line":"+CMTI: \"SM\",3"}                    expected URC (pdu for +CMT/+CDS)
 *   {"dir":"noise","line":"^RSSI:18"}                         expected dropped noise line
 *   {"dir":"unsolicited","line":"SMS Ready"}                  expected unrecognised idle line
 */
import { readFileSync } from 'node:fs';
import { AtEngine } from '../../src/at/engine.js';
import { engineOptionsFromProfile } from '../../src/at/profile-options.js';
import { AtError, CmeError, CmsError } from '../../src/at/errors.js';
import type { AtCommand, UrcEvent } from '../../src/at/command.js';
import { SerialTransport } from '../../src/transport/serial-transport.js';
import { loadProfile } from '../../src/modem/profile.js';
import { PtyModem, sleep } from '../transport/pty-modem.js';

export type TranscriptEntry =
  | { dir: 'meta'; profile?: string; note?: string }
  | { dir: 'tx'; data: string; expect?: string[]; infoCompletes?: boolean; timeoutMs?: number }
  | { dir: 'rx'; data: string; delayMs?: number }
  | { dir: 'result'; lines?: string[]; final?: string; error?: string; code?: number | string }
  | { dir: 'urc'; line: string; pdu?: string }
  | { dir: 'noise'; line: string }
  | { dir: 'unsolicited'; line: string };

export type Outcome = { lines: string[]; final: string } | { error: string; code?: number | string };

export interface ReplayReport {
  expected: { results: Outcome[]; urcs: UrcEvent[]; noise: string[]; unsolicited: string[] };
  actual: { results: Outcome[]; urcs: UrcEvent[]; noise: string[]; unsolicited: string[] };
  /** Problems on the modem side: bytes the host wrote that the transcript did not expect. */
  txMismatches: string[];
}

export function loadTranscript(file: string): TranscriptEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as TranscriptEntry;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not JSON: ${(err as Error).message}`);
      }
    });
}

function commandsOf(entries: TranscriptEntry[]): { cmds: AtCommand[]; results: Outcome[] } {
  const cmds: AtCommand[] = [];
  const results: Outcome[] = [];
  for (const e of entries) {
    if (e.dir === 'tx' && e.data.endsWith('\r')) {
      cmds.push({
        text: e.data.slice(0, -1),
        ...(e.expect ? { expect: e.expect } : {}),
        ...(e.infoCompletes ? { infoCompletes: true } : {}),
        ...(e.timeoutMs ? { timeoutMs: e.timeoutMs } : {}),
      });
    } else if (e.dir === 'tx') {
      const last = cmds[cmds.length - 1];
      if (!last) throw new Error(`payload ${JSON.stringify(e.data)} before any command`);
      last.prompt = { payload: e.data };
    } else if (e.dir === 'result') {
      if (results.length !== cmds.length - 1) throw new Error(`result entry without its own command (after ${cmds.length} commands)`);
      results.push(e.error ? { error: e.error, ...(e.code !== undefined ? { code: e.code } : {}) } : { lines: e.lines ?? [], final: e.final ?? 'OK' });
    }
  }
  if (results.length !== cmds.length) throw new Error(`${cmds.length} commands but ${results.length} result entries`);
  return { cmds, results };
}

function outcomeOf(err: unknown): Outcome {
  const name = err instanceof AtError ? err.constructor.name : String(err);
  if (err instanceof CmsError) return { error: name, code: err.cms };
  if (err instanceof CmeError) return { error: name, code: err.cme };
  return { error: name };
}

/** Replay one transcript over a fresh PTY; returns expected vs actual for the test to compare. */
export async function replayTranscript(entries: TranscriptEntry[]): Promise<ReplayReport> {
  const meta = entries.find((e) => e.dir === 'meta') as { profile?: string } | undefined;
  const { cmds, results } = commandsOf(entries);
  const expected: ReplayReport['expected'] = {
    results,
    urcs: entries.filter((e) => e.dir === 'urc').map((e) => ({ line: e.line, ...(e.pdu ? { pdu: e.pdu } : {}) })),
    noise: entries.filter((e) => e.dir === 'noise').map((e) => e.line),
    unsolicited: entries.filter((e) => e.dir === 'unsolicited').map((e) => e.line),
  };
  const actual: ReplayReport['actual'] = { results: [], urcs: [], noise: [], unsolicited: [] };
  const txMismatches: string[] = [];

  const modem = await PtyModem.open();
  const transport = new SerialTransport({ path: modem.path });
  try {
    await transport.open();
    // Short command timeout (recordings answer within ms); the modem side waits longer, so a
    // host-side timeout shows up as an AtTimeoutError outcome rather than a modem-side stall.
    const engine = new AtEngine(transport, {
      defaultTimeoutMs: 1500,
      ...(meta?.profile ? engineOptionsFromProfile(loadProfile(meta.profile)) : {}),
    });
    engine.on('urc', (u) => actual.urcs.push(u));
    engine.on('noise', (l) => actual.noise.push(l));
    engine.on('unsolicited', (l) => actual.unsolicited.push(l));

    let modemFailed = false;
    const modemSide = (async () => {
      for (const e of entries) {
        if (e.dir === 'tx') {
          const before = await modem.waitFor(e.data, 8000);
          if (before !== '') txMismatches.push(`unexpected ${JSON.stringify(before)} before ${JSON.stringify(e.data)}`);
        } else if (e.dir === 'rx') {
          await sleep(e.delayMs ?? 25);
          await modem.send(e.data);
        }
      }
    })().catch((err: Error) => {
      modemFailed = true;
      txMismatches.push(err.message);
    });
    for (const cmd of cmds) {
      if (modemFailed) break;
      actual.results.push(await engine.run(cmd).then((r) => ({ lines: r.lines, final: r.final }), outcomeOf));
    }
    await modemSide;
    await sleep(150); // let trailing rx (URCs after the last command) be framed and routed
    const extra = modem.unread();
    if (extra) txMismatches.push(`unexpected trailing ${JSON.stringify(extra)}`);
  } finally {
    await transport.close();
    await modem.close();
  }
  return { expected, actual, txMismatches };
}
