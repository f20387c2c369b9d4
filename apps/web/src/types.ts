// The REST shapes the app reads (see /docs/openapi.json).
export interface LorebookEntry {
  keys: string[];
  secondaryKeys: string[];
  content: string;
  caseSensitive: boolean;
  useRegex: boolean;
  insertionOrder: number;
  enabled: boolean;
  constant: boolean;
}

export interface Lorebook {
  scanDepth: number;
  tokenBudget: number;
  entries: LorebookEntry[];
}

export interface GenerationParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  repetitionPenalty: number;
  stop: string[];
}

export type VerificationLevel = 'none' | 'signed' | 'reexec' | 'signed+reexec';

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
