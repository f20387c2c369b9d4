// The REST shapes the app reads (see /docs/openapi.json). Persona and lorebook shapes are the server's own, as JSON
// delivers them; the rest are declared here.
import type { VerificationLabel, Wire } from '@doppel/protocol';
import type { LorebookSummary as ServerLorebookSummary, LorebookView as ServerLorebookView, PersonaView } from '@doppel/personas';

export type { GenerationParams, Lorebook, LorebookEntry, PersonaDefinition, StandaloneLorebook } from '@doppel/personas';

export type LorebookView = Wire<ServerLorebookView>;
export type LorebookSummary = Wire<ServerLorebookSummary>;
export type Persona = Wire<PersonaView>;

/** A level-set label ('none', 'signed+reexec', …), as the receipt signs it. */
export type VerificationLevel = VerificationLabel;

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
