import { describe, it, expect } from 'vitest';
import { normalizeCommandText, parseCommand } from '../../src/commands/parser.js';

describe('parseCommand', () => {
  it.each([
    ['CLIENT info', 'info'],
    ['client info', 'info'],
    ['Client Info', 'info'],
    ['cLiEnT iNfO', 'info'],
    ['CLIENT sms stop', 'sms-stop'],
    ['CLIENT SMS STOP', 'sms-stop'],
    ['client sms start', 'sms-start'],
    ['CLIENT SMS START', 'sms-start'],
  ])('%j → %s', (text, kind) => {
    expect(parseCommand(text)).toEqual({ kind });
  });

  it.each([
    ['  CLIENT info  '],
    ['CLIENT   info'],
    ['\tCLIENT\tinfo\t'],
    ['CLIENT\ninfo\n'],
    ['\r\nCLIENT\r\ninfo'],
    ['CLIENT\u00a0info'], // NBSP, as some phones insert after a word
    ['\u00a0CLIENT \u00a0 info\u00a0'],
    ['CLIENT\u2009info'], // thin space
    ['CLIENT\u3000info'], // ideographic space
  ])('tolerates whitespace: %j', (text) => {
    expect(parseCommand(text)).toEqual({ kind: 'info' });
  });

  it.each([
    ['CLIENT info please'],
    ['CLIENTinfo'],
    ['CLIENT\u200binfo'], // zero-width space: shows as CLIENTinfo
    ['CLIENT sms'],
    ['CLIENT'],
    ['info'],
    ['sms stop'],
    ['CLIENT info.'],
    ['CLIENT: info'],
    ['CLIENTS info'],
    ['CLIENT sms stop now'],
    ['CLIENT sms-stop'],
    ['CLIENT smsstop'],
    ['please CLIENT info'],
    ['КЛИЕНТ инфо'], // a Russian translation is not the command
    [''],
    ['   '],
    ['[CALL]'],
  ])('refuses %j', (text) => {
    expect(parseCommand(text)).toBeUndefined();
  });

  it('handles NFKC compatibility forms: fullwidth letters', () => {
    expect(parseCommand('ＣＬＩＥＮＴ ｉｎｆｏ')).toEqual({ kind: 'info' });
    expect(parseCommand('ＣＬＩＥＮＴ　ＳＭＳ　ＳＴＯＰ')).toEqual({ kind: 'sms-stop' });
  });

  it('folds Cyrillic look-alike letters (Russian keyboard layouts)', () => {
    // С U+0421, Е U+0415, Т U+0422 in CLIENT; о U+043E, р U+0440 in stop.
    expect(parseCommand('\u0421LI\u0415N\u0422 info')).toEqual({ kind: 'info' });
    expect(parseCommand('\u0421LI\u0415N\u0422 sms st\u043e\u0440')).toEqual({ kind: 'sms-stop' });
    // Lower-case Cyrillic с, е, т and Ukrainian і.
    expect(parseCommand('\u0441l\u0456\u0435n\u0442 \u0456nfo')).toEqual({ kind: 'info' });
    // Capital М and А, Т, Р in SMS START.
    expect(parseCommand('CLIENT S\u041cS S\u0422\u0410R\u0422')).toEqual({ kind: 'sms-start' });
  });

  it('folding does not make commands out of other Cyrillic words', () => {
    expect(parseCommand('CLIENT инфо')).toBeUndefined();
    expect(parseCommand('CLIENT смс стоп')).toBeUndefined();
  });

  it('returns a fresh object each time (callers may mutate it)', () => {
    const a = parseCommand('CLIENT info') as { kind: string };
    a.kind = 'x';
    expect(parseCommand('CLIENT info')).toEqual({ kind: 'info' });
  });
});

describe('normalizeCommandText', () => {
  it('is NFKC, folded, lower-cased, single-spaced', () => {
    expect(normalizeCommandText('  ＣＬＩＥＮＴ\u00a0\u00a0SMS\n\u0421TOP ')).toBe('client sms ctop');
  });
});
