/**
 * Types of the web-to-SMS chat. The stored documents (sessions, conversations, messages, events)
 * are defined with the Store contract (src/store/chat-types.ts) and re-exported here.
 */
import type { ChatSessionStore } from '../store/chat-types.js';

export type {
  ChatConversation,
  ChatDeliveryState,
  ChatDirection,
  ChatEvent,
  ChatEventType,
  ChatMessage,
  ChatSession,
  ChatSessionFilter,
} from '../store/chat-types.js';

/** What the chat needs from the store (the Store implements it). */
export type ChatSessionRepo = ChatSessionStore;

/** Where the chat queues its SMS: one job per message, above mass texts. */
export interface ChatOutbox {
  /** Queues `text` to `to` (E.164), durably, pinned to `modem` when given; answers the job id. */
  send(to: string, text: string, modem?: string): Promise<{ jobId: string }>;
}
