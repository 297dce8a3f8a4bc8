/**
 * A small RFC 4180 CSV reader with per-line results, for `clients import` and mass-text recipient
 * files. Hand-written because no CSV package is installed (and none may be added): the job is
 * ~150 lines, and what matters here — every bad line reported by number while good lines go
 * through — is what generic parsers do least well.
 *
 * Accepted beyond RFC 4180 because spreadsheets produce it: a UTF-8 BOM, LF or bare CR line ends,
 * `;` or tab delimiters (auto-detected from the first line: Excel with a Russian or Spanish locale
 * writes `;`), blank lines (skipped), and spaces around fields (trimmed unless the field is quoted).
 */
import { normalizePhone, type PhoneOptions, type PhoneRule } from './phone.js';

export interface CsvLineError {
  /** 1-based physical line where the record starts. */
  line: number;
  message: string;
}

export interface CsvRecord {
  line: number;
  fields: string[];
}

export type CsvDelimiter = ',' | ';' | '\t';

/** Split text into records. A malformed record becomes an error and is left out; an unterminated quote ends the file. */
export function parseCsvRecords(
  text: string,
  opts: { delimiter?: CsvDelimiter } = {},
): { records: CsvRecord[]; errors: CsvLineError[]; delimiter: CsvDelimiter } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delim = opts.delimiter ?? detectDelimiter(text);
  const records: CsvRecord[] = [];
  const errors: CsvLineError[] = [];

  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = '';
  let quoted = false; // the current field was quoted: keep its spaces
  let afterQuote = false; // just past a closing quote: only spaces, a delimiter or a line end may follow
  let problem: string | undefined;

  const endField = () => {
    fields.push(quoted ? field : field.trim());
    field = '';
    quoted = false;
    afterQuote = false;
  };
  const endRecord = () => {
    const blank = fields.length === 0 && !quoted && field.trim() === '';
    endField();
    if (problem) errors.push({ line: recordLine, message: problem });
    else if (!blank) records.push({ line: recordLine, fields });
    fields = [];
    problem = undefined;
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      recordLine = ++line;
      continue;
    }
    if (c === delim) {
      endField();
      i++;
      continue;
    }
    if (afterQuote) {
      if (c !== ' ' && c !== '\t' && !problem) {
        problem = `unexpected ${JSON.stringify(c)} after the closing quote of column ${fields.length + 1} (a quote inside a quoted field is written "")`;
      }
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '' && !quoted) {
      // A quoted field: read to the closing quote, across line ends, "" meaning one quote.
      const openedOn = line;
      field = '';
      i++;
      for (;;) {
        if (i >= text.length) {
          errors.push({ line: openedOn, message: `unterminated quoted field in column ${fields.length + 1} (opened on line ${openedOn}); nothing after it was read` });
          return { records, errors, delimiter: delim };
        }
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n' || (q === '\r' && text[i + 1] !== '\n')) line++;
        field += q;
        i++;
      }
      quoted = true;
      afterQuote = true;
      continue;
    }
    // An unquoted run up to the next delimiter, line end or quote, taken as one slice: a
    // character at a time, a 100k-line recipients file made ~50 MB of short-lived strings.
    let j = i + 1;
    while (j < text.length) {
      const d = text[j];
      if (d === delim || d === '\n' || d === '\r' || d === '"') break;
      j++;
    }
    field += text.slice(i, j);
    i = j;
  }
  if (fields.length > 0 || field !== '' || quoted) endRecord();
  return { records, errors, delimiter: delim };
}

/** The most frequent of `,` `;` tab on the first line (outside quotes); `,` when none. */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts: Record<CsvDelimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let inQuotes = false;
  for (const c of text) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) break;
    else if (!inQuotes && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  let best: CsvDelimiter = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

export interface CsvTable {
  /** Column names from the header row, trimmed and lower-cased. */
  header: string[];
  rows: { line: number; record: Record<string, string> }[];
  errors: CsvLineError[];
}

/**
 * Parse CSV with a header row into records keyed by lower-cased column name. Every row must have
 * as many fields as the header. Columns not in `required` are passed through (extra spreadsheet
 * columns are harmless). A missing required column is one error on the header line and no rows.
 */
export function parseCsv(text: string, opts: { required?: string[]; delimiter?: CsvDelimiter } = {}): CsvTable {
  const { records, errors } = parseCsvRecords(text, opts);
  const first = records.shift();
  if (!first) {
    if (errors.length === 0) errors.push({ line: 1, message: 'the file is empty: expected a header row' });
    return { header: [], rows: [], errors };
  }
  const header = first.fields.map((h) => h.trim().toLowerCase());
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') return fail(header, first.line, 'the header has an empty column name', errors);
    if (seen.has(h)) return fail(header, first.line, `the header names column "${h}" twice`, errors);
    seen.add(h);
  }
  const missing = (opts.required ?? []).filter((r) => !seen.has(r.toLowerCase()));
  if (missing.length > 0) {
    return fail(header, first.line, `missing required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (the header has: ${header.join(', ')})`, errors);
  }
  const rows: CsvTable['rows'] = [];
  for (const r of records) {
    if (r.fields.length !== header.length) {
      errors.push({ line: r.line, message: `expected ${header.length} columns (${header.join(', ')}), found ${r.fields.length}` });
      continue;
    }
    const record: Record<string, string> = {};
    header.forEach((h, k) => (record[h] = r.fields[k]));
    rows.push({ line: r.line, record });
  }
  errors.sort((a, b) => a.line - b.line);
  return { header, rows, errors };
}

function fail(header: string[], line: number, message: string, errors: CsvLineError[]): CsvTable {
  errors.unshift({ line, message });
  return { header, rows: [], errors };
}

/** Header names accepted for the phone column of a recipients file. */
export const PHONE_COLUMNS = ['phone', 'number', 'msisdn', 'mobile', 'tel', 'telephone', 'móvil', 'мобильный', 'телефон', 'номер', 'teléfono', 'telefono', 'número', 'numero'];

export interface RecipientsResult {
  /** Valid numbers in E.164, first occurrence of each, in file order. */
  phones: { line: number; phone: string }[];
  errors: CsvLineError[];
  /** Numbers left out because an earlier line had the same number (after normalisation). */
  duplicates: number;
}

/**
 * A mass-text recipients file: CSV with a header naming a phone column (see PHONE_COLUMNS), or
 * one number per line with no header. Numbers are normalised with the national rule; invalid ones
 * are errors with their line; repeats are removed and counted.
 */
export function parseRecipientsFile(text: string, rule: PhoneOptions | PhoneRule = {}): RecipientsResult {
  const { records, errors } = parseCsvRecords(text);
  const phones: RecipientsResult['phones'] = [];
  const seen = new Set<string>();
  let duplicates = 0;

  let column = 0;
  let width = 1;
  const first = records[0];
  if (first) {
    const names = first.fields.map((f) => f.trim().toLowerCase());
    const idx = names.findIndex((n) => PHONE_COLUMNS.includes(n));
    if (idx >= 0) {
      column = idx;
      width = names.length;
      records.shift();
    } else if (first.fields.length > 1 || /\p{L}/u.test(first.fields[0])) {
      // Looks like a header without a phone column: say so once, then read the rest as numbers.
      errors.push({
        line: first.line,
        message: `${JSON.stringify(first.fields.join(','))} is neither a phone number nor a header with a phone column (one of: ${PHONE_COLUMNS.slice(0, 4).join(', ')}, …)`,
      });
      records.shift();
      // Several columns but none is the phone: there is no way to tell which one to use.
      if (first.fields.length > 1) return { phones, errors: errors.sort((a, b) => a.line - b.line), duplicates };
    }
  }

  for (const r of records) {
    if (r.fields.length !== width) {
      errors.push({
        line: r.line,
        message: width === 1 ? `expected one phone number per line (or a header row with a phone column), found ${r.fields.length} columns` : `expected ${width} columns, found ${r.fields.length}`,
      });
      continue;
    }
    const raw = r.fields[column];
    if (raw.trim() === '') {
      errors.push({ line: r.line, message: 'the phone number is empty' });
      continue;
    }
    let phone: string;
    try {
      phone = normalizePhone(raw, rule);
    } catch (e) {
      errors.push({ line: r.line, message: (e as Error).message });
      continue;
    }
    if (seen.has(phone)) {
      duplicates++;
      continue;
    }
    seen.add(phone);
    phones.push({ line: r.line, phone });
  }
  errors.sort((a, b) => a.line - b.line);
  return { phones, errors, duplicates };
}
