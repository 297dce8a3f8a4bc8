/**
 * docs/operations.md's install, as written (issue 9 item 11): `npm pack`, `npm install -g` of the
 * package file (into a temp prefix standing in for /usr/local), and the unit file's paths:
 * `ExecStart=` names the installed binary and `Documentation=` a file that exists; `DeviceAllow=`
 * covers the serial port kinds the docs promise (a SIM800 on a Raspberry Pi UART included).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildDist } from '../faults/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'sms-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('npm pack + npm install -g gives the binary and the documentation the unit file names', () => {
  buildDist();
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' })) as { filename: string }[];
  const prefix = join(tmp, 'usr-local');
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tmp, packed!.filename)], { cwd: tmp, stdio: 'pipe', timeout: 240_000 });
  expect(execFileSync(join(prefix, 'bin', 'sms-server'), ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);

  const unit = readFileSync(join(ROOT, 'scripts/systemd/sms-server.service'), 'utf8');
  const onHost = (p: string) => p.replace(/^\/usr\/local/, prefix);
  const execStart = /^ExecStart=(\S+)/m.exec(unit)![1]!;
  expect(existsSync(onHost(execStart)), execStart).toBe(true);
  const doc = /^Documentation=file:\/\/(\S+)/m.exec(unit)![1]!;
  expect(existsSync(onHost(doc)), doc).toBe(true);
  const devices = [...unit.matchAll(/^DeviceAllow=char-(\w+) rw$/gm)].map((m) => m[1]);
  expect(devices).toEqual(expect.arrayContaining(['ttyUSB', 'ttyACM', 'ttyS', 'ttyAMA']));
  expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
}, 300_000);
