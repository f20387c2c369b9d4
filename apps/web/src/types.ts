// The REST shapes the app reads (see /docs/openapi.json): the server's own types, as JSON delivers them.
import type {
  AccountView,
  ConversationView,
  KnowledgeDocumentView,
  MemoryPage as ServerMemoryPage,
  MemoryView,
  MessageView,
  VerificationLabel,
  Wire,
} from '@doppel/protocol';
import type { ImportResponse as ServerImportResponse } from '@doppel/persona-cards';
import type { LorebookSummary as ServerLorebookSummary, LorebookView as ServerLorebookView, PersonaVersion, PersonaView, VersionDiff as ServerVersionDiff } from '@doppel/personas';

export type { GenerationParams, Lorebook, LorebookEntry, PersonaDefinition, StandaloneLorebook } from '@doppel/personas';
export type { MemoryKind, Page, RatingsSummary } from '@doppel/protocol';
export type { ImportReport } from '@doppel/persona-cards';

export type LorebookView = Wire<ServerLorebookView>;
export type LorebookSummary = Wire<ServerLorebookSummary>;
export type Persona = Wire<PersonaView>;
/** A row of GET /personas/:id/versions. */
export type PersonaVersionRow = Wire<Omit<PersonaVersion, 'definition'>>;
export type VersionDiff = Wire<ServerVersionDiff>;
/** POST /personas/import */
export type ImportResponse = Wire<ServerImportResponse>;

/** A level-set label ('none', 'signed+reexec', …), as the receipt signs it. */
export type VerificationLevel = VerificationLabel;

export type Conversation = Wire<ConversationView>;
export type Message = Wire<MessageView>;
export type Memory = Wire<MemoryView>;
export type MemoryPage = Wire<ServerMemoryPage>;
export type Account = Wire<AccountView>;
export type KnowledgeDocument = Wire<KnowledgeDocumentView>;
