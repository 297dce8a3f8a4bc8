/** `clients add|list|remove|import`. Passwords are hidden unless --show-passwords. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { listClients, type ImportResult } from '../commands/index.js';
import { loadKey } from '../util/secret.js';
import { decodeText, TextEncodingError } from '../util/text-encoding.js';
import { action, applyOp, cliConfig, openReadOnly, printJson, UsageError } from './common.js';
import { passwordFromPrompt, passwordFromStdin } from './password-input.js';
import { renderTable } from './table.js';

function parseBool(name: string) {
  return (v: string): boolean => {
    if (/^(true|yes|1|on)$/i.test(v)) return true;
    if (/^(false|no|0|off)$/i.test(v)) return false;
    throw new UsageError(`${name} must be true or false, got "${v}"`);
  };
}

export function registerClients(program: Command): void {
  const clients = program.command('clients').description('manage the registered clients (CLIENT info answers them)');

  clients
    .command('add')
    .description('add a client (or replace one with --force)')
    .requiredOption('--phone <e164>', 'the client\'s registered number, e.g. +79001234567 or 8 900 123-45-67')
    .requiredOption('--code <code>', 'personal code')
    .requiredOption('--login <login>', 'portal login')
    .option('--password-stdin', 'read the portal password from stdin (stored encrypted)')
    .option('--password <password>', 'the portal password on the command line: visible to every local user in `ps`; prefer --password-stdin or the prompt')
    .option('--opt-in <bool>', 'receives notifications and mass texts (default true)', parseBool('--opt-in'))
    .option('--force', 'replace an existing client with this phone')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: { phone: string; code: string; login: string; password?: string; passwordStdin?: boolean; optIn?: boolean; force?: boolean; json?: boolean; data?: string; config?: string }) => {
        if (o.password !== undefined && o.passwordStdin) throw new UsageError('--password and --password-stdin are exclusive');
        const cfg = cliConfig(o);
        const password = o.password ?? (o.passwordStdin ? await passwordFromStdin() : await passwordFromPrompt());
        const { via, result } = await applyOp<{ phone: string; created: boolean; optIn: boolean }>(cfg, 'clients.add', {
          phone: o.phone,
          code: o.code,
          login: o.login,
          password,
          optIn: o.optIn,
          force: o.force,
        });
        if (o.json) printJson({ ...result, via });
        else process.stdout.write(`${result.created ? 'added' : 'updated'} client ${result.phone}${result.optIn ? '' : ' (opted out)'}\n`);
      }),
    );

  clients
    .command('list')
    .description('list clients (passwords hidden)')
    .option('--show-passwords', 'decrypt and show passwords')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: { showPasswords?: boolean; json?: boolean; data?: string; config?: string }) => {
        const cfg = cliConfig(o, {}, 'read');
        const store = await openReadOnly(cfg);
        try {
          const key = o.showPasswords ? loadKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey }) : undefined;
          if (o.showPasswords && !key) throw new UsageError(`no key in ${cfg.dataDir} (secret.key), "secretKey" or SMS_SERVER_KEY: no password was stored with one`);
          const rows = await listClients(store, { showPasswords: o.showPasswords, key });
          if (o.json) return printJson(rows);
          if (!rows.length) return void process.stdout.write('no clients\n');
          process.stdout.write(
            renderTable(rows, [
              { header: 'PHONE', get: (r) => r.phone },
              { header: 'CODE', get: (r) => r.code },
              { header: 'LOGIN', get: (r) => r.login },
              { header: 'PASSWORD', get: (r) => r.password },
              { header: 'OPT-IN', get: (r) => (r.optIn ? 'yes' : 'no') },
            ]) + '\n',
          );
        } finally {
          await store.close();
        }
      }),
    );

  clients
    .command('remove')
    .description('remove a client')
    .requiredOption('--phone <e164>', 'the client\'s number')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: { phone: string; data?: string; config?: string }) => {
        const { result } = await applyOp<{ removed: boolean }>(cliConfig(o), 'clients.remove', { phone: o.phone });
        if (!result.removed) {
          process.stderr.write(`no client ${o.phone}\n`);
          process.exitCode = 1;
        } else process.stdout.write(`removed client ${o.phone}\n`);
      }),
    );

  clients
    .command('import <file>')
    .description('import clients from CSV: phone,code,login,password[,optin] (bad lines reported and skipped)')
    .option('--encoding <name>', 'the file\'s character encoding when not UTF-8, e.g. cp1251 (Excel on a Russian Windows)', 'utf8')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (file: string, o: { encoding: string; json?: boolean; data?: string; config?: string }) => {
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch (e) {
          throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
        }
        let csv: string;
        try {
          csv = await decodeText(bytes, file, o.encoding);
        } catch (e) {
          if (!(e instanceof TextEncodingError)) throw e;
          // Lines and columns only: the bytes may be part of a password.
          for (const b of e.lines) process.stderr.write(`${file}:${b.line}: not valid UTF-8 (column ${b.column})\n`);
          throw new UsageError(e.lines.length ? `${file} is not UTF-8; nothing imported. Save it as UTF-8, or name its encoding: --encoding cp1251` : e.message);
        }
        const { result } = await applyOp<ImportResult>(cliConfig(o), 'clients.import', { csv });
        if (o.json) return printJson(result);
        for (const e of result.errors) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
        process.stdout.write(`${result.added} added, ${result.updated} updated, ${result.errors.length} bad line(s)\n`);
        if (result.errors.length) process.exitCode = 1;
      }),
    );
}
