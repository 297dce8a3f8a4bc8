/**
 * The three built-in commands of the federal number (seeds 000/001) as registry handlers:
 * `CLIENT info` (credentials, to registered clients only), `CLIENT sms stop` / `start` (opt-out,
 * honoured for anyone: mass texts also go to non-clients).
 */
import type { Logger } from 'pino';
import { setOptIn } from '../store/optout.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { COMMAND_NAMES, COMMAND_PHRASES } from './parser.js';
import type { CommandHandler } from './registry.js';
import { renderTemplate, type TemplateSet } from './templates.js';

export interface ClientCommandDeps {
  store: Store;
  templates: TemplateSet;
  /** Decrypts Client.passwordEnc. */
  decryptPassword: (enc: string) => string;
  clock: Clock;
  log: Logger;
}

export function clientCommands(d: ClientCommandDeps): CommandHandler[] {
  const info: CommandHandler = {
    name: COMMAND_NAMES.info,
    match: { phrase: COMMAND_PHRASES.info },
    async plan({ sender }) {
      const client = await d.store.getClient(sender);
      if (!client) return { reject: 'sender is not a registered client' };
      let password: string;
      try {
        password = d.decryptPassword(client.passwordEnc);
      } catch (e) {
        // SecretError messages never contain the secret; answering without a password is no answer.
        return { error: `cannot decrypt the client's password: ${(e as Error).message}` };
      }
      // Sealed: the result carries the password, so the queued job is encrypted at rest.
      return { to: client.phone, result: renderTemplate(d.templates.info, { code: client.code, login: client.login, password }), seal: true };
    },
  };
  const optIn = (kind: 'sms-stop' | 'sms-start'): CommandHandler => ({
    name: COMMAND_NAMES[kind],
    match: { phrase: COMMAND_PHRASES[kind] },
    async plan({ sender, entry }) {
      const on = kind === 'sms-start';
      const { changed, client } = await setOptIn(d.store, sender, on, new Date(d.clock.now()));
      d.log.info({ entry: entry.id, phone: sender, optIn: on, changed, client }, 'opt-in set by SMS');
      const registered = await d.store.getClient(sender);
      return { to: registered?.phone ?? sender, result: on ? d.templates.smsStart : d.templates.smsStop };
    },
  });
  return [info, optIn('sms-stop'), optIn('sms-start')];
}
