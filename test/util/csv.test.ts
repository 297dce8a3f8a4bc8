import { describe, it, expect } from 'vitest';
import { detectDelimiter, parseCsv, parseCsvRecords, parseRecipientsFile } from '../../src/util/csv.js';

describe('parseCsvRecords', () => {
  it('reads quoted fields, escaped quotes, delimiters and line breaks inside quotes', () => {
    const { records, errors } = parseCsvRecords('a,"b,c","say ""hi"""\r\n"multi\r\nline",x,""\r\n');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b,c', 'say "hi"'] },
      { line: 2, fields: ['multi\r\nline', 'x', ''] },
    ]);
  });

  it('numbers records by the physical line they start on, across blank lines and multi-line fields', () => {
    const { records } = parseCsvRecords('h\n\n"one\ntwo"\n\nlast');
    expect(records.map((r) => r.line)).toEqual([1, 3, 6]);
  });

  it('strips a BOM, accepts LF and bare CR, trims unquoted fields but not quoted ones', () => {
    const { records } = parseCsvRecords('\ufeffa , b\rc," d "\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', ' d '] },
    ]);
  });

  it('allows spaces before an opening quote', () => {
    expect(parseCsvRecords('a, "b,c"').records[0].fields).toEqual(['a', 'b,c']);
  });

  it('a stray quote inside an unquoted field is kept literally', () => {
    expect(parseCsvRecords('5"5,x').records[0].fields).toEqual(['5"5', 'x']);
  });

  it('text after a closing quote is an error for that line only', () => {
    const { records, errors } = parseCsvRecords('a,b\n"x"y,z\nc,d\n');
    expect(records.map((r) => r.fields)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(errors).toEqual([{ line: 2, message: 'unexpected "y" after the closing quote of column 1 (a quote inside a quoted field is written "")' }]);
  });

  it('an unterminated quote names the line it opened on and stops', () => {
    const { records, errors } = parseCsvRecords('a,b\nc,"oops\nd,e\n');
    expect(records).toEqual([{ line: 1, fields: ['a', 'b'] }]);
    expect(errors).toEqual([{ line: 2, message: 'unterminated quoted field in column 2 (opened on line 2); nothing after it was read' }]);
  });

  it('detects ; and tab delimiters from the first line', () => {
    expect(detectDelimiter('phone;code;login\n1,2;3')).toBe(';');
    expect(detectDelimiter('a\tb\n')).toBe('\t');
    expect(detectDelimiter('"a;b",c')).toBe(',');
    expect(detectDelimiter('+79001234567')).toBe(',');
    expect(parseCsvRecords('a;b\n1;"2;3"').records[1].fields).toEqual(['1', '2;3']);
  });
});

describe('parseCsv (with header)', () => {
  const required = ['phone', 'code'];

  it('keys records by lower-cased header names', () => {
    const t = parseCsv('Phone, CODE ,note\n+79001234567,1234,hi\n', { required });
    expect(t.header).toEqual(['phone', 'code', 'note']);
    expect(t.rows).toEqual([{ line: 2, record: { phone: '+79001234567', code: '1234', note: 'hi' } }]);
    expect(t.errors).toEqual([]);
  });

  it('reports wrong column counts per line and keeps the good lines', () => {
    const t = parseCsv('phone,code\n1,2\n3\n4,5,6\n7,8\n', { required });
    expect(t.rows.map((r) => r.line)).toEqual([2, 5]);
    expect(t.errors).toEqual([
      { line: 3, message: 'expected 2 columns (phone, code), found 1' },
      { line: 4, message: 'expected 2 columns (phone, code), found 3' },
    ]);
  });

  it('a missing required column is one error on the header line', () => {
    const t = parseCsv('phone,login\n1,2\n', { required: ['phone', 'code', 'password'] });
    expect(t.rows).toEqual([]);
    expect(t.errors).toEqual([{ line: 1, message: 'missing required columns "code", "password" (the header has: phone, login)' }]);
  });

  it('empty files and duplicate header names are errors', () => {
    expect(parseCsv('').errors).toEqual([{ line: 1, message: 'the file is empty: expected a header row' }]);
    expect(parseCsv('\n\n').errors[0].message).toMatch(/empty/);
    expect(parseCsv('phone,Phone\n').errors).toEqual([{ line: 1, message: 'the header names column "phone" twice' }]);
  });

  it('errors are sorted by line whatever stage found them', () => {
    const t = parseCsv('a,b\n1\n"x"y,2\n3,4', {});
    expect(t.errors.map((e) => e.line)).toEqual([2, 3]);
  });
});

describe('parseRecipientsFile', () => {
  it('one number per line, no header: normalises, removes and counts duplicates, reports bad lines', () => {
    const r = parseRecipientsFile('+79001234567\n8 900 123-45-67\n\n89001112233\nnot-a-number 1\n12\n');
    expect(r.phones).toEqual([
      { line: 1, phone: '+79001234567' },
      { line: 4, phone: '+79001112233' },
    ]);
    expect(r.duplicates).toBe(1);
    expect(r.errors.map((e) => e.line)).toEqual([5, 6]);
    expect(r.errors[0].message).toContain('"not-a-number 1"');
  });

  it('a header with a phone column among others (any case, ; delimiter)', () => {
    const r = parseRecipientsFile('\ufeffName;Телефон\nIvanov;+7 900 123 45 67\nPetrov;\nSidorov;79001234567\n');
    expect(r.phones).toEqual([{ line: 2, phone: '+79001234567' }]);
    expect(r.errors).toEqual([{ line: 3, message: 'the phone number is empty' }]);
    expect(r.duplicates).toBe(1);
  });

  it('a first line that is neither a number nor a known header is reported, the rest still read', () => {
    const r = parseRecipientsFile('numbers\n89001234567\n');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].line).toBe(1);
    expect(r.errors[0].message).toMatch(/neither a phone number nor a header with a phone column/);
    expect(r.phones).toEqual([{ line: 2, phone: '+79001234567' }]);
  });

  it('a multi-column header without a phone column reads nothing', () => {
    const r = parseRecipientsFile('name,contact\nIvanov,89001234567\n');
    expect(r.phones).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });

  it('extra columns without a header are errors per line', () => {
    const r = parseRecipientsFile('89001234567\n89001234568,x\n');
    expect(r.phones).toHaveLength(1);
    expect(r.errors).toEqual([{ line: 2, message: 'expected one phone number per line (or a header row with a phone column), found 2 columns' }]);
  });

  it('uses the national rule given', () => {
    const r = parseRecipientsFile('phone\n612 345 678\n', { country: 'ES' });
    expect(r.phones).toEqual([{ line: 2, phone: '+34612345678' }]);
  });
});
