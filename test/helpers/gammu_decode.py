#!/usr/bin/python3
"""Decode PDUs with Debian's python3-gammu, as an independent reference for our codec.

stdin:  {"pdus": ["00...", ...], "smsc": true}
stdout: {"parts": [{...} | {"error": "..."}], "messages": [{"text": ..., "parts": n, "number": ...}]}

Run in a subprocess: gammu aborts the whole process on some invalid PDUs.
python-gammu's DecodePDU leaves uninitialised characters after the text (its Text has UDL
characters even when escapes made it shorter); LinkSMS renormalises it, so texts come from there.
"""
import json
import sys

import gammu


def part_info(d):
    udh = d.get('UDH') or {}
    dt = d.get('DateTime')
    return {
        'type': d.get('Type'),
        'number': d.get('Number'),
        'smsc': (d.get('SMSC') or {}).get('Number'),
        'validity': (d.get('SMSC') or {}).get('Validity'),
        'coding': d.get('Coding'),
        'class': d.get('Class'),
        'udhType': udh.get('Type'),
        'udhHex': (udh.get('Text') or b'').hex(),
        'id8': udh.get('ID8bit'),
        'id16': udh.get('ID16bit'),
        'part': udh.get('PartNumber'),
        'allParts': udh.get('AllParts'),
        'length': d.get('Length'),
        'dateTime': dt.isoformat() if dt else None,
        'deliveryStatus': d.get('DeliveryStatus'),
        'messageReference': d.get('MessageReference'),
        'rawText': d.get('Text') if isinstance(d.get('Text'), str) else None,
    }


def main():
    req = json.load(sys.stdin)
    smsc = bool(req.get('smsc', True))
    decoded, parts = [], []
    for h in req['pdus']:
        try:
            d = gammu.DecodePDU(bytes.fromhex(h), SMSC=smsc)
            decoded.append(d)
            parts.append(part_info(d))
        except Exception as e:  # gammu.GSMError subclasses
            parts.append({'error': repr(e)})
    messages = []
    if decoded:
        for linked in gammu.LinkSMS([[d] for d in decoded]):
            info = gammu.DecodeSMS(linked)
            if info and info.get('Entries') and info['Entries'][0].get('Buffer') is not None:
                text = info['Entries'][0]['Buffer']
            else:
                text = ''.join(p['Text'] for p in linked)
            messages.append({
                'text': text,
                'parts': len(linked),
                'number': linked[0].get('Number'),
                'partTexts': [p['Text'] for p in linked],
            })
    # ASCII escapes: rawText's uninitialised tail can hold a lone surrogate that UTF-8 cannot
    # encode (it crashed the dump now and then); JSON.parse takes \udXXX escapes as they are.
    json.dump({'parts': parts, 'messages': messages}, sys.stdout, ensure_ascii=True)


if __name__ == '__main__':
    main()
