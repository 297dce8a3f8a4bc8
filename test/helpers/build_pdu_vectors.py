#!/usr/bin/python3
"""Build test/fixtures/pdu-vectors.json: gammu-made vectors (make_gammu_vectors.py), public
vectors with their published expectations, and hand-built variants (zones, FF padding, UDH mixes,
status reports) checked against gammu's DecodePDU before they are written.

Run: /usr/bin/python3 test/helpers/build_pdu_vectors.py > test/fixtures/pdu-vectors.json
"""
import json
import os
import subprocess
import sys

import gammu

HERE = os.path.dirname(os.path.abspath(__file__))
gammu_vectors = json.loads(subprocess.check_output(['/usr/bin/python3', os.path.join(HERE, 'make_gammu_vectors.py')]))
by_name = {v['name']: v for v in gammu_vectors}
G1 = by_name['gammu deliver GSM-7 Latin, international sender']
GSMS = '07919761989901F0'  # SMSC +79168999100


def with_zone(v, tz_octet, iso_zone, label):
    h = v['hex']
    i = h.index('62111201000000')  # SCTS 2026-11-21 10:00:00, zone 00 in gammu vectors
    e = dict(v['expect'], timestamp='2026-11-21T10:00:00' + iso_zone)
    return {'name': f"{v['name']} with zone {iso_zone}", 'hex': h[:i] + '621112010000' + tz_octet + h[i + 14:],
            'source': f"{label}: gammu vector {v['name']!r} with the TP-SCTS zone octet set by hand to 0x{tz_octet} (TS 23.040 §9.2.3.11: quarter hours, sign in bit 3)",
            'expect': e}


def pack(septets, fill=0):
    """LSB-first septet packing after `fill` zero bits, written out bit by bit (independent of our TS code)."""
    pos = fill
    total = fill + 7 * len(septets)
    buf = bytearray((total + 7) // 8)
    for s in septets:
        for b in range(7):
            if (s >> b) & 1:
                buf[pos // 8] |= 1 << (pos % 8)
            pos += 1
    return bytes(buf)


def check_gammu(h, **want):
    # DecodePDU only: LinkSMS never returns for a lone part 1/3. Its Text carries garbage after the
    # real text (python-gammu fills Length characters), so only the prefix is compared.
    d = gammu.DecodePDU(bytes.fromhex(h), SMSC=True)
    for k, v in want.items():
        got = d.get(k)
        if k == 'Text':
            got = got[:len(v)]
        if got != v:
            raise SystemExit(f'gammu disagrees on {k}: {got!r} != {v!r} for {h}')


hand = []
hand.append(with_zone(G1, '22', '+05:30', 'hand-built'))
hand.append(with_zone(G1, '41', '+03:30', 'hand-built'))
hand.append(with_zone(G1, '32', '+05:45', 'hand-built'))
hand.append(with_zone(G1, '29', '-03:00', 'hand-built'))
hand.append(with_zone(G1, '49', '-03:30', 'hand-built'))
hand.append(with_zone(by_name['gammu deliver UCS2 Cyrillic'], '21', '+03:00', 'hand-built'))
hand.append({'name': 'FF padding after the user data (Huawei/SIMCom AT+CMGR)', 'hex': G1['hex'] + 'FF' * 12,
             'source': 'hand-built: gammu vector + 12 FF octets after TP-UD, as some modems pad AT+CMGR output',
             'expect': G1['expect']})
hand.append({'name': 'junk after the user data', 'hex': G1['hex'] + '00DEADBEEF',
             'source': 'hand-built: gammu vector + junk octets after TP-UD (TP-UDL bounds the read)', 'expect': G1['expect']})
ucs = by_name['gammu deliver UCS2 emoji']
hand.append({'name': 'lower-case hex', 'hex': ucs['hex'].lower(), 'source': 'hand-built: gammu emoji vector in lower case',
             'expect': ucs['expect']})
nat = G1['hex'].replace('0B919700214365F7', '0BA19800214365F7')
check_gammu(nat, Number='89001234567')
hand.append({'name': 'deliver from a national number (TOA 0xA1)', 'hex': nat,
             'source': 'hand-built: gammu vector with TP-OA set to TOA 0xA1 (national, ISDN) 89001234567; gammu DecodePDU agrees',
             'expect': dict(G1['expect'], sender='89001234567', senderType='national')})
nosmsc = G1['hex'][len(GSMS):]
hand.append({'name': 'deliver without SMSC prefix (smscPrefix: false)', 'hex': nosmsc, 'smscPrefix': False,
             'source': 'hand-built: gammu vector with the SMSC field removed, as +CMT on modems with AT+CSDH=0 may give it',
             'expect': {k: v for k, v in G1['expect'].items() if k != 'smsc'}})

# GSM-7 text after an 11-octet UDH (IEI 00 concat + IEI 05 ports): 3 fill bits, not the usual 1.
text = 'Ports and concat'
septets = [ord(c) for c in text]  # ASCII letters/space map to the same GSM-7 values
ies = bytes.fromhex('0003AB0301') + bytes.fromhex('050423F40000')
udh = bytes([len(ies)]) + ies
udl = (len(udh) * 8 + 6) // 7 + len(septets)
fill = (7 - (len(udh) * 8) % 7) % 7
ud = udh + pack(septets, fill)
h = (GSMS + '40' + '0B919700214365F7' + '0000' + '62111201000021' + '%02X' % udl + ud.hex()).upper()
check_gammu(h, Text=text, Number='+79001234567')
hand.append({'name': 'GSM-7 with IEI 00 concat + IEI 05 port addressing (3 fill bits)', 'hex': h,
             'source': 'hand-built per TS 23.040 §9.2.3.24 (UDH 0B 0003AB0301 050423F40000); gammu DecodePDU agrees on text and number',
             'expect': {'type': 'deliver', 'text': text, 'encoding': 'gsm7', 'sender': '+79001234567',
                        'timestamp': '2026-11-21T10:00:00+03:00', 'concat': {'ref': 0xAB, 'total': 3, 'seq': 1, 'refBits': 8},
                        'ports': {'destination': 0x23F4, 'source': 0}}})
# 8-bit WAP-push style: IEI 05 ports 2948/9200 then IEI 08 16-bit concat.
data = bytes.fromhex('0106246170706C69636174696F6E2F766E642E7761702E6D6D732D6D65737361676500')
ies = bytes.fromhex('05040B8423F0') + bytes.fromhex('0804BEEF0201')
udh = bytes([len(ies)]) + ies
h = (GSMS + '44' + '0B919700214365F7' + '00F5' + '62111201000080' + '%02X' % (len(udh) + len(data)) + (udh + data).hex()).upper()
check_gammu(h, Number='+79001234567')
hand.append({'name': '8-bit WAP push: IEI 05 ports + IEI 08 concat, DCS 0xF5 (class 1)', 'hex': h,
             'source': 'hand-built per TS 23.040 §9.2.3.24.4 (ports 2948/9200) and §9.2.3.24.8 (16-bit ref 0xBEEF); gammu DecodePDU parses it',
             'expect': {'type': 'deliver', 'encoding': '8bit', 'messageClass': 1, 'text': data.decode('latin1'),
                        'timestamp': '2026-11-21T10:00:00+02:00',
                        'concat': {'ref': 0xBEEF, 'total': 2, 'seq': 1, 'refBits': 16},
                        'ports': {'destination': 2948, 'source': 9200}}})


def status_report(mr, st, zone_octet, iso_zone, name):
    h = (GSMS + '06' + '%02X' % mr + '0B919700214365F7' + '621112010000' + zone_octet + '621112010512' + zone_octet + '%02X' % st).upper()
    check_gammu(h, MessageReference=mr, Number='+79001234567', DeliveryStatus=st)
    return {'name': name, 'hex': h,
            'source': f'hand-built SMS-STATUS-REPORT per TS 23.040 §9.2.2.3 (TP-ST 0x{st:02X}); gammu DecodePDU agrees on MR, number and status',
            'expect': {'type': 'status-report', 'smsc': '+79168999100', 'mr': mr, 'recipient': '+79001234567',
                       'timestamp': '2026-11-21T10:00:00' + iso_zone, 'dischargedAt': '2026-11-21T10:50:21' + iso_zone,
                       'status': st, 'delivered': st < 0x20, 'final': st < 0x20 or st >= 0x40}}


hand.append(status_report(0xA7, 0x00, '21', '+03:00', 'status report: delivered'))
hand.append(status_report(0x05, 0x30, '29', '-03:00', 'status report: pending (0x30), negative zone'))
hand.append(status_report(0xFF, 0x46, '22', '+05:30', 'status report: failed permanently (0x46), half-hour zone'))

public = [
    {'name': 'node-pdu README deliver "Hello, world!"',
     'hex': '07919730071111F1000B919746121611F10000811170021222230DC8329BFD6681EE6F399B1C02',
     'source': 'node-pdu 2.1.1 README example (parse → "Hello, world!")',
     'expect': {'type': 'deliver', 'smsc': '+79037011111', 'sender': '+79642161111', 'text': 'Hello, world!',
                'timestamp': '2018-11-07T20:21:22+08:00', 'encoding': 'gsm7'}},
    {'name': 'dreamfabric "SMS and the PDU format" deliver hellohello',
     'hex': '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37',
     'source': 'classic example from dreamfabric.com "SMS and the PDU format" (1999-03-29 15:16:59, TOA 0xC8)',
     'expect': {'type': 'deliver', 'smsc': '+27381000015', 'sender': '27838890001', 'senderType': 'other',
                'text': 'hellohello', 'timestamp': '1999-03-29T15:16:59+02:00'}},
    {'name': 'dreamfabric submit hellohello, relative validity 0xAA',
     'hex': '0011000B916407281553F80000AA0AE8329BFD4697D9EC37',
     'source': 'classic example from dreamfabric.com "SMS and the PDU format" (SMS-SUBMIT, VP 0xAA = 4 days)',
     'expect': {'type': 'submit', 'to': '+46708251358', 'toType': 'international', 'text': 'hellohello',
                'validity': {'format': 'relative', 'minutes': 4 * 1440, 'raw': 0xAA}}},
    {'name': 'python-gsmmodem deliver Test2',
     'hex': '06917228195339040B917228214365F700003130805120618005D4F29C2E03',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'deliver', 'smsc': '+2782913593', 'sender': '+27821234567', 'pid': 0, 'text': 'Test2',
                'timestamp': '2013-03-08T15:02:16+02:00'}},
    {'name': 'python-gsmmodem deliver "It is easy to read text messages via AT commands."',
     'hex': '07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'deliver', 'smsc': '+85290000000', 'sender': '+85291234567',
                'text': 'It is easy to read text messages via AT commands.', 'timestamp': '2007-04-12T23:25:42+08:00'}},
    {'name': 'python-gsmmodem deliver with extension chars "@{tést}!"',
     'hex': '06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'deliver', 'sender': '+27821234567', 'text': '@{tést}!'}},
    {'name': 'python-gsmmodem submit with relative validity 3 days',
     'hex': '07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'submit', 'smsc': '+31624000000', 'to': '+31628870634', 'mr': 13,
                'validity': {'format': 'relative', 'minutes': 3 * 1440}, 'text': 'www.diafaan.com',
                'statusReportRequest': True}},
    {'name': 'python-gsmmodem status report MR 214',
     'hex': '0006D60B911326880736F4111011719551401110117195714000',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'status-report', 'recipient': '+31628870634', 'mr': 214, 'status': 0, 'delivered': True,
                'timestamp': '2011-01-11T17:59:15+01:00', 'dischargedAt': '2011-01-11T17:59:17+01:00'}},
    {'name': 'python-gsmmodem concatenated deliver (IEI 00, ref 0xC3, 1 of 1)',
     'hex': '0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'deliver', 'sender': '2781188', 'senderType': 'unknown', 'smsc': '+2781191',
                'text': 'Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. ',
                'concat': {'ref': 0xC3, 'total': 1, 'seq': 1, 'refBits': 8}}},
    {'name': 'python-gsmmodem submit UCS2 Japanese',
     'hex': '07914346466554F601000B914316565811F9000806304253F68449',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'submit', 'to': '+34616585119', 'smsc': '+34646456456', 'text': 'あ叶葉', 'encoding': 'ucs2'}},
    {'name': 'python-gsmmodem submit 8-bit',
     'hex': '0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'submit', 'to': '+27821234567', 'smsc': '+2781191', 'text': 'Hello world!', 'encoding': '8bit'}},
    {'name': 'python-gsmmodem submit with absolute validity',
     'hex': '0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301',
     'source': 'python-gsmmodem test/test_pdu.py TestSmsPdu.test_decode',
     'expect': {'type': 'submit', 'text': 'Timestamp validity test', 'to': '+27820001111',
                'validity': {'format': 'absolute', 'timestamp': '2013-07-10T13:39:00+02:00'}}},
    {'name': 'ZTE status report with a broken recipient number',
     'hex': '0297F1061C0F910B487228297020F5317062419272803170624192138000',
     'source': 'python-gsmmodem test/test_pdu.py (semi-invalid status report captured from a ZTE modem); BCD B is "#" per TS 24.008',
     'expect': {'type': 'status-report', 'mr': 28, 'recipient': '+#08427829207025',
                'timestamp': '2013-07-26T14:29:27+02:00', 'dischargedAt': '2013-07-26T14:29:31+02:00', 'status': 0}},
]

invalid = [
    {'name': 'non-hex character', 'hex': G1['hex'][:20] + 'G' + G1['hex'][21:], 'error': 'non-hex character "G" at position 20'},
    {'name': 'odd length', 'hex': G1['hex'][:-1], 'error': 'odd length'},
    {'name': 'empty', 'hex': '', 'error': 'empty PDU'},
    {'name': 'truncated in the SCTS', 'hex': G1['hex'][:50], 'error': 'truncated at TP-SCTS'},
    {'name': 'truncated in the user data', 'hex': G1['hex'][:-4], 'error': 'UDL exceeds data'},
    {'name': 'SMSC only', 'hex': GSMS, 'error': 'truncated at first octet'},
    {'name': 'reserved MTI 3', 'hex': GSMS + '03', 'error': 'reserved TP-MTI 3'},
    {'name': 'UDHL larger than the user data',
     'hex': GSMS + '400B919700214365F70008621112010000000405000301', 'error': 'bad UDH length'},
    {'name': 'UDH IE overruns the header',
     'hex': GSMS + '400B919700214365F700086211120100000008050009AB02010041', 'error': 'bad UDH: IE 0x00 length 9 overruns'},
    {'name': 'python-gsmmodem UCS2 submit whose UDL (160) is too long',
     'hex': '0041010C910661345542F60008A0050003000301306F3044', 'error': 'TP-UDL 160 exceeds the 140 octets'},
    {'name': 'bad BCD in SCTS month', 'hex': G1['hex'].replace('62111201000000', '621A1201000000'), 'error': 'bad TP-SCTS'},
    {'name': 'address longer than 20 digits', 'hex': GSMS + '0019919700214365F7', 'error': 'TP-OA length 25 exceeds 20'},
]

json.dump({'vectors': gammu_vectors + public + hand, 'invalid': invalid}, sys.stdout, ensure_ascii=False, indent=2)
sys.stdout.write('\n')
