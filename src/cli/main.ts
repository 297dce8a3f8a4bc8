#!/usr/bin/env node
/** sms-server: the command-line entry point. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAccounts } from './accounts.js';
import { registerClients } from './clients.js';
import { registerForwards } from './forwards.js';
import { registerInbox } from './inbox.js';
import { registerOutbound } from './outbound.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerSelfService } from './selfservice.js';
import { registerStatus } from './status.js';
import { registerStore } from './store.js';
import { UsageError } from './common.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('sms-server')
  .description('SMS server for a USB/serial GSM modem')
  .version(pkg.version)
  .showHelpAfterError()
  .enablePositionalOptions()
  .exitOverride();

registerServe(program);
registerSimulate(program);
registerInbox(program);
registerOutbound(program);
registerClients(program);
registerAccounts(program);
registerForwards(program);
registerStatus(program);
registerStore(program);
registerSelfService(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError) {
    // Thrown by option parsers (e.g. --limit abc).
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else throw e;
}
