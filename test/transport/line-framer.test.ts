import { describe, it, expect } from 'vitest';
import { LineFramer, LineSplitter, decodeLine } from '../../src/transport/line-framer.js';
import type { FramedItem } from '../../src/transport/types.js';
import type { Clock } from '../../src/util/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';

function splitter(o: { idleFlushMs?: number; maxLineBytes?: number; clock?: Clock } = {}) {
  const out: FramedItem[] = [];
  const s = new LineSplitter((i) => out.push(i), o);
  const feed = (...chunks: (string | Buffer)[]) => chunks.forEach((c) => s.feed(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));
  return { s, out, feed, lines: () => out.map((i) => (i.kind === 'line' ? i.text : '<prompt>')) };
}

describe('LineSplitter framing', () => {
  it('frames CRLF, bare CR, bare LF and drops blank lines', () => {
    const { feed, lines } = splitter();
    feed('\r\nOK\r\n', 'A\rB\nC\r\n\r\n\r\nD\r\n');
    expect(lines()).toEqual(['OK', 'A', 'B', 'C', 'D']);
  });

  it("handles '\\r\\r\\n' after an echo", () => {
    const { feed, lines } = splitter();
    feed('AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    expect(lines()).toEqual(['AT+CSQ', '+CSQ: 20,99', 'OK']);
  });

  it('joins a line split mid-line and mid-CRLF across reads', () => {
    const { feed, lines } = splitter();
    feed('\r\n+CM', 'GS: 1', '2\r', '\n\r\nO', 'K\r', '\n');
    expect(lines()).toEqual(['+CMGS: 12', 'OK']);
  });

  it("emits a prompt for '> ' with no line end", () => {
    const { feed, lines } = splitter();
    feed('AT+CMGS=23\r\r\n> ');
    expect(lines()).toEqual(['AT+CMGS=23', '<prompt>']);
  });

  it("emits one prompt when '>' and ' ' arrive in separate reads, and the space does not leak into the next line", () => {
    const { feed, lines } = splitter();
    feed('\r\n>', ' ', '\r\n+CMGS: 7\r\n');
    expect(lines()).toEqual(['<prompt>', '+CMGS: 7']);
  });

  it("treats '> ' followed by a line end as the prompt too", () => {
    const { feed, lines } = splitter();
    feed('\r\n> \r\n');
    expect(lines()).toEqual(['<prompt>']);
  });

  it('does not take a line starting with > for a prompt', () => {
    const { feed, lines } = splitter();
    feed('>abc\r\n');
    expect(lines()).toEqual(['>abc']);
  });

  it('idle-flushes a partial line that never gets its line end', () => {
    const clock = new FakeClock(0);
    const { feed, lines } = splitter({ clock, idleFlushMs: 300 });
    feed('+CSQ: 20,', '99');
    clock.advance(299);
    expect(lines()).toEqual([]);
    clock.advance(1);
    expect(lines()).toEqual(['+CSQ: 20,99']);
    expect(clock.pending).toBe(0);
  });

  it('restarts the idle timer on every read, so a slow line is not cut', () => {
    const clock = new FakeClock(0);
    const { feed, lines } = splitter({ clock, idleFlushMs: 300 });
    feed('+CS');
    clock.advance(200);
    feed('Q: 1');
    clock.advance(200);
    feed('5,0\r\n');
    expect(lines()).toEqual(['+CSQ: 15,0']);
    expect(clock.pending).toBe(0);
  });

  it('cuts an overlong line instead of buffering without bound', () => {
    const { feed, out } = splitter({ maxLineBytes: 64 });
    feed('A'.repeat(200));
    expect(out.map((i) => (i.kind === 'line' ? i.text.length : -1))).toEqual([64, 64, 64]);
    feed('\r\n');
    expect(out.length).toBe(4);
    expect(out[3]).toEqual({ kind: 'line', text: 'A'.repeat(8) });
  });

  it('decodes invalid UTF-8 as latin1 without throwing and keeps valid UTF-8', () => {
    const { feed, lines } = splitter();
    feed(Buffer.from([0x2b, 0x43, 0xff, 0xfe, 0x0d, 0x0a]), Buffer.from('+COPS: 0,0,"Билайн"\r\n', 'utf8'));
    expect(lines()).toEqual(['+C\u00ff\u00fe', '+COPS: 0,0,"Билайн"']);
    expect(decodeLine(Buffer.from([0xc3]))).toBe('\u00c3');
  });

  it('keeps lower-case hex PDU lines intact', () => {
    const { feed, lines } = splitter();
    feed('+CMGL: 1,1,,23\r\n07919761989901f0040b919700214365f7\r\n');
    expect(lines()).toEqual(['+CMGL: 1,1,,23', '07919761989901f0040b919700214365f7']);
  });
});

describe('LineFramer stream', () => {
  it('is a Transform from bytes to FramedItem objects, flushing the partial line at end', async () => {
    const f = new LineFramer({ idleFlushMs: 0 });
    const got: FramedItem[] = [];
    f.on('data', (i: FramedItem) => got.push(i));
    const ended = new Promise((r) => f.on('end', r));
    f.write(Buffer.from('RING\r\n\r\n+CLIP: "+79001234567",145\r\n> '));
    f.write(Buffer.from('tail'));
    f.end();
    await ended;
    expect(got).toEqual([
      { kind: 'line', text: 'RING' },
      { kind: 'line', text: '+CLIP: "+79001234567",145' },
      { kind: 'prompt' },
      { kind: 'line', text: 'tail' },
    ]);
  });
});
