/**
 * `selfservice verify|status|unlock|deactivate` (seed 003). Codes are typed by the operator on a
 * subscriber's behalf or by scripts; the code itself is never printed or logged.
 * verify exits 0 ok, 1 wrong code, 3 locked, 4 not activated (the issue's contract).
 */
import type { Command } from 'commander';
import { toStatus, type SelfServiceStatus, type VerifyResult } from '../selfservice/index.js';
import { normalizePhone } from '../util/phone.js';
import { action, applyOp, cliConfig, openReadOnly, printJson, UsageError } from './common.js';

const EXIT = { wrong: 1, locked: 3, notActivated: 4 } as const;

function printStatus(s: SelfServiceStatus, json?: boolean): void {
  if (json) return printJson(s);
  const lines = [
    `phone:        ${s.phone}`,
    `activated:    ${s.activated ? `yes (${s.activatedAt})` : 'no'}`,
    `code:         ${s.hasCode ? `issued ${s.codeIssuedAt}` : 'none'}`,
    `failures:     ${s.failures}`,
    `locked until: ${s.lockedUntil ?? '-'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerSelfService(program: Command): void {
  const ss = program.command('selfservice').description('self-service access codes (activation keyword, code by SMS, lock after wrong codes)');
  const common = (c: Command) => c.option('--data <dir>', 'data folder').option('--config <file>', 'config file');

  common(
    ss
      .command('verify')
      .description('check a code: exit 0 ok, 1 wrong, 3 locked, 4 not activated')
      .requiredOption('--phone <number>', 'the subscriber\'s number')
      .requiredOption('--code <digits>', 'the code the subscriber received')
      .option('--json', 'print JSON'),
  ).action(
    action(async (o: { phone: string; code: string; json?: boolean; data?: string; config?: string }) => {
      if (!/^\d{1,32}$/.test(o.code.trim())) throw new UsageError('--code must be the digits the subscriber received');
      const cfg = cliConfig(o);
      const phone = normalizePhone(o.phone, { country: cfg.country });
      const { result } = await applyOp<VerifyResult>(cfg, 'selfservice.verify', { phone, code: o.code.trim() });
      if (o.json) printJson(result);
      if (result.ok) {
        if (!o.json) process.stdout.write(`code accepted for ${phone}\n`);
        return;
      }
      if ('lockedUntil' in result) {
        if (!o.json) process.stderr.write(`locked until ${result.lockedUntil}\n`);
        process.exitCode = EXIT.locked;
      } else if ('error' in result) {
        if (!o.json) process.stderr.write(`self-service is not activated for ${phone}\n`);
        process.exitCode = EXIT.notActivated;
      } else {
        if (!o.json) process.stderr.write(`wrong code: ${result.attemptsLeft} attempt(s) left before the lock\n`);
        process.exitCode = EXIT.wrong;
      }
    }),
  );

  common(ss.command('status').description('show a number\'s self-service state (never the code)').requiredOption('--phone <number>', 'the subscriber\'s number').option('--json', 'print JSON')).action(
    action(async (o: { phone: string; json?: boolean; data?: string; config?: string }) => {
      const cfg = cliConfig(o);
      const phone = normalizePhone(o.phone, { country: cfg.country });
      const store = await openReadOnly(cfg);
      try {
        const r = await store.getSelfService(phone);
        printStatus(r ? toStatus(r, Date.now()) : { phone, activated: false, activatedAt: null, hasCode: false, codeIssuedAt: null, failures: 0, lockedUntil: null }, o.json);
      } finally {
        await store.close();
      }
    }),
  );

  for (const [name, op, what] of [
    ['unlock', 'selfservice.unlock', 'lift a lock and clear the wrong-code count'],
    ['deactivate', 'selfservice.deactivate', 'turn self-service off for a number (activation and code dropped)'],
  ] as const) {
    common(ss.command(name).description(what).requiredOption('--phone <number>', 'the subscriber\'s number').option('--json', 'print JSON')).action(
      action(async (o: { phone: string; json?: boolean; data?: string; config?: string }) => {
        const cfg = cliConfig(o);
        const phone = normalizePhone(o.phone, { country: cfg.country });
        const { result } = await applyOp<SelfServiceStatus>(cfg, op, { phone });
        printStatus(result, o.json);
      }),
    );
  }
}
