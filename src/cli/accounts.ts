/**
 * `accounts add|list|set|rotate|remove`: the systems that send through this server and get their
 * inbound SMS and calls back. The API token and the webhook secret are made here, shown once, and
 * only their hash / encrypted form is handed to the writer (directly or through the spool), so no
 * plain secret is ever written under the data folder.
 */
import type { Command } from 'commander';
import { accountView, checkEmail, checkNumber, checkWebhookUrl, makeCredentials, normalizeLogin, type AccountView } from '../accounts/index.js';
import { checkSmppPassword, hashPassword } from '../util/password-hash.js';
import { loadOrCreateKey } from '../util/secret.js';
import { action, applyOp, cliConfig, openReadOnly, printJson, UsageError, type DataOpts } from './common.js';
import { passwordFromPrompt, passwordFromStdin } from './password-input.js';
import { renderTable } from './table.js';

/** A flag parser that turns the validation error into a usage error (exit 2) naming the flag. */
function checked(flag: string, check: (v: string) => unknown) {
  return (v: string): string => {
    try {
      check(v);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
    return v;
  };
}

/** `--webhook none` clears the field (null); commander keeps the raw text, so this runs in the action. */
function orNone(flag: string, value: string | undefined, check: (v: string) => unknown): string | null | undefined {
  if (value === undefined) return undefined;
  return value.toLowerCase() === 'none' ? null : checked(flag, check)(value);
}

const loginFlag = checked('--login', normalizeLogin);

function printAccount(v: AccountView): void {
  const rows: [string, string | null][] = [
    ['name', v.name],
    ['webhook', v.webhook ? `${v.webhook}${v.webhookStatus === 'disabled' ? `  (DISABLED: ${v.webhookDisabled!.reason})` : ''}` : null],
    ['email', v.email],
    ['number', v.number],
    ['smpp', v.smpp ? `password set (bind with system_id "${v.login}")` : null],
  ];
  process.stdout.write(`account ${v.login}\n`);
  for (const [k, val] of rows) if (val) process.stdout.write(`  ${k.padEnd(8)} ${val}\n`);
}

function printSecrets(token: string, webhookSecret: string): void {
  process.stdout.write(
    `\nShown once — store them now; only a hash / an encrypted copy is kept:\n` +
      `  API token       ${token}\n` +
      `  webhook secret  ${webhookSecret}\n`,
  );
}

type Opts = DataOpts & { json?: boolean };

/**
 * `--smpp-password`: checked and hashed here, so only the hash reaches the writer (directly or
 * through the spool). `none` → null (SMPP off); no value → hidden prompt, or stdin when piped.
 */
async function smppPasswordArg(v: string | true | undefined): Promise<string | null | undefined> {
  if (v === undefined) return undefined;
  if (v !== true && v.toLowerCase() === 'none') return null;
  const password = v !== true ? v : process.stdin.isTTY ? await passwordFromPrompt('SMPP password', 'pipe it in (printf %s "$PW" | sms-server accounts set --login L --smpp-password)') : await passwordFromStdin('--smpp-password');
  const bad = checkSmppPassword(password);
  if (bad) throw new UsageError(`--smpp-password: ${bad}`);
  return hashPassword(password);
}

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description('accounts: who owns inbound SMS/calls (login prefix, last sender, dedicated number) and where they are forwarded');

  accounts
    .command('add')
    .description('add an account; prints its API token and webhook secret once')
    .requiredOption('--login <login>', 'login, 2-32 of a-z 0-9 . _ - (case-insensitive); subscribers write "login: text"', loginFlag)
    .option('--name <name>', 'display name')
    .option('--webhook <url>', 'http(s) URL that receives signed webhooks', checked('--webhook', checkWebhookUrl))
    .option('--email <address>', 'address that receives each inbound message by e-mail', checked('--email', checkEmail))
    .option('--number <e164>', 'the SIM number dedicated to this account (route "number")')
    .option('--json', 'print JSON (token and webhookSecret included, once)')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: Opts & { login: string; name?: string; webhook?: string; email?: string; number?: string }) => {
        const cfg = cliConfig(o);
        if (o.number !== undefined) checked('--number', (v) => checkNumber(v, { country: cfg.country }))(o.number);
        const creds = makeCredentials(loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey }));
        const { via, result } = await applyOp<AccountView>(cfg, 'accounts.add', {
          login: o.login,
          name: o.name,
          webhook: o.webhook,
          email: o.email,
          number: o.number,
          tokenHash: creds.tokenHash,
          webhookSecretEnc: creds.webhookSecretEnc,
        });
        if (o.json) return printJson({ ...result, token: creds.token, webhookSecret: creds.webhookSecret, via });
        printAccount(result);
        printSecrets(creds.token, creds.webhookSecret);
      }),
    );

  accounts
    .command('list')
    .description('list accounts (never a secret)')
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: Opts) => {
        const store = await openReadOnly(cliConfig(o).dataDir);
        try {
          const rows = (await store.listAccounts()).map(accountView);
          if (o.json) return printJson(rows);
          if (!rows.length) return void process.stdout.write('no accounts\n');
          process.stdout.write(
            renderTable(rows, [
              { header: 'LOGIN', get: (r) => r.login },
              { header: 'NAME', get: (r) => r.name ?? '', max: 24 },
              { header: 'NUMBER', get: (r) => r.number ?? '' },
              { header: 'WEBHOOK', get: (r) => (r.webhook ? `${r.webhookStatus === 'disabled' ? '⚠ DISABLED ' : ''}${r.webhook}` : ''), max: 50 },
              { header: 'EMAIL', get: (r) => r.email ?? '', max: 30 },
              { header: 'SMPP', get: (r) => (r.smpp ? 'yes' : '') },
            ]) + '\n',
          );
          for (const r of rows) if (r.webhookDisabled) process.stdout.write(`${r.login}: webhook disabled at ${r.webhookDisabled.at}: ${r.webhookDisabled.reason} (enable again with accounts set --login ${r.login} --webhook URL)\n`);
        } finally {
          await store.close();
        }
      }),
    );

  accounts
    .command('set')
    .description('change an account ("none" clears a field; setting --webhook again re-enables a webhook disabled by 410)')
    .requiredOption('--login <login>', 'the account', loginFlag)
    .option('--name <name>', 'display name, or none')
    .option('--webhook <url|none>', 'webhook URL, or none')
    .option('--email <address|none>', 'e-mail address, or none')
    .option('--number <e164|none>', 'dedicated SIM number, or none')
    .option(
      '--smpp-password [password|none]',
      'the SMPP bind password (system_id = login): 1-8 printable ASCII characters, the SMPP 3.4 limit; stored as a scrypt hash. ' +
        'Without a value it is asked at a hidden prompt, or read from stdin when piped (a value on the command line shows in `ps`); none: SMPP off',
    )
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: Opts & { login: string; name?: string; webhook?: string; email?: string; number?: string; smppPassword?: string | true }) => {
        const cfg = cliConfig(o);
        const webhook = orNone('--webhook', o.webhook, checkWebhookUrl);
        const email = orNone('--email', o.email, checkEmail);
        const number = orNone('--number', o.number, (v) => checkNumber(v, { country: cfg.country }));
        const name = orNone('--name', o.name, () => undefined);
        const smppPasswordHash = await smppPasswordArg(o.smppPassword);
        if (name === undefined && webhook === undefined && email === undefined && number === undefined && smppPasswordHash === undefined) {
          throw new UsageError('accounts set needs at least one of --name, --webhook, --email, --number, --smpp-password');
        }
        const { via, result } = await applyOp<AccountView>(cfg, 'accounts.set', { login: o.login, name, webhook, email, number, smppPasswordHash });
        if (o.json) return printJson({ ...result, via });
        printAccount(result);
      }),
    );

  accounts
    .command('rotate')
    .description('new API token and webhook secret (printed once); the old token stops working now, the old secret still signs for 24 h')
    .requiredOption('--login <login>', 'the account', loginFlag)
    .option('--json', 'print JSON')
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: Opts & { login: string }) => {
        const cfg = cliConfig(o);
        const creds = makeCredentials(loadOrCreateKey({ dataDir: cfg.dataDir, configKey: cfg.secretKey }));
        const { via, result } = await applyOp<AccountView>(cfg, 'accounts.rotate', { login: o.login, tokenHash: creds.tokenHash, webhookSecretEnc: creds.webhookSecretEnc });
        if (o.json) return printJson({ ...result, token: creds.token, webhookSecret: creds.webhookSecret, via });
        printAccount(result);
        printSecrets(creds.token, creds.webhookSecret);
        process.stdout.write('The previous webhook secret keeps signing (as a second signature) for 24 h.\n');
      }),
    );

  accounts
    .command('remove')
    .description('remove an account (its stored messages keep its login)')
    .requiredOption('--login <login>', 'the account', loginFlag)
    .option('--data <dir>', 'data folder')
    .option('--config <file>', 'config file')
    .action(
      action(async (o: Opts & { login: string }) => {
        const login = normalizeLogin(o.login);
        const { result } = await applyOp<{ removed: boolean }>(cliConfig(o), 'accounts.remove', { login });
        if (!result.removed) {
          process.stderr.write(`no account "${login}"\n`);
          process.exitCode = 1;
        } else process.stdout.write(`removed account ${login}\n`);
      }),
    );
}
