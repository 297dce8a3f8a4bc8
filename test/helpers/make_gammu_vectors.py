#!/usr/bin/python3
"""Print PDU vectors made by Debian's python3-gammu (1.42) as JSON, for test/fixtures/pdu-vectors.json.

Each vector's expectations come from what gammu was asked to encode (its own per-part texts,
numbers and UDH fields), never from our decoder. Re-run: /usr/bin/python3 test/helpers/make_gammu_vectors.py
"""
import datetime
import json
import sys

import gammu

WHEN = datetime.datetime(2026, 11, 21, 10, 0, 0)
SMSC = '+79168999100'
CODING = {'Default_No_Compression': 'gsm7', 'Unicode_No_Compression': 'ucs2', '8bit': '8bit'}


def make(name, layout, number, entries, unicode=False, cls=-1, tweak=None):
    info = {'Class': cls, 'Unicode': unicode, 'Entries': entries}
    out = []
    for m in gammu.EncodeSMS(info):
        m['SMSC'] = {'Number': SMSC}
        m['Number'] = number
        m['Type'] = layout
        m['DateTime'] = WHEN
        if tweak:
            tweak(m)
        h = gammu.EncodePDU(m, layout).hex().upper()
        udh = m['UDH']
        expect = {
            'type': 'deliver' if layout == 'Deliver' else 'submit',
            'smsc': SMSC,
            'text': m['Text'].decode('latin1') if isinstance(m['Text'], bytes) else m['Text'],
            'encoding': CODING[m['Coding']],
        }
        if layout == 'Deliver':
            expect['sender'] = number
            expect['timestamp'] = WHEN.isoformat() + '+00:00'  # gammu writes zone 00
        else:
            expect['to'] = number
        if cls >= 0:
            expect['messageClass'] = cls
        if udh['Type'] != 'NoUDH':
            if udh['ID16bit'] != -1:
                expect['concat'] = {'ref': udh['ID16bit'], 'total': udh['AllParts'], 'seq': udh['PartNumber'], 'refBits': 16}
            else:
                expect['concat'] = {'ref': udh['ID8bit'], 'total': udh['AllParts'], 'seq': udh['PartNumber'], 'refBits': 8}
        args = {'Class': cls, 'Unicode': unicode, 'Entries': [{k: v for k, v in e.items()} for e in entries]}
        out.append({
            'name': f"{name}{' part %d/%d' % (udh['PartNumber'], udh['AllParts']) if udh['AllParts'] > 1 else ''}",
            'hex': h,
            'source': f"gammu {gammu.Version()[0]} (python3-gammu): EncodeSMS({json.dumps(args, ensure_ascii=False)}) then EncodePDU(Layout='{layout}'), Number={number!r}, SMSC={SMSC!r}, DateTime={WHEN.isoformat()}",
            'expect': expect,
        })
    return out


def text(buf, long=False, id16=False):
    return [{'ID': ('ConcatenatedTextLong16bit' if id16 else 'ConcatenatedTextLong') if long else 'Text', 'Buffer': buf}]


def eight_bit(m):
    m['Coding'] = '8bit'
    m['Text'] = b'\x00\x01\x7f\x80\xffbinary'


vectors = []
vectors += make('gammu deliver GSM-7 Latin, international sender', 'Deliver', '+79001234567', text('Hello from gammu'))
vectors += make('gammu deliver GSM-7 extension table', 'Deliver', '+79001234567', text('Price: 10€ {a} [b] ~c^ |d| \\e'))
vectors += make('gammu deliver alphanumeric sender', 'Deliver', 'SCSERV', text('Your code 1234'))
vectors += make('gammu deliver alphanumeric sender 11 chars', 'Deliver', 'InfoService', text('Balance 10.50'))
vectors += make('gammu deliver short number', 'Deliver', '900', text('Balans: 100 rub'))
vectors += make('gammu deliver UCS2 Cyrillic', 'Deliver', '+79001234567', text('Привет, мир!'), unicode=True)
vectors += make('gammu deliver UCS2 emoji', 'Deliver', '+79001234567', text('Hi 😀 there 👍'), unicode=True)
vectors += make('gammu deliver flash class 0', 'Deliver', '+79001234567', text('Flash message'), cls=0)
vectors += make('gammu deliver UCS2 Cyrillic concatenated IEI 00', 'Deliver', '+79001234567',
                text('Съешь же ещё этих мягких французских булок, да выпей чаю. ' * 2, long=True), unicode=True)
vectors += make('gammu deliver GSM-7 concatenated IEI 08', 'Deliver', '+447700900123',
                text('The quick brown fox jumps over the lazy dog. ' * 4, long=True, id16=True))
vectors += make('gammu submit national number with 00', 'Submit', '89001234567', text('Hi'))
vectors += make('gammu submit GSM-7 concatenated IEI 00 with extension chars', 'Submit', '+79001234567',
                text('{json} [array] ~tilde~ ' * 8, long=True))
vectors += make('gammu submit UCS2 Chinese', 'Submit', '+8613800138000', text('你好，世界'), unicode=True)
vectors += make('gammu deliver 8-bit data', 'Deliver', '+79001234567', text('binary data'), tweak=eight_bit)
json.dump(vectors, sys.stdout, ensure_ascii=False, indent=2)
