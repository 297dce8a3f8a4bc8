import { describe, it, expect } from 'vitest';
import { STANDARD_URC_PREFIXES, classifyLine, finalKind, type ClassifierConfig, type PendingView } from '../../src/at/classify.js';
import { derivedPrefixes, normalizeCommand } from '../../src/at/command.js';
import { loadProfile } from '../../src/modem/profile.js';

const generic: ClassifierConfig = { okFinals: [], errorFinals: [], urcPrefixes: STANDARD_URC_PREFIXES, noisePrefixes: [] };
const huawei = loadProfile('huawei');
const huaweiCfg: ClassifierConfig = {
  okFinals: huawei.finals.ok,
  errorFinals: huawei.finals.error,
  urcPrefixes: [...STANDARD_URC_PREFIXES, ...huawei.urc.prefixes],
  noisePrefixes: huawei.urc.noise,
};

function pending(text: string, extra: Partial<PendingView> = {}): PendingView {
  return { text, expect: normalizeCommand(text).expect, echoSeen: false, ...extra };
}

describe('classifyLine', () => {
  it('recognises the echo of the pending command once, case-insensitively', () => {
    expect(classifyLine('AT+CSQ', pending('AT+CSQ'), generic)).toBe('echo');
    expect(classifyLine('at+csq', pending('AT+CSQ'), generic)).toBe('echo');
    expect(classifyLine('AT+CSQ', pending('AT+CSQ', { echoSeen: true }), generic)).toBe('info');
  });

  it('classifies standard finals, numeric and text CME/CMS errors', () => {
    const p = pending('AT+CMGS=23');
    expect(classifyLine('OK', p, generic)).toBe('ok');
    expect(classifyLine('ERROR', p, generic)).toBe('error');
    expect(classifyLine('+CMS ERROR: 500', p, generic)).toBe('error');
    expect(classifyLine('+CME ERROR: SIM not inserted', p, generic)).toBe('error');
  });

  it('treats profile error finals as finals only with that profile', () => {
    expect(classifyLine('COMMAND NOT SUPPORT', pending('AT+CNMI=2,1'), huaweiCfg)).toBe('error');
    expect(classifyLine('COMMAND NOT SUPPORT', pending('AT+CNMI=2,1'), generic)).toBe('info');
  });

  it('routes URCs out even while a command is pending, unless the command solicits the prefix', () => {
    expect(classifyLine('+CMTI: "SM",3', pending('AT+CSQ'), generic)).toBe('urc');
    expect(classifyLine('+CREG: 1', pending('AT+CSQ'), generic)).toBe('urc');
    expect(classifyLine('+CREG: 0,1', pending('AT+CREG?'), generic)).toBe('info');
    expect(classifyLine('+CPIN: READY', pending('AT+CPIN?'), generic)).toBe('info');
    expect(classifyLine('+CPIN: NOT READY', undefined, generic)).toBe('urc');
  });

  it('NO CARRIER / BUSY end a dial command but are URCs otherwise', () => {
    expect(classifyLine('NO CARRIER', pending('ATD+79001234567;'), generic)).toBe('error');
    expect(classifyLine('BUSY', pending('ATD+79001234567;'), generic)).toBe('error');
    expect(classifyLine('NO CARRIER', pending('AT+CSQ'), generic)).toBe('urc');
    expect(classifyLine('NO CARRIER', undefined, generic)).toBe('urc');
  });

  it('drops profile noise (Huawei ^RSSI) mid-command and idle', () => {
    expect(classifyLine('^RSSI:18', pending('AT+CMGS=23'), huaweiCfg)).toBe('noise');
    expect(classifyLine('^BOOT:20716330,0,0,0,72', undefined, huaweiCfg)).toBe('noise');
    expect(classifyLine('^SMMEMFULL: "SM"', undefined, huaweiCfg)).toBe('urc');
  });

  it('drops the echo of the PDU written after the prompt', () => {
    const p = pending('AT+CMGS=13', { echoSeen: true, payloadEcho: '0011000B919700214365F70000AA01C8' });
    expect(classifyLine('0011000B919700214365F70000AA01C8\x1a', p, generic)).toBe('echo');
    expect(classifyLine('> 0011000b919700214365f7', p, generic)).toBe('echo');
    expect(classifyLine('+CMGS: 12', p, generic)).toBe('info');
  });

  it('labels lines with no pending command that are not URCs as unsolicited (finals too)', () => {
    expect(classifyLine('garbage ~~', undefined, generic)).toBe('unsolicited');
    expect(classifyLine('OK', undefined, generic)).toBe('unsolicited');
  });

  it('finalKind honours profile ok finals', () => {
    expect(finalKind('DONE', { ...generic, okFinals: ['DONE'] })).toBe('ok');
    expect(finalKind('DONE', generic)).toBeUndefined();
  });
});

describe('derivedPrefixes', () => {
  it('derives the info prefix of each ;-joined command', () => {
    expect(derivedPrefixes('AT+CMEE=1;+CREG?')).toEqual(['+CMEE:', '+CREG:']);
    expect(derivedPrefixes('AT^CURC=0')).toEqual(['^CURC:']);
    expect(derivedPrefixes('ATI')).toEqual([]);
    expect(normalizeCommand({ text: 'AT+CMGL=4', expect: ['+CMGL:'] }).expect).toEqual(['+CMGL:']);
  });
});
