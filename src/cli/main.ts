#!/usr/bin/env -S node --max-opt=1 --max-semi-space-size=1 --heap-growing-percent=50
/**
 * sms-server: the command-line entry point.
 *
 * Only the module of the command being run is loaded (`serve` does not carry the CLI's code, and
 * `inbox` does not load the server's): each module registers its commands on first use. With no
 * command, `--help`, or an unknown name, all are loaded, so help and "did you mean" see them all.
 * The V8 flags in the first line bound the memory of a long-running server (measured in
 * docs/benchmarks.md, "Memory" and "Third cost round"): no optimising tier above the baseline
 * compiler (`--max-opt=1`: TurboFan's code and its compile threads cost 8 MB after start and 12 MB
 * at the peak of a 200-message burst, and its compilations more CPU in a burst than they save; a
 * sustained drain pays ~0.8 ms per message instead); a 1 MB young generation instead of up to 16 MB
 * per semi-space; and the old generation allowed to grow by half its live size between full GCs
 * instead of up to 4× (a 100k-recipient mass text: 175 → 104 MB peak with all three). `npm start`
 * runs this file as a program too; a plain `node dist/cli/main.js` runs without them.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { UsageError } from './common.js';

type Register = (program: Command) => void;

/** Top-level command name → the module that registers it (one module may register several). */
const COMMANDS: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./serve.js')).registerServe,
  simulate: async () => (await import('./simulate.js')).registerSimulate,
  inbox: async () => (await import('./inbox.js')).registerInbox,
  send: async () => (await import('./outbound.js')).registerOutbound,
  mass: async () => (await import('./outbound.js')).registerOutbound,
  outbox: async () => (await import('./outbound.js')).registerOutbound,
  clients: async () => (await import('./clients.js')).registerClients,
  accounts: async () => (await import('./accounts.js')).registerAccounts,
  forwards: async () => (await import('./forwards.js')).registerForwards,
  status: async () => (await import('./status.js')).registerStatus,
  selfservice: async () => (await import('./selfservice.js')).registerSelfService,
  store: async () => (await import('./store.js')).registerStore,
};

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('sms-server')
  .description('SMS server for a USB/serial GSM modem')
  .version(pkg.version)
  .showHelpAfterError()
  .enablePositionalOptions()
  .exitOverride();

const name = process.argv[2];
const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
const registered = new Set<Register>();
for (const load of wanted) {
  const register = await load();
  if (registered.has(register)) continue; // send/mass/outbox share one module
  registered.add(register);
  register(program);
}

// `sms-server outbox | head -1`: the reader has gone; stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

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
