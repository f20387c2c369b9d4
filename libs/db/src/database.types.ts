// Row types of every table, as Kysely sees them. Keep in step with migrations/.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { KnowledgeMediaType, KnowledgeStatus, MemoryKind } from '@doppel/protocol';

/** A pgvector column: selected as text, inserted and updated as a binary parameter (toVectorParam). */
type VectorColumn = ColumnType<string, Buffer, Buffer>;

type CreatedAt = ColumnType<Date, never, never>;
type UpdatedAt = ColumnType<Date, never, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface AccountsTable {
  id: Generated<string>;
  display_name: string;
  api_key_prefix: string;
  api_key_hash: string;
  roles: ColumnType<string[], string[] | undefined, string[]>;
  key_revoked_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PersonasTable {
  id: Generated<string>;
  owner_id: string;
  visibility: 'public' | 'private';
  status: Generated<'active' | 'archived'>;
  current_version_id: string | null;
  archived_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PersonaVersionsTable {
  id: Generated<string>;
  persona_id: string;
  version: number;
  content_hash: string;
  definition: Json<unknown>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ConversationsTable {
  id: Generated<string>;
  persona_id: string;
  persona_version_id: string;
  consumer_id: string;
  last_message_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MessagesTable {
  id: Generated<string>;
  position: ColumnType<string, never, never>;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  turn_id: string | null;
  /** The user message an assistant reply answers; replies to the same message are alternatives. */
  reply_to: string | null;
  state: Generated<MessageState>;
  edited_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** shown: listed and in context; alternative: a non-chosen reply; superseded: answered a since-edited message. */
export type MessageState = 'shown' | 'alternative' | 'superseded';

export type TurnKind = 'send' | 'regenerate' | 'edit';

export type TurnStatus = 'queued' | 'running' | 'done' | 'failed';

export interface TurnsTable {
  id: Generated<string>;
  conversation_id: string;
  consumer_id: string;
  persona_version_id: string;
  client_turn_id: string;
  user_message_id: string;
  kind: Generated<TurnKind>;
  assistant_message_id: string | null;
  status: Generated<TurnStatus>;
  attempts: Generated<number>;
  worker_id: string | null;
  model_id: string | null;
  model_hash: string | null;
  embedding_model_id: string | null;
  generation_params: Json<unknown> | null;
  prompt: Json<unknown> | null;
  retrieved_memory_ids: ColumnType<string[], string[] | undefined, string[]>;
  retrieved_knowledge_ids: ColumnType<string[], string[] | undefined, string[]>;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  prompt_token_ids: number[] | null;
  output_token_ids: number[] | null;
  truncated_prompt_tokens: number | null;
  /** A canonical level-set label (libs/verification/src/levels.ts): 'none', 'signed', 'signed+reexec+tee', … */
  verification_level: Generated<string>;
  verification_ms: number | null;
  node_address: string | null;
  error_code: string | null;
  error_message: string | null;
  queued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  started_at: Timestamp | null;
  retrieved_at: Timestamp | null;
  first_token_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type { MemoryKind };

/** A finished turn whose memories are not written yet (they are made after the reply, off the critical path). */
export interface MemoryBacklogTable {
  turn_id: string;
  conversation_id: string;
  embedding_model: string;
  finished_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface MemoriesTable {
  id: Generated<string>;
  persona_id: string;
  consumer_id: string;
  conversation_id: string | null;
  source_message_id: string | null;
  kind: MemoryKind;
  content: string;
  content_hash: string;
  embedding_model: string;
  embedding_dims: number;
  /** Read: pgvector's text form, e.g. '[0.1,0.2]'. Written as toVectorParam()'s binary form. */
  embedding: VectorColumn;
  pinned: Generated<boolean>;
  /** False while the message it came from is a non-chosen alternative. */
  in_context: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SchemaMigrationsTable {
  version: string;
  checksum: string;
  applied_at: ColumnType<Date, never, never>;
}

export interface Database {
  accounts: AccountsTable;
  personas: PersonasTable;
  persona_versions: PersonaVersionsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  turns: TurnsTable;
  memories: MemoriesTable;
  memory_backlog: MemoryBacklogTable;
  models: ModelsTable;
  nodes: NodesTable;
  receipts: ReceiptsTable;
  settlement_batches: SettlementBatchesTable;
  receipt_settlements: ReceiptSettlementsTable;
  reexecutions: ReexecutionsTable;
  message_ratings: MessageRatingsTable;
  knowledge_documents: KnowledgeDocumentsTable;
  knowledge_chunks: KnowledgeChunksTable;
  avatars: AvatarsTable;
  lorebooks: LorebooksTable;
  persona_lorebooks: PersonaLorebooksTable;
  schema_migrations: SchemaMigrationsTable;
  tee_measurements: TeeMeasurementsTable;
  node_attestations: NodeAttestationsTable;
  account_wallets: AccountWalletsTable;
  node_earnings: NodeEarningsTable;
  payout_epochs: PayoutEpochsTable;
  payout_leaves: PayoutLeavesTable;
}

export interface AccountWalletsTable {
  account_id: string;
  address: string;
  chain_id: number;
  linked_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** numeric(78,0) wei amounts come back from pg as text. */
type Wei = ColumnType<string, string | bigint, never>;

export interface NodeEarningsTable {
  id: Generated<string>;
  node_address: string;
  kind: 'turn' | 'reexec';
  turn_id: string;
  reexecution_id: string | null;
  model_id: string;
  level: string;
  input_tokens: number;
  output_tokens: number;
  price_in_per_1k: Wei;
  price_out_per_1k: Wei;
  level_percent: number;
  amount_wei: Wei;
  served_at: ColumnType<Date, Date | string, never>;
  created_at: CreatedAt;
}

export interface PayoutEpochsTable {
  id: Generated<string>;
  merkle_root: string;
  through_entry_id: string;
  total_wei: ColumnType<string, string | bigint, string | bigint>;
  contract_address: string;
  chain_id: number;
  tx_hash: string | null;
  posted_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PayoutLeavesTable {
  epoch_id: string;
  node_address: string;
  cumulative_wei: ColumnType<string, string | bigint, never>;
  proof: ColumnType<string[], string[], never>;
}

export type AccountRow = Selectable<AccountsTable>;
export type PersonaRow = Selectable<PersonasTable>;
export type PersonaVersionRow = Selectable<PersonaVersionsTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type TurnRow = Selectable<TurnsTable>;
export type MemoryRow = Selectable<MemoriesTable>;
export type NewMemory = Insertable<MemoriesTable>;

export interface ModelsTable {
  id: string;
  kind: 'chat' | 'embedding';
  backend: 'onnx' | 'openai' | 'synthetic' | 'hashing';
  location: string;
  parameters: Json<unknown>;
  content_hash: string;
  files: Json<unknown>;
  dimensions: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}
export type ModelRow = Selectable<ModelsTable>;

export interface NodesTable {
  address: string;
  node_id: string;
  chat_models: Json<unknown>;
  levels: ColumnType<string[], string[] | undefined, string[]>;
  strikes: Generated<number>;
  turns_served: ColumnType<string, string | number | undefined, string | number>;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TeeMeasurementsTable {
  id: Generated<string>;
  model_id: string;
  platform: 'nitro' | 'sev-snp' | 'tdx';
  measurement: string;
  note: string | null;
  approved_by: string | null;
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NodeAttestationsTable {
  node_address: string;
  platform: 'nitro' | 'sev-snp' | 'tdx';
  measurement: string;
  evidence: Buffer;
  bound_at: ColumnType<Date, Date | string, Date | string>;
  verified_at: ColumnType<Date, Date | string, Date | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReceiptsTable {
  id: Generated<string>;
  turn_id: string;
  message_id: string;
  consumer_id: string;
  level: string;
  receipt: Json<unknown>;
  transcript: Json<unknown>;
  reexec_status: 'matched' | 'mismatch' | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** A batch of receipts settled by one Merkle root (libs/settlement owns both tables). */
export interface SettlementBatchesTable {
  id: Generated<string>;
  root: string;
  receipt_count: number;
  tx_hash: string | null;
  block_number: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  created_at: CreatedAt;
  posted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ReceiptSettlementsTable {
  receipt_id: string;
  batch_id: string;
  leaf_index: number;
  leaf: string;
}

export interface ReexecutionsTable {
  id: Generated<string>;
  turn_id: string;
  serving_node: string;
  checking_node: string;
  kind: 'requested' | 'spot_check';
  matched: boolean;
  detail: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MessageRatingsTable {
  message_id: string;
  consumer_id: string;
  persona_id: string;
  score: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type { KnowledgeMediaType, KnowledgeStatus };

export interface KnowledgeDocumentsTable {
  id: Generated<string>;
  persona_id: string;
  title: string;
  media_type: KnowledgeMediaType;
  content: string;
  content_hash: string;
  bytes: number;
  revision: Generated<number>;
  status: Generated<KnowledgeStatus>;
  error: string | null;
  /** The revision the stored chunks were cut from; null until one is ready. */
  indexed_revision: number | null;
  chunk_count: Generated<number>;
  embedding_model: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface KnowledgeChunksTable {
  id: Generated<string>;
  document_id: string;
  persona_id: string;
  revision: number;
  ordinal: number;
  content: string;
  content_hash: string;
  embedding_model: string;
  embedding_dims: number;
  /** Read: pgvector's text form. Written as toVectorParam()'s binary form. */
  embedding: VectorColumn;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AvatarsTable {
  hash: string;
  png: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
  created_at: CreatedAt;
}

export interface LorebooksTable {
  id: Generated<string>;
  owner_id: string;
  book: Json<unknown>;
  content_hash: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PersonaLorebooksTable {
  persona_id: string;
  lorebook_id: string;
  attached_at: CreatedAt;
}
