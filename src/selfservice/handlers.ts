/**
 * Self-service as keyword commands (seed 003): the activation keyword (`111`), and a code order —
 * an empty SMS, which phones cannot actually send (docs/field-notes), so also whitespace only, `?`
 * or `CODE` in any case. Answers go only to the sender's own number; the code reply is sealed at
 * rest and redacted from the AT trace like the credentials reply. No acknowledgement first: the
 * answer itself is immediate.
 */
import type { CommandHandler, CommandPlan } from '../commands/registry.js';
import { renderTemplate, type TemplateSet } from '../commands/templates.js';
import type { Store } from '../store/types.js';
import type { SelfService } from './service.js';

/** Command names recorded on inbox entries. */
export const SELF_SERVICE_COMMANDS = { activate: 'selfservice activate', code: 'selfservice code' } as const;

export function selfServiceHandlers(svc: SelfService, templates: TemplateSet, store: Pick<Store, 'listJobs'>): CommandHandler[] {
  const activate: CommandHandler = {
    name: SELF_SERVICE_COMMANDS.activate,
    match: { phrase: svc.settings.activationKeyword },
    async plan({ sender }) {
      await svc.activate(sender);
      return { to: sender, result: templates.selfServiceActivated, ack: false };
    },
  };
  const order = async (sender: string, entryId: string): Promise<CommandPlan> => {
    let r = await svc.orderCode(sender, entryId);
    if (r.kind === 'already-issued') {
      // A crash came after the code was issued: if its reply is queued, the command service pairs
      // this plan with that job (the text is never used); if not, the customer gets a fresh code.
      const queued = (await store.listJobs({ priority: 'reply' })).some((j) => j.inReplyTo === entryId);
      if (queued) return { to: sender, result: '(code already queued)', ack: false, seal: true };
      r = await svc.orderCode(sender, entryId, { reissue: true });
    }
    switch (r.kind) {
      case 'code':
        return { to: sender, result: renderTemplate(templates.selfServiceCode, { code: r.code }), ack: false, seal: true };
      case 'not-activated':
        return r.reply ? { to: sender, result: templates.selfServiceNotActivated, ack: false } : { reject: 'self-service not activated (already told today)' };
      case 'too-many':
        return r.reply ? { to: sender, result: templates.selfServiceTooMany, ack: false } : { reject: 'too many code orders today (already told today)' };
      default:
        return { error: 'code order could not be completed' };
    }
  };
  const codeBy = (suffix: string, match: CommandHandler['match']): CommandHandler => ({
    name: `${SELF_SERVICE_COMMANDS.code}${suffix}`,
    match,
    plan: ({ sender, entry }) => order(sender, entry.id),
  });
  return [activate, codeBy('', { empty: true }), codeBy(' (?)', { phrase: '?' }), codeBy(' (CODE)', { phrase: 'CODE' })];
}
