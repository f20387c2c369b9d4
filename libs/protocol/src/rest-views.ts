// What some REST routes answer, for the routes' code and the web app alike (the gateway does not parse its own
// answers, so these are types, not schemas). The server builds them with Dates; a client reads `Wire<…>` of them.

/** What a value the server builds looks like to a client, after JSON: its Dates arrive as ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Wire<Item>[]
    : T extends object
      ? { [Key in keyof T]: Wire<T[Key]> }
      : T;

/** One page of a list in a total order; pass `nextCursor` back (as `cursor` or `before`) for the next one. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const ACCOUNT_ROLES = ['consumer', 'creator', 'operator'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/** GET /accounts/me (and, with the key, what creating an account or rotating its key answers). */
export interface AccountView {
  id: string;
  displayName: string;
  apiKeyPrefix: string;
  roles: AccountRole[];
  createdAt: Date;
}

/** GET /conversations/:id, a row of GET /conversations. */
export interface ConversationView {
  id: string;
  personaId: string;
  personaVersionId: string;
  personaName: string;
  lastMessageAt: Date;
  createdAt: Date;
}

/** A row of GET /conversations/:id/messages. */
export interface MessageView {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  turnId: string | null;
  /** For a reply: the user message it answers. */
  replyTo: string | null;
  /** For a reply: how many alternatives (regenerated replies) its user message has, this one included. */
  alternatives: number;
  editedAt: Date | null;
  createdAt: Date;
}

/** One reply to a user message (GET …/alternatives, POST …/choose, message:choose). */
export interface AlternativeView {
  id: string;
  content: string;
  turnId: string | null;
  /** The one shown and in the context of later turns. */
  chosen: boolean;
  createdAt: Date;
}

export type MemoryKind = 'user_message' | 'assistant_reply' | 'fact';

/** One of a consumer's memories of a persona (GET /personas/:id/memories, PATCH /memories/:id, memory:*). */
export interface MemoryView {
  id: string;
  kind: MemoryKind;
  content: string;
  conversationId: string | null;
  embeddingModel: string;
  pinned: boolean;
  createdAt: Date;
}

/** GET /personas/:id/memories. `pendingWrites`: finished turns whose memories are still being written. */
export interface MemoryPage extends Page<MemoryView> {
  pendingWrites: number;
}

/** GET /personas/:id/ratings, for the persona's creator: scores 1–5 in aggregate, never one consumer's. */
export interface RatingsSummary {
  count: number;
  average: number | null;
  /** How many ratings gave each score, keyed '1' to '5'. */
  distribution: Record<string, number>;
}

export type KnowledgeMediaType = 'text/plain' | 'text/markdown';
export type KnowledgeStatus = 'pending' | 'ready' | 'failed';

/** A persona's knowledge document without its text (GET /personas/:id/knowledge, an upload's answer). */
export interface KnowledgeDocumentView {
  id: string;
  personaId: string;
  title: string;
  mediaType: KnowledgeMediaType;
  bytes: number;
  contentHash: string;
  revision: number;
  status: KnowledgeStatus;
  error: string | null;
  /** The revision whose chunks serve now (null until one is ready); lags revision while a re-upload is pending. */
  indexedRevision: number | null;
  chunkCount: number;
  embeddingModel: string;
  createdAt: Date;
  updatedAt: Date;
}

/** GET /twins/:twinId/market */
export interface TwinMarketView {
  twinId: string;
  contract: string;
  chainId: number;
  supply: string;
  /** Wei for one more share, fees included. */
  nextShareCostWei: string;
  /** Wei that selling one share pays now, fees taken. */
  sellOneProceedsWei: string;
  holder: string | null;
  held: string | null;
  block: number;
}

/** One node's earnings on one UTC day (the earnings ledger). */
export interface NodeDayEarnings {
  nodeAddress: string;
  day: string;
  turns: number;
  reexecutions: number;
  inputTokens: number;
  outputTokens: number;
  amountWei: string;
  /** Share of the day (of the part of today that has passed) with at least one turn in flight on the node. */
  utilisation: number;
}

/** GET /operator/economics */
export interface EconomicsView {
  days: number;
  perNodePerDay: NodeDayEarnings[];
  priceList: { per1kInputTokensWei: string; per1kOutputTokensWei: string; levelPercent: Record<string, number>; reexecPercent: number };
}
