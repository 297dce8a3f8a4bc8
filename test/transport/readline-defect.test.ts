/**
 * Why the design card's `@serialport/parser-readline` is not on the run-time path: the `AT+CMGS`
 * prompt `> ` has no line end, so a line parser holds it back until more bytes come — which they
 * never do, because the modem waits for the PDU (a deadlock). Our LineSplitter emits the prompt
 * as it arrives. If a parser-readline release learns prompts, the first test fails: reconsider.
 */
import { ReadlineParser } from '@serialport/parser-readline';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/transport/line-framer.js';
import type { FramedItem } from '../../src/transport/types.js';

const REPLY = 'AT+CMGS=23\r\r\n> ';

describe('@serialport/parser-readline against the AT+CMGS prompt', () => {
  it('parser-readline never emits the `> ` prompt (it waits for a line end that does not come)', async () => {
    const parser = new ReadlineParser({ delimiter: '\r\n' });
    const got: string[] = [];
    parser.on('data', (l: string) => got.push(l));
    parser.write(Buffer.from(REPLY, 'latin1'));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['AT+CMGS=23\r']);
  });

  it('our LineSplitter emits the prompt at once', () => {
    const out: FramedItem[] = [];
    const s = new LineSplitter((i) => out.push(i));
    s.feed(Buffer.from(REPLY, 'latin1'));
    s.dispose();
    expect(out).toEqual([{ kind: 'line', text: 'AT+CMGS=23' }, { kind: 'prompt' }]);
  });
});
