// Row types of the hub's tables (migrations/0015_model_hub.sql, 0016_hub_postings_task.sql), as Kysely sees them.
// Only this lib reads them.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface HubFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface HubRemote {
  backend: 'openai';
  baseUrl: string;
  upstreamModel: string;
}

export type HubSource = 'files' | 'remote' | 'card';

export type HubTables = {
  hub_blobs: {
    sha256: string;
    bytes: number | string;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  hub_models: {
    name: string;
    owner_id: string;
    latest_version: number;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  hub_versions: {
    model_hash: string;
    name: string;
    version: number;
    source: HubSource;
    card: Json<unknown>;
    card_markdown: string;
    files: Json<HubFile[]>;
    remote: Json<HubRemote | null> | null;
    publisher_id: string;
    signer: string | null;
    signature: string | null;
    parent_ref: string | null;
    parent_hash: string | null;
    parent_relation: string | null;
    created_at: Timestamp;
  };
  hub_search: {
    name: string;
    model_hash: string;
    task: string;
    format: string | null;
    parameters: ColumnType<string | null, number | null, number | null>;
    license: string | null;
    languages: string[];
    verification: string[];
    summary: string;
    words: string[];
    published_at: Timestamp;
    updated_at: Generated<Date>;
  };
  hub_search_embeddings: {
    name: string;
    embedding_model: string;
    embedding_dims: number;
    embedding: string;
  };
  hub_search_postings: {
    lexeme: string;
    name: string;
    task: string;
    impact: number;
  };
  hub_search_lexemes: {
    lexeme: string;
    documents: number;
  };
  hub_search_words: {
    word: string;
    documents: number;
  };
};
