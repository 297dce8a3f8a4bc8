import { describe, it, expect } from 'vitest';
import { decodePdu, encodeSubmit, type DecodedDeliver } from '../../src/sms/index.js';
import { loadProfile } from '../../src/modem/profile.js';
import { harness } from './harness.js';

/** SMS-SUBMIT "Hello" to +79001234567, hand-assembled: 19 TPDU octets after the 00 SMSC field. */
const HELLO = '0011000B919700214365F70000AA05C8329BFD06';

describe('SimulatedModem: command line basics', () => {
  it('answers AT with \\r\\nOK\\r\\n and identity commands with info lines', () => {
    const h = harness({ profile: 'huawei' });
    expect(h.at('AT')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CGMI')).toBe('\r\nhuawei\r\n\r\nOK\r\n');
    expect(h.at('AT+GMM')).toBe('\r\nE173\r\n\r\nOK\r\n');
    expect(h.at('AT+CGMR')).toBe('\r\n11.126.85.00.209\r\n\r\nOK\r\n');
    expect(h.at('ATI')).toContain('Manufacturer: huawei');
  });

  it('echoes the command line when ATE1 is on, and stops after ATE0', () => {
    const h = harness({ echo: true });
    expect(h.at('AT+CSQ')).toBe('AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    expect(h.at('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(h.at('AT+CSQ')).toBe('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    expect(h.at('ATE1')).toBe('\r\nOK\r\n');
    expect(h.at('AT')).toBe('AT\r\r\nOK\r\n');
  });

  it('runs ;-joined commands in order with a single OK (smstools3 AT+CMEE=1;+CREG=2)', () => {
    const h = harness();
    expect(h.at('AT+CMEE=1;+CREG=2')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CMEE?;+CREG?')).toBe('\r\n+CMEE: 1\r\n+CREG: 2,1,"1A2B","00C3D4E5"\r\n\r\nOK\r\n');
    // A failing command stops the line: what came before is printed, then the error.
    expect(h.at('AT+CSQ;+CSCS="KOI8";+CSQ')).toBe('\r\n+CSQ: 20,99\r\n\r\n+CME ERROR: 4\r\n');
  });

  it('shapes errors by AT+CMEE', () => {
    const h = harness();
    expect(h.at('AT+CSCS="NOPE"')).toBe('\r\nERROR\r\n');
    h.at('AT+CMEE=1');
    expect(h.at('AT+CSCS="NOPE"')).toBe('\r\n+CME ERROR: 4\r\n');
    h.at('AT+CMEE=2');
    expect(h.at('AT+CSCS="NOPE"')).toBe('\r\n+CME ERROR: operation not supported\r\n');
  });

  it('answers unknown commands with ERROR, or the profile text on Huawei', () => {
    expect(harness().at('AT+XYZZY')).toBe('\r\nERROR\r\n');
    expect(harness().at('AT^CURC=0')).toBe('\r\nERROR\r\n');
    expect(harness({ profile: 'huawei' }).at('AT+XYZZY')).toBe('\r\nCOMMAND NOT SUPPORT\r\n');
  });

  it('keeps the SIM unlocked and memories on ATZ but restores echo and CMEE', () => {
    const h = harness({ echo: true });
    h.at('ATE0;+CMEE=1;+CPMS="ME","ME","ME"');
    expect(h.at('ATZ')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CMEE?')).toBe('AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n');
    expect(h.modem.state.cpms).toEqual(['ME', 'ME', 'ME']);
  });

  it('accepts the Huawei-only AT^PORTSEL/AT^CURC on Huawei alone', () => {
    expect(harness({ profile: 'huawei' }).at('AT^PORTSEL=1')).toBe('\r\nOK\r\n');
    expect(harness({ profile: 'sim800' }).at('AT^PORTSEL=1')).toBe('\r\nERROR\r\n');
  });

  it('ignores bare line feeds, lines not starting with AT, and a line aborted by ESC', () => {
    const h = harness();
    h.send('\n');
    expect(h.take()).toBe('');
    h.send('hello\r');
    expect(h.take()).toBe('');
    h.send('AT+CGMI\x1bAT\r'); // gammu: ESC before each command discards the half line
    expect(h.take()).toBe('\r\nOK\r\n');
  });

  it('handles input split across writes byte by byte', () => {
    const h = harness();
    for (const ch of 'AT+CSQ\r') h.send(ch);
    expect(h.take()).toBe('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
  });

  it('reports PDU mode, character sets and storage like gammu probes them', () => {
    const h = harness();
    expect(h.at('AT+CFUN=1')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CFUN?')).toBe('\r\n+CFUN: 1\r\n\r\nOK\r\n');
    expect(h.at('AT+CMGF=0')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CMGF?')).toBe('\r\n+CMGF: 0\r\n\r\nOK\r\n');
    expect(h.at('AT+CSCS=?')).toContain('"UCS2"');
    expect(h.at('AT+CPMS=?')).toBe('\r\n+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")\r\n\r\nOK\r\n');
    expect(h.at('AT+CPMS="ME","ME","ME"')).toBe('\r\n+CPMS: 0,100,0,100,0,100\r\n\r\nOK\r\n');
    expect(h.at('AT+CPMS?')).toBe('\r\n+CPMS: "ME",0,100,"ME",0,100,"ME",0,100\r\n\r\nOK\r\n');
    expect(h.at('AT+CPMS="XX"')).toBe('\r\n+CMS ERROR: 302\r\n');
    expect(h.at('AT+CSCA?')).toBe('\r\n+CSCA: "+79168999100",145\r\n\r\nOK\r\n');
    expect(h.at('AT+COPS?')).toBe('\r\n+COPS: 0,0,"MTS-RUS",2\r\n\r\nOK\r\n');
  });
});

describe('SimulatedModem: PIN', () => {
  it('says SIM PIN and refuses SMS commands until the right AT+CPIN', () => {
    const h = harness({ pin: '1234' });
    h.at('AT+CMEE=1');
    expect(h.at('AT+CPIN?')).toBe('\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n');
    expect(h.at('AT+CMGL=4')).toBe('\r\n+CMS ERROR: 311\r\n');
    expect(h.at('AT+CPIN="0000"')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(h.at('AT+CPIN="1234"')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CPIN?')).toBe('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    expect(h.at('AT+CMGL=4')).toBe('\r\nOK\r\n');
  });

  it('answers +CPIN: READY with no OK on Wavecom, and goes on with the next line', () => {
    const h = harness({ profile: 'wavecom' });
    expect(h.at('AT+CPIN?')).toBe('\r\n+CPIN: READY\r\n');
    expect(h.at('AT')).toBe('\r\nOK\r\n');
  });
});

describe('SimulatedModem: AT+CMGS', () => {
  it('prompts with "> " and no line end, then answers +CMGS with incrementing references', () => {
    const h = harness({ sendDelayMs: 3000 });
    expect(h.at('AT+CMGS=19')).toBe('\r\n> ');
    h.send(HELLO + '\x1a');
    h.clock.advance(2999);
    expect(h.take()).toBe(''); // still "on the network"
    h.clock.advance(1);
    expect(h.take()).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
    expect(h.modem.sent).toHaveLength(1);
    expect(h.modem.sent[0]).toMatchObject({ to: '+79001234567', text: 'Hello', mr: 0, pdu: HELLO });
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1a');
    h.clock.advance(3000);
    expect(h.take()).toBe('\r\n+CMGS: 1\r\n\r\nOK\r\n');
  });

  it('wraps the message reference at 256', () => {
    const h = harness();
    for (let i = 0; i < 257; i++) {
      h.at('AT+CMGS=19');
      h.send(HELLO + '\x1a');
      h.clock.advance(0);
    }
    expect(h.modem.sent.map((s) => s.mr).slice(254)).toEqual([254, 255, 0]);
  });

  it('answers +CMS ERROR: 304 when <n> is not the TPDU octet count', () => {
    const h = harness();
    h.at('AT+CMGS=20');
    h.send(HELLO + '\x1a');
    expect(h.take()).toBe('\r\n+CMS ERROR: 304\r\n');
    expect(h.modem.sent).toHaveLength(0);
  });

  it('rejects non-hex input and a PDU that is not an SMS-SUBMIT', () => {
    const h = harness();
    h.at('AT+CMGS=19');
    h.send('HELLO WORLD\x1a');
    expect(h.take()).toBe('\r\n+CMS ERROR: 304\r\n');
    const [deliver] = ((): string[] => {
      h.modem.injectSms('+79001234567', 'x');
      const pdu = h.modem.storage()[0]!.pdu;
      h.take();
      return [pdu];
    })();
    const len = deliver!.length / 2 - 1 - parseInt(deliver!.slice(0, 2), 16);
    h.at(`AT+CMGS=${len}`);
    h.send(deliver + '\x1a');
    expect(h.take()).toBe('\r\n+CMS ERROR: 304\r\n');
  });

  it('cancels the PDU entry on ESC, answering OK and sending nothing', () => {
    const h = harness();
    h.at('AT+CMGS=19');
    h.send(HELLO.slice(0, 10) + '\x1b');
    expect(h.take()).toBe('\r\nOK\r\n');
    expect(h.at('AT')).toBe('\r\nOK\r\n');
    expect(h.modem.sent).toHaveLength(0);
  });

  it('echoes the typed PDU with echo on, and accepts Ctrl-Z in a later write (gammu)', () => {
    const h = harness({ echo: true });
    expect(h.at('AT+CMGS=19')).toBe('AT+CMGS=19\r\r\n> ');
    h.send(HELLO);
    expect(h.take()).toBe(HELLO);
    h.send('\x1a');
    h.clock.advance(0);
    expect(h.take()).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
  });

  it('holds commands typed during the send delay until +CMGS is out', () => {
    const h = harness({ sendDelayMs: 1000 });
    h.at('AT+CMGS=19');
    h.send(HELLO + '\x1aAT+CSQ\r');
    expect(h.take()).toBe('');
    h.clock.advance(1000);
    expect(h.take()).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
  });

  it('records each part of a multipart send with its concatenation header', () => {
    const h = harness();
    const text = 'Привет! '.repeat(20); // 160 UCS2 chars: 3 parts
    const parts = encodeSubmit('+79001234567', text, { ref: 7 });
    expect(parts).toHaveLength(3);
    for (const p of parts) {
      expect(h.at(`AT+CMGS=${p.tpduLength}`)).toBe('\r\n> ');
      h.send(p.hex + '\x1a');
      h.clock.advance(0);
      expect(h.take()).toMatch(/^\r\n\+CMGS: \d+\r\n\r\nOK\r\n$/);
    }
    expect(h.modem.sent.map((s) => s.concat?.seq)).toEqual([1, 2, 3]);
    expect(h.modem.sent.map((s) => s.text).join('')).toBe(text);
  });
});

describe('SimulatedModem: inbound storage', () => {
  it('stores an injected SMS, announces +CMTI and lists it with AT+CMGL=4', () => {
    const h = harness();
    expect(h.modem.injectSms('+79001234567', 'CLIENT info')).toEqual([1]);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    const out = h.at('AT+CMGL=4');
    const m = /^\r\n\+CMGL: 1,0,,(\d+)\r\n([0-9A-F]+)\r\n\r\nOK\r\n$/.exec(out);
    expect(m).not.toBeNull();
    const pdu = m![2]!;
    expect(Number(m![1])).toBe(pdu.length / 2 - 1 - parseInt(pdu.slice(0, 2), 16));
    const d = decodePdu(pdu) as DecodedDeliver;
    expect(d).toMatchObject({ type: 'deliver', sender: '+79001234567', text: 'CLIENT info' });
    // Listing marked it read: the unread filter is now empty, the read filter has it.
    expect(h.at('AT+CMGL=0')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CMGL=1')).toContain('+CMGL: 1,1,,');
  });

  it('stores multipart parts in the injected order, each with its own +CMTI', () => {
    const h = harness();
    const text = 'Это длинное сообщение на русском языке, которое не помещается в одну часть. '.repeat(2);
    const idx = h.modem.injectSms('+79001234567', text, { order: [3, 1, 2], ref: 42 });
    expect(idx).toEqual([1, 2, 3]);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n\r\n+CMTI: "SM",2\r\n\r\n+CMTI: "SM",3\r\n');
    const seqs = h.modem.storage().map((s) => (decodePdu(s.pdu) as DecodedDeliver).concat?.seq);
    expect(seqs).toEqual([3, 1, 2]);
    expect(() => h.modem.injectSms('+79001234567', text, { order: [4] })).toThrow(/order names part 4/);
  });

  it('reads with AT+CMGR (marking read), deletes with AT+CMGD and reuses the index', () => {
    const h = harness();
    h.modem.injectSms('+79001111111', 'one');
    h.modem.injectSms('+79002222222', 'two');
    h.take();
    expect(h.at('AT+CMGR=2')).toMatch(/^\r\n\+CMGR: 0,,\d+\r\n[0-9A-F]+\r\n\r\nOK\r\n$/);
    expect(h.at('AT+CMGR=2')).toMatch(/^\r\n\+CMGR: 1,,/);
    expect(h.at('AT+CMGR=0')).toBe('\r\n+CMS ERROR: 321\r\n');
    expect(h.at('AT+CMGD=1')).toBe('\r\nOK\r\n');
    expect(h.at('AT+CMGR=1')).toBe('\r\nOK\r\n'); // empty slot
    expect(h.modem.injectSms('+79003333333', 'three')).toEqual([1]);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    expect(h.at('AT+CMGD=1,4')).toBe('\r\nOK\r\n');
    expect(h.modem.storage()).toEqual([]);
  });

  it('lists the memory chosen by AT+CPMS and stores into its receive memory', () => {
    const h = harness();
    h.modem.injectSms('+79001111111', 'on SIM');
    h.at('AT+CPMS="ME","ME","ME"');
    h.take();
    h.modem.injectSms('+79002222222', 'on ME');
    expect(h.take()).toBe('\r\n+CMTI: "ME",1\r\n');
    expect(h.at('AT+CMGL=4').match(/\+CMGL:/g)).toHaveLength(1);
    expect(h.modem.storage('SM')).toHaveLength(1);
    expect(h.modem.storage('ME')).toHaveLength(1);
  });

  it('holds SMS back in the network when the SIM is full and delivers when space frees', () => {
    const h = harness({ capacity: 2, profile: 'huawei', networkRetryMs: 500 });
    h.modem.injectSms('+79001111111', 'a');
    h.modem.injectSms('+79001111111', 'b');
    h.take();
    expect(h.modem.injectSms('+79001111111', 'c')).toEqual([]);
    expect(h.modem.heldBack).toBe(1);
    expect(h.take()).toBe('\r\n^SMMEMFULL: "SM"\r\n');
    expect(h.at('AT+CPMS?')).toContain('+CPMS: "SM",2,2,');
    h.at('AT+CMGD=1');
    h.clock.advance(500);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    expect(h.modem.heldBack).toBe(0);
    expect((decodePdu(h.modem.storage()[0]!.pdu) as DecodedDeliver).text).toBe('c');
  });

  it('lists the used indices in AT+CMGD=? (smstools3 check_memory_method=2)', () => {
    const h = harness();
    expect(h.at('AT+CMGD=?')).toBe('\r\n+CMGD: (),(0-4)\r\n\r\nOK\r\n');
    h.modem.injectSms('+79001111111', 'a');
    h.modem.injectSms('+79001111111', 'b');
    h.modem.injectSms('+79001111111', 'c');
    h.at('AT+CMGD=2');
    h.take();
    expect(h.at('AT+CMGD=?')).toBe('\r\n+CMGD: (1,3),(0-4)\r\n\r\nOK\r\n');
  });

  it('stores a raw PDU with injectPdu and rejects non-hex', () => {
    const h = harness();
    const pdu = '07919761989901F0040B919700214365F70000622111000000000AE8329BFD4697D9EC37';
    expect(h.modem.injectPdu(pdu.toLowerCase())).toBe(1);
    expect(h.take()).toBe('\r\n+CMTI: "SM",1\r\n');
    expect(h.modem.storage()[0]!.pdu).toBe(pdu);
    expect(() => h.modem.injectPdu('07G1')).toThrow(/not hex/);
  });

  it('delivers as +CMT with the PDU (nothing stored) on direct-delivery modems with CNMI mt=2', () => {
    const base = loadProfile('generic');
    const h = harness({ profile: { ...base, flags: { ...base.flags, directDelivery: true } } });
    h.at('AT+CNMI=2,2,0,0,0');
    expect(h.modem.injectSms('+79001234567', 'direct')).toEqual([]);
    const m = /^\r\n\+CMT: ,(\d+)\r\n([0-9A-F]+)\r\n$/.exec(h.take());
    expect(m).not.toBeNull();
    expect((decodePdu(m![2]!) as DecodedDeliver).text).toBe('direct');
    expect(h.modem.storage()).toEqual([]);
    expect(h.at('AT+CNMA')).toBe('\r\nOK\r\n');
  });

  it('sends no +CMTI when AT+CNMI mt=0 but still stores', () => {
    const h = harness();
    h.at('AT+CNMI=2,0,0,0,0');
    expect(h.modem.injectSms('+79001111111', 'quiet')).toEqual([1]);
    expect(h.take()).toBe('');
    expect(h.at('AT+CNMI?')).toBe('\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n');
  });
});

describe('SimulatedModem: calls and boot', () => {
  it('rings with +CLIP every 2 s until ATH', () => {
    const h = harness();
    h.at('AT+CLIP=1');
    h.modem.injectCall('+79001234567');
    expect(h.take()).toBe('\r\nRING\r\n\r\n+CLIP: "+79001234567",145,,,,0\r\n');
    h.clock.advance(2000);
    expect(h.take()).toBe('\r\nRING\r\n\r\n+CLIP: "+79001234567",145,,,,0\r\n');
    expect(h.at('ATH')).toBe('\r\nOK\r\n');
    h.clock.advance(10_000);
    expect(h.take()).toBe('');
    expect(h.modem.ringing).toBe(false);
  });

  it('ends a call with AT+CHUP and rings without +CLIP when CLIP is off', () => {
    const h = harness();
    h.modem.injectCall('89001234567');
    expect(h.take()).toBe('\r\nRING\r\n');
    h.at('AT+CHUP');
    expect(h.modem.ringing).toBe(false);
  });

  it('emits the SIMCom boot URCs on boot() and again after AT+CFUN=1,1', () => {
    const h = harness({ profile: 'sim800', bootDelayMs: 3000 });
    h.modem.boot();
    const boot = '\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n';
    expect(h.take()).toBe(boot);
    h.at('AT+CMEE=1');
    expect(h.at('AT+CFUN=1,1')).toBe('\r\nOK\r\n');
    h.clock.advance(3000);
    expect(h.take()).toBe(boot);
    expect(h.modem.state.cmee).toBe(0); // settings back to power-up defaults
  });
});

describe('SimulatedModem: Huawei noise', () => {
  it('puts noise between the prompt and +CMGS, and between echo and reply, until AT^CURC=0', () => {
    const h = harness({ profile: 'huawei', noise: 1, echo: true });
    const out = h.at('AT+CSQ');
    expect(out).toMatch(/^AT\+CSQ\r\r\n\^[A-Z]+:[^\r]*\r\n\r\n\+CSQ: 20,99\r\n\r\nOK\r\n$/);
    h.at('ATE0');
    const prompt = h.at('AT+CMGS=19');
    expect(prompt).toMatch(/^(\r\n\^[A-Z]+:[^\r]*\r\n)\r\n> (\r\n\^[A-Z]+:[^\r]*\r\n)$/);
    h.send(HELLO + '\x1a');
    h.clock.advance(0);
    const result = h.take();
    expect(result).toMatch(/\^[A-Z]+:[^\r]*\r\n\r\n\+CMGS: 0\r\n\r\nOK\r\n$/);
    expect(h.at('AT^CURC=0')).toMatch(/\r\nOK\r\n$/);
    expect(h.at('AT+CSQ')).toBe('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
  });

  it('emits periodic noise with intervalMs, reproducibly for a seed', () => {
    const run = () => {
      const h = harness({ profile: 'huawei', noise: { probability: 0, intervalMs: 1000 }, seed: 7 });
      h.clock.advance(5000);
      h.modem.dispose();
      return h.take();
    };
    const a = run();
    expect(a.match(/\r\n\^/g)).toHaveLength(5);
    expect(run()).toBe(a);
  });
});
