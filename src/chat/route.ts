/**
 * The chat's inbound route: an SMS from a mobile that is in a live chat conversation belongs to
 * that conversation (`routedBy: 'chat'`, `route: {conversationId}`). Placed after the command
 * and prefix routes and before last-sender; after the session ends it passes, so a late reply is
 * kept by the routes after it. Idempotent: the service records each inbox entry once.
 */
import type { InboundRoute, RouteClaim } from '../inbound/route.js';
import type { InboxEntry } from '../store/types.js';
import type { ChatService } from './service.js';

export const CHAT_ROUTE = 'chat';

export class ChatRoute implements InboundRoute {
  readonly name = CHAT_ROUTE;

  constructor(private readonly chat: ChatService) {}

  async route(entry: InboxEntry): Promise<RouteClaim | undefined> {
    if (entry.status === 'call') return undefined; // a call is not a chat message
    const r = await this.chat.receive(entry);
    return r && { routedBy: CHAT_ROUTE, target: { conversationId: r.conversationId } };
  }
}
