/**
 * Bad input at the edges, through the real built CLI (`node dist/cli/main.js`): every mistake a
 * user can make ends with one specific line on stderr naming the flag, key or line — and a
 * non-zero exit — and changes nothing else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, CLI } from './helpers.js';

let dir: string;
beforeAll(() => {
  buildDist();
  dir = mkdtempSync(join(tmpdir(), 'sms-badinput-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function outboxCount(): number {
  const r = cli(['outbox', '--json', '--limit', '1000', '--data', dir]);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

describe('bad CLI arguments', () => {
  const cases: [string, string[], RegExp][] = [
    ['inbox --limit abc', ['inbox', '--limit', 'abc'], /--limit must be a whole number, got "abc"/],
    ['inbox --limit 0', ['inbox', '--limit', '0'], /--limit must be from 1/],
    ['inbox --since nonsense', ['inbox', '--since', 'yesterdayish'], /--since must be a date.*"yesterdayish"/],
    ['outbox --status bogus', ['outbox', '--status', 'bogus'], /--status must be one of .*"bogus"/],
    ['serve --baud 12', ['serve', '--device', '/nonexistent', '--baud', '12'], /--baud must be from 300/],
    ['send without --text', ['send', '--to', '+79001234567'], /required option '--text/],
    ['send --to 12ab', ['send', '--to', '12ab', '--text', 'hi'], /12ab.*contains characters other than digits/],
    ['send --to 123', ['send', '--to', '123', '--text', 'hi'], /"123"/],
    ['clients add with a bad phone', ['clients', 'add', '--phone', '12x', '--code', '1', '--login', 'a', '--password', 'b'], /invalid phone number "12x"/],
    ['clients add --opt-in maybe', ['clients', 'add', '--phone', '+79001234567', '--code', '1', '--login', 'a', '--password', 'b', '--opt-in', 'maybe'], /--opt-in/],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['serve --profile bogus', ['serve', '--device', '/dev/null', '--profile', 'bogus'], /unknown modem profile "bogus" \(known: generic, huawei/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: specific message, non-zero exit, nothing queued`, () => {
      const r = cli([...args, '--data', dir]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
      // One clear line, not a stack trace.
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(outboxCount()).toBe(0);
    });
  }
});

describe('bad config files', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown top-level key', { bogus: 1 }, /unknown key "bogus"/],
    ['unknown nested key (typo)', { modem: { idleProbe: 5 } }, /unknown key "modem.idleProbe" \(known keys under "modem": idleProbeSeconds/],
    ['wrong type', { queue: { maxAttempts: '5' } }, /"queue.maxAttempts" must be a whole number from 1 to 100, got "5"/],
    ['out of range', { baudRate: 7 }, /"baudRate" must be a whole number from 300/],
    ['not one of', { language: 'fr' }, /"language" must be one of "en", "es", "ru", got "fr"/],
    ['http without token', { http: { enabled: true } }, /"http.enabled" is true but no "http.token"/],
  ];
  for (const [name, content, message] of cases) {
    it(`${name}: names the key and the expected form, exit 2`, () => {
      const file = join(dir, `cfg-${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(content));
      const r = cli(['serve', '--device', '/nonexistent', '--data', dir, '--config', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(name === 'http without token' ? 'http.token' : file);
    });
  }

  it('a config file that is not JSON: says so, with the file and position', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"queue": {');
    const r = cli(['serve', '--device', '/nonexistent', '--data', dir, '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`config file ${file.replace(/[/.]/g, '\\$&')} is not valid JSON`));
  });
});

describe('broken CSV for a mass text', () => {
  const csv = ['phone,name', '+79001234567,Ivan', '12ab,Bad number', '"+7900123,"unclosed quote', '+79001234568,Ok', ''].join('\n');

  it('--strict: every bad line named by number, nothing queued, non-zero exit', () => {
    const file = join(dir, 'broken.csv');
    writeFileSync(file, csv);
    const r = cli(['mass', '--file', file, '--text', 'hi', '--strict', '--data', dir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`broken\\.csv:3: invalid phone number "12ab"`));
    expect(r.stderr).toMatch(/broken\.csv:4: .*quote/);
    expect(r.stderr).toMatch(/2 bad line\(s\); --strict queues nothing/);
    expect(outboxCount()).toBe(0);
  });

  it('without --strict: the good lines are queued, each bad line is reported on stderr by number', () => {
    const file = join(dir, 'broken2.csv');
    writeFileSync(file, csv);
    const r = cli(['mass', '--file', file, '--text', 'hi', '--data', dir]);
    expect(r.stdout).toMatch(/2 queued, .*2 bad line\(s\)/);
    expect(r.stderr).toMatch(/broken2\.csv:3: .*\(skipped\)/);
    expect(r.stderr).toMatch(/broken2\.csv:4: .*\(skipped\)/);
    expect(outboxCount()).toBe(2);
  });

  it('a file with no usable recipient at all is an error', () => {
    const file = join(dir, 'allbad.csv');
    writeFileSync(file, 'phone\n12ab\nnope\n');
    const before = outboxCount();
    const r = cli(['mass', '--file', file, '--text', 'hi', '--data', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/allbad\.csv:2: invalid phone number "12ab"/);
    expect(r.stderr).toMatch(/allbad\.csv:3: .*"nope"/);
    expect(r.stderr).toMatch(/no valid recipient \(2 bad line\(s\)\); nothing queued/);
    expect(outboxCount()).toBe(before);
  });
});
