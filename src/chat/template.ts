/** The SMS a visitor's message becomes (`chat.template`, default `{name} (web): {text}`). */
import { ChatTemplateError } from './errors.js';

export const DEFAULT_CHAT_TEMPLATE = '{name} (web): {text}';

const PLACEHOLDER = /\{(\w+)\}/g;

/** Throws ChatTemplateError unless the template uses only {name} and {text}, and {text} at least once. */
export function validateChatTemplate(template: string): void {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m[1] !== 'name' && m[1] !== 'text') {
      throw new ChatTemplateError(`chat.template: unknown placeholder {${m[1]}} in ${JSON.stringify(template)} (known: {name}, {text})`);
    }
  }
  if (!template.includes('{text}')) {
    throw new ChatTemplateError(`chat.template must contain {text}, got ${JSON.stringify(template)}`);
  }
}

/** Fills the template in one pass: a name or text that itself contains `{text}` is not expanded again. */
export function renderChatSms(template: string, name: string, text: string): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => (key === 'name' ? name : key === 'text' ? text : whole));
}
