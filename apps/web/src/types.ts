// The REST shapes the app reads (see /docs/openapi.json).
import type { VerificationLabel } from '@doppel/protocol';

export interface LorebookEntry {
  keys: string[];
  secondaryKeys: string[];
  content: string;
  caseSensitive: boolean;
  useRegex: boolean;
  insertionOrder: number;
  enabled: boolean;
  constant: boolean;
  /** A title for editors (SillyTavern's comment). */
  name?: string;
  /** Fields of the source format Doppel keeps for export. */
  extras?: Record<string, unknown>;
}

export interface Lorebook {
  scanDepth: number;
  tokenBudget: number;
  entries: LorebookEntry[];
  name?: string;
  description?: string;
  extras?: Record<string, unknown>;
}

export type StandaloneLorebook = Lorebook & { name: string };

export interface LorebookView {
  id: string;
  ownerId: string;
  book: StandaloneLorebook;
  contentHash: string;
  attachedTo: string[];
}

export interface LorebookSummary {
  id: string;
  name: string;
  entryCount: number;
  contentHash: string;
  attachedTo: string[];
  updatedAt: string;
}

export interface GenerationParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  repetitionPenalty: number;
  stop: string[];
}

/** A level-set label ('none', 'signed+reexec', …), as the receipt signs it. */
export type VerificationLevel = VerificationLabel;

export interface PersonaDefinition {
  name: string;
  description: string;
  personality: string;
  systemPrompt: string;
  greeting: string;
  scenario?: string;
  postHistoryInstructions?: string;
  alternateGreetings?: string[];
  exampleDialogues: { user: string; persona: string }[];
  tags: string[];
  defaultModel: string;
  generation: GenerationParams;
  minVerification: VerificationLevel;
  lorebook?: Lorebook;
  attachedLorebooks?: (StandaloneLorebook & { id: string })[];
  /** sha256 of the avatar PNG: /avatars/<hash>, /avatars/<hash>/thumbnail. */
  avatar?: string;
  creator?: string;
  creatorNotes?: string;
  characterVersion?: string;
  nickname?: string;
  extensions?: { eliza?: Record<string, unknown>; card?: Record<string, unknown> };
  /** For holders only: at least minShares shares of twin twinId (TwinShares). */
  sharesGate?: { twinId: string; minShares: number };
}

export interface Persona {
  id: string;
  ownerId: string;
  visibility: 'public' | 'private';
  status: 'active' | 'archived';
  version: number;
  contentHash: string;
  definition: PersonaDefinition;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Conversation {
  id: string;
  personaId: string;
  personaName: string;
  lastMessageAt: string;
}

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  turnId: string | null;
  /** For a reply: how many alternatives its user message has (regenerated replies), this one included. */
  alternatives?: number;
  createdAt: string;
}

export interface Memory {
  id: string;
  content: string;
  kind: string;
  pinned?: boolean;
  createdAt: string;
}

export interface Account {
  id: string;
  displayName: string;
  roles: string[];
}
