/**
 * Every vector in test/fixtures/pdu-vectors.json (made by gammu, public examples, hand-built
 * variants checked against gammu) decodes to its recorded expectations; every invalid one fails
 * with a PduDecodeError naming the reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePdu, PduDecodeError } from '../../src/sms/index.js';

interface Vector { name: string; hex: string; source: string; smscPrefix?: boolean; expect: Record<string, unknown> }
interface Invalid { name: string; hex: string; error: string }
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/pdu-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
  invalid: Invalid[];
};

describe('pdu-vectors.json', () => {
  it('has at least 40 vectors, each with a source', () => {
    expect(fixtures.vectors.length).toBeGreaterThanOrEqual(40);
    for (const v of fixtures.vectors) expect(v.source, v.name).toMatch(/\S{5,}/);
    expect(fixtures.vectors.filter((v) => v.source.startsWith('gammu')).length).toBeGreaterThanOrEqual(15);
  });

  it('covers the cases the codec must handle', () => {
    const all = fixtures.vectors.map((v) => JSON.stringify(v.expect)).join('\n');
    for (const needle of ['"refBits":16', '"refBits":8', '"alphanumeric"', '"status-report"', '"messageClass":0', '"8bit"', '+05:30', '-03:30', '+00:00', '😀', 'Привет']) {
      expect(all, needle).toContain(needle.replace('"alphanumeric"', 'SCSERV'));
    }
    expect(fixtures.vectors.some((v) => /(FF){4,}$/.test(v.hex))).toBe(true);
    expect(fixtures.vectors.some((v) => v.hex === v.hex.toLowerCase())).toBe(true);
  });

  for (const v of fixtures.vectors) {
    it(`decodes: ${v.name}`, () => {
      const d = decodePdu(v.hex, v.smscPrefix === undefined ? {} : { smscPrefix: v.smscPrefix });
      expect(d).toMatchObject(v.expect);
    });
  }

  for (const v of fixtures.invalid) {
    it(`rejects: ${v.name}`, () => {
      let err: unknown;
      try {
        decodePdu(v.hex);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PduDecodeError);
      const e = err as PduDecodeError;
      expect(e.code).toBe('PDU_DECODE');
      expect(e.pdu).toBe(v.hex);
      expect(e.message).toContain(v.error);
    });
  }
});
