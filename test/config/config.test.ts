import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig, modemSpecs, validateConfig, type Config } from '../../src/config/config.js';

describe('config', () => {
  it('names an unknown key and lists the known ones', () => {
    expect(() => validateConfig({ devcie: '/dev/ttyUSB0' }, 'cfg.json')).toThrow(/unknown key "devcie" \(known keys: device, baudRate/);
    expect(() => validateConfig({ queue: { massPerMin: 5 } }, 'cfg.json')).toThrow(/unknown key "queue.massPerMin" \(known keys under "queue": massPerMinute/);
  });

  it('names the key and the expected form for a wrong type or range', () => {
    expect(() => validateConfig({ baudRate: '115200' })).toThrow(/"baudRate" must be a whole number from 300 to 4000000, got "115200"/);
    expect(() => validateConfig({ language: 'de' })).toThrow(/"language" must be one of "en", "es", "ru"/);
    expect(() => validateConfig({ http: { port: 70000 } })).toThrow(ConfigError);
    expect(() => validateConfig({ templates: { ack: 5 } })).toThrow(/"templates.ack" must be a string/);
  });

  it('layers defaults, file and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ language: 'es', queue: { massPerMinute: 6 } }));
    const cfg = loadConfig({ dataDir: dir, overrides: { baudRate: 9600 } });
    expect(cfg.language).toBe('es');
    expect(cfg.queue.massPerMinute).toBe(6);
    expect(cfg.queue.maxAttempts).toBe(DEFAULTS.queue.maxAttempts);
    expect(cfg.baudRate).toBe(9600);
    expect(cfg.dataDir).toBe(dir);
  });

  it('delivery reports: on by default for 72 h; the keys are checked', () => {
    expect(DEFAULTS.queue.deliveryReports).toBe(true);
    expect(DEFAULTS.queue.deliveryReportHours).toBe(72);
    expect(validateConfig({ queue: { deliveryReports: false, deliveryReportHours: 24 } })).toEqual({ queue: { deliveryReports: false, deliveryReportHours: 24 } });
    expect(() => validateConfig({ queue: { deliveryReports: 'yes' } })).toThrow(/"queue.deliveryReports" must be true or false, got "yes"/);
    expect(() => validateConfig({ queue: { deliveryReportHours: 0 } })).toThrow(/"queue.deliveryReportHours" must be a whole number from 1 to 720/);
  });

  it('web and chat: the issue-12 defaults, fractions of minutes, nested limits merged, bad keys named', () => {
    expect(DEFAULTS.web).toEqual({ enabled: false, host: '127.0.0.1', port: 8081, trustProxy: false });
    expect(DEFAULTS.chat).toMatchObject({ maxLength: 150, sessionMinutes: 5, template: '{name} (web): {text}', captcha: 'pow' });
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ web: { enabled: true, trustProxy: true }, chat: { sessionMinutes: 0.25, allowedPrefixes: ['+7900', '+34'], limits: { perIpPerHour: 3 } } }),
    );
    const cfg = loadConfig({ dataDir: dir });
    expect(cfg.web).toEqual({ enabled: true, host: '127.0.0.1', port: 8081, trustProxy: true });
    expect(cfg.chat.sessionMinutes).toBe(0.25);
    expect(cfg.chat.allowedPrefixes).toEqual(['+7900', '+34']);
    expect(cfg.chat.limits.perIpPerHour).toBe(3);
    expect(cfg.chat.limits.perDestinationPerDay).toBe(DEFAULTS.chat.limits.perDestinationPerDay);
    expect(() => validateConfig({ chat: { sessionMinutes: 0 } })).toThrow(/"chat.sessionMinutes" must be a number from 0.05 to 1440, got 0/);
    expect(() => validateConfig({ chat: { captcha: 'none' } })).toThrow(/"chat.captcha" must be one of "pow", "off"/);
    expect(() => validateConfig({ chat: { allowedPrefixes: ['7900'] } })).toThrow(/"chat.allowedPrefixes\[0\]" must be like \["\+7900", "\+34"\], got "7900"/);
    expect(() => validateConfig({ chat: { allowedPrefixes: '+7900' } })).toThrow(/"chat.allowedPrefixes" must be a list of strings/);
    expect(() => validateConfig({ chat: { limits: { perIP: 3 } } })).toThrow(/unknown key "chat.limits.perIP" \(known keys under "chat.limits": perIpPerHour/);
    expect(() => validateConfig({ web: { trustproxy: true } })).toThrow(/unknown key "web.trustproxy"/);
  });

  it('reports a broken JSON file with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{"device": ');
    expect(() => loadConfig({ dataDir: dir, configFile: f })).toThrow(new RegExp(`config file ${f} is not valid JSON`));
  });

  it('refuses an enabled HTTP API without a token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const saved = process.env.SMS_SERVER_HTTP_TOKEN;
    delete process.env.SMS_SERVER_HTTP_TOKEN;
    try {
      expect(() => loadConfig({ dataDir: dir, overrides: { http: { ...DEFAULTS.http, enabled: true } } })).toThrow(/no "http.token"/);
    } finally {
      if (saved !== undefined) process.env.SMS_SERVER_HTTP_TOKEN = saved;
    }
  });

  it('store: lowdb by default; postgres needs a postgres:// URL; unknown keys and kinds are refused; the URL is not echoed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const st = (s: Partial<Config['store']>) => s as Config['store'];
    expect(loadConfig({ dataDir: dir }).store).toEqual({ kind: 'lowdb', leaseSeconds: 120, heartbeatSeconds: 10 });
    const url = 'postgres://sms:s3cret@db.example:5432/sms';
    expect(loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'postgres', url, host: 'h1' }) } }).store).toEqual({ kind: 'postgres', url, host: 'h1', leaseSeconds: 120, heartbeatSeconds: 10 });
    expect(() => validateConfig({ store: { kind: 'postgres', uri: url } }, 'cfg.json')).toThrow(/unknown key "store.uri" \(known keys under "store": kind, url, host, leaseSeconds, heartbeatSeconds\)/);
    expect(() => validateConfig({ store: { kind: 'mysql' } })).toThrow(/"store.kind" must be one of "lowdb", "postgres"/);
    expect(() => validateConfig({ store: { leaseSeconds: 1 } })).toThrow(/"store.leaseSeconds"/);
    expect(() => loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'postgres' }) } })).toThrow(/no "store.url"/);
    expect(() => loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'postgres', url, host: 'a b' }) } })).toThrow(/"store.host" must be/);
    expect(() => loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'lowdb', url }) } })).toThrow(/"store.kind" is "lowdb"/);
    const bad = () => loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'postgres', url: 'mysql://root:s3cret@h/db' }) } });
    expect(bad).toThrow(/must start with postgres:\/\/ or postgresql:\/\//);
    expect(bad).not.toThrow(/s3cret/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ store: { kind: 'postgres', url } }));
    // `serve --store lowdb` over a file naming PostgreSQL: back to the files, the URL dropped.
    expect(loadConfig({ dataDir: dir, overrides: { store: st({ kind: 'lowdb', url: undefined }) } }).store.kind).toBe('lowdb');
  });

  it('accounts settings: routing and forward defaults; smtp needs host and from, a user needs a pass; bad keys are named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const d = loadConfig({ dataDir: dir });
    expect(d.routing.lastSenderDays).toBe(14);
    expect(d.forward).toEqual({ timeoutSeconds: 15, concurrency: 4 });
    expect(d.smtp).toBeUndefined();
    expect(d.modem.number).toBeUndefined();

    const file = (o: unknown) => {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(o));
      return loadConfig({ dataDir: dir });
    };
    const c = file({ smtp: { host: 'mail.example.com', from: 'sms@example.com', user: 'u', pass: 'p' }, routing: { lastSenderDays: 7 }, modem: { number: '+79990000001' } });
    expect(c.smtp).toEqual({ host: 'mail.example.com', from: 'sms@example.com', user: 'u', pass: 'p', secure: false, port: 587 });
    expect(file({ smtp: { host: 'h', from: 'f@x.y', port: 465 } }).smtp).toMatchObject({ secure: true, port: 465 });
    expect(c.routing.lastSenderDays).toBe(7);
    expect(c.modem.number).toBe('+79990000001');
    expect(c.forward.concurrency).toBe(4);
    expect(() => file({ smtp: { host: 'mail.example.com' } })).toThrow(/"smtp.from" is required when "smtp" is set/);
    expect(() => file({ smtp: { host: 'h', from: 'f', user: 'u' } })).toThrow(/"smtp.pass" is required when "smtp.user" is set/);
    expect(() => validateConfig({ smtp: { host: 'h', from: 'f', tls: true } })).toThrow(/unknown key "smtp.tls"/);
    expect(() => validateConfig({ routing: { lastSenderDays: 0 } })).toThrow(/"routing.lastSenderDays" must be a whole number from 1 to 365/);
    expect(() => validateConfig({ forward: { timeoutSeconds: 'fast' } })).toThrow(/"forward.timeoutSeconds"/);
  });
});

describe('config: modems and pool', () => {
  const load = (file: Record<string, unknown>, overrides: Record<string, unknown> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(file));
    return loadConfig({ dataDir: dir, overrides });
  };
  const two = [
    { id: 'm1', device: '/dev/serial/by-id/usb-A', number: '8 999 000-00-01', dailyCap: 300 },
    { id: 'm2', device: '/dev/serial/by-id/usb-B', profile: 'huawei', massPerMinute: 6, pin: '1234' },
  ];

  it('lists every modem with defaults applied: profile, rate and baud from the top level, the number in E.164', () => {
    const cfg = load({ profile: 'sim800', queue: { massPerMinute: 8 }, modems: two, pool: { pinnedWaitMinutes: 0.5, pinnedFallback: 'any' } });
    expect(modemSpecs(cfg)).toEqual([
      { id: 'm1', device: '/dev/serial/by-id/usb-A', profile: 'sim800', number: '+79990000001', massPerMinute: 8, dailyCap: 300, baudRate: 115200 },
      { id: 'm2', device: '/dev/serial/by-id/usb-B', profile: 'huawei', pin: '1234', massPerMinute: 6, baudRate: 115200 },
    ]);
    expect(cfg.pool).toEqual({ pinnedWaitMinutes: 0.5, pinnedFallback: 'any' });
    expect(DEFAULTS.pool).toEqual({ pinnedWaitMinutes: 10, pinnedFallback: 'wait' });
  });

  it('keeps the old top-level device as the one modem "default" (its number from modem.number; no PIN handed to pool modems)', () => {
    expect(modemSpecs(load({ device: '/dev/ttyUSB0', pin: '0000', modem: { number: '+79990000009' } }))).toEqual([
      { id: 'default', device: '/dev/ttyUSB0', profile: 'auto', pin: '0000', number: '+79990000009', massPerMinute: 10, baudRate: 115200 },
    ]);
    expect(modemSpecs(load({}))).toEqual([]);
    expect(modemSpecs(load({ pin: '0000', modems: [two[0]] }))[0]!.pin).toBeUndefined();
  });

  it('refuses a pool that cannot work, naming the entry', () => {
    expect(() => load({ device: '/dev/ttyUSB0', modems: two })).toThrow(/"device" and "modems" are both set/);
    expect(() => load({ modems: two }, { device: '/dev/ttyUSB9' })).toThrow(/"device" and "modems" are both set/);
    expect(() => load({ modems: [] })).toThrow(/"modems" is empty/);
    expect(() => load({ modems: [two[0], { ...two[1], id: 'm1' }] })).toThrow(/"modems\[1\]\.id" "m1" is already used by modems\[0\]/);
    expect(() => load({ modems: [two[0], { ...two[1], device: two[0]!.device }] })).toThrow(/"modems\[1\]\.device" .* is already used by modems\[0\]/);
    expect(() => load({ modems: [two[0], { ...two[1], number: '+79990000001' }] })).toThrow(/"modems\[1\]\.number" "\+79990000001" is already used/);
    expect(() => load({ modems: [{ ...two[0], id: 'm 1' }] })).toThrow(/"modems\[0\]\.id" must be 1–32 letters, digits/);
    expect(() => load({ modems: [{ id: 'm1' }] })).toThrow(/"modems\[0\]\.device" is required/);
    expect(() => load({ modems: [{ ...two[0], number: 'twelve' }] })).toThrow(/"modems\[0\]\.number": /);
    expect(() => load({ modems: two, modem: { number: '+79990000001' } })).toThrow(/"modem.number" is for the one modem/);
    expect(() => load({ modems: [{ ...two[0], speed: 9600 }] })).toThrow(/unknown key "modems\[0\]\.speed" \(known keys under "modems\[0\]": id, device, profile, pin, number, massPerMinute, dailyCap, baudRate\)/);
    expect(() => load({ modems: [{ ...two[0], dailyCap: 0 }] })).toThrow(/"modems\[0\]\.dailyCap" must be a whole number from 1/);
    expect(() => load({ modems: { id: 'm1' } })).toThrow(/"modems" must be a list of an object with keys id, device/);
    expect(() => load({ pool: { pinnedFallback: 'later' } })).toThrow(/"pool.pinnedFallback" must be one of "wait", "any"/);
    expect(() => load({ pool: { pinnedWaitMinutes: -1 } })).toThrow(ConfigError);
  });
});
