-- The model hub: published models as immutable, content-addressed versions, and the search index over their cards.
-- Trigram matching finds the card words close to a misspelt query word; edit distance picks among them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- Every file a hub model holds, by sha256. The bytes live on disk under HUB_BLOB_DIR; a blob is shared by every
-- version that has the same file.
CREATE TABLE hub_blobs (
  sha256       text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  bytes        bigint NOT NULL CHECK (bytes >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A model name belongs to the account that first published it: only that account adds versions. `latest` moves.
CREATE TABLE hub_models (
  name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  owner_id        uuid NOT NULL REFERENCES accounts (id),
  latest_version  integer NOT NULL CHECK (latest_version > 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER hub_models_touch BEFORE UPDATE ON hub_models
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- One published version. Its id is the model hash (docs/receipts.md's modelHash): the manifest hash over its files,
-- the declared hash of a remote endpoint, or for a listing with neither, the hash of its card. Never changed.
CREATE TABLE hub_versions (
  model_hash       text PRIMARY KEY CHECK (model_hash ~ '^[0-9a-f]{64}$'),
  name             text NOT NULL REFERENCES hub_models (name),
  version          integer NOT NULL CHECK (version > 0),
  source           text NOT NULL CHECK (source IN ('files', 'remote', 'card')),
  card             jsonb NOT NULL,
  card_markdown    text NOT NULL,
  files            jsonb NOT NULL DEFAULT '[]',
  remote           jsonb,
  publisher_id     uuid NOT NULL REFERENCES accounts (id),
  -- An optional EIP-712 signature of the publication by the publisher's key, checked on upload.
  signer           text CHECK (signer ~ '^0x[0-9a-f]{40}$'),
  signature        text,
  -- What it was made from (as the card's base_model names it), resolved to a hash where this hub knows it.
  parent_ref       text,
  parent_hash      text CHECK (parent_hash ~ '^[0-9a-f]{64}$'),
  parent_relation  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, version),
  CHECK ((signer IS NULL) = (signature IS NULL))
);
CREATE INDEX hub_versions_parent_idx ON hub_versions (parent_hash) WHERE parent_hash IS NOT NULL;
CREATE FUNCTION doppel_hub_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'hub versions are immutable: publish a new version';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER hub_versions_immutable BEFORE UPDATE OR DELETE ON hub_versions
  FOR EACH ROW EXECUTE FUNCTION doppel_hub_versions_immutable();

-- What search reads: one row per model name, for its latest version. Derived from hub_versions and rebuilt at will,
-- so the weighting can change without touching the immutable versions.
CREATE TABLE hub_search (
  name          text PRIMARY KEY REFERENCES hub_models (name),
  model_hash    text NOT NULL REFERENCES hub_versions (model_hash),
  task          text NOT NULL,
  format        text,
  parameters    bigint,
  license       text,
  languages     text[] NOT NULL DEFAULT '{}',
  verification  text[] NOT NULL DEFAULT '{}',
  summary       text NOT NULL,
  -- The card's words as written (not stemmed), counted in hub_search_words.
  words         text[] NOT NULL,
  published_at  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hub_search_task_idx ON hub_search (task);
CREATE INDEX hub_search_published_idx ON hub_search (published_at DESC, name);
CREATE INDEX hub_search_languages_idx ON hub_search USING gin (languages);
CREATE INDEX hub_search_verification_idx ON hub_search USING gin (verification);

-- Full text, scored ahead of time: for every lexeme of a card (Postgres' english configuration, the card's fields
-- weighted A-D), its BM25F impact in that card. A query sums idf x impact over its lexemes reading only the
-- highest impacts of each lexeme, so its cost does not grow with the number of cards a common word appears in.
CREATE TABLE hub_search_postings (
  lexeme  text NOT NULL,
  name    text NOT NULL REFERENCES hub_search (name) ON DELETE CASCADE,
  impact  real NOT NULL CHECK (impact > 0)
);
CREATE INDEX hub_search_postings_lexeme_idx ON hub_search_postings (lexeme, impact DESC) INCLUDE (name);
CREATE INDEX hub_search_postings_name_idx ON hub_search_postings (name);

-- How many cards each lexeme appears in (idf), and the lexemes a word being typed may be the start of.
CREATE TABLE hub_search_lexemes (
  lexeme     text PRIMARY KEY,
  documents  integer NOT NULL CHECK (documents >= 0)
);
CREATE INDEX hub_search_lexemes_prefix_idx ON hub_search_lexemes (lexeme text_pattern_ops);

-- The card of each searchable model embedded with the deployment's embedding model; like memories, vectors of
-- different models are never compared, and each dimension has its own partial HNSW index.
CREATE TABLE hub_search_embeddings (
  name             text NOT NULL REFERENCES hub_search (name) ON DELETE CASCADE,
  embedding_model  text NOT NULL,
  embedding_dims   integer NOT NULL,
  embedding        vector NOT NULL CHECK (vector_dims(embedding) = embedding_dims),
  PRIMARY KEY (name, embedding_model)
);
CREATE INDEX hub_search_embeddings_hnsw_100 ON hub_search_embeddings USING hnsw ((embedding::vector(100)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 100;
CREATE INDEX hub_search_embeddings_hnsw_384 ON hub_search_embeddings USING hnsw ((embedding::vector(384)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 384;

-- Every word the searchable cards use, with how many cards use it: a query word that is not here is corrected to
-- the nearest one (trigram candidates, fewest edits).
CREATE TABLE hub_search_words (
  word       text PRIMARY KEY,
  documents  integer NOT NULL CHECK (documents >= 0)
);
-- GiST, for the nearest words by trigram distance (ORDER BY word <-> token LIMIT n) without scoring every word.
CREATE INDEX hub_search_words_trgm_idx ON hub_search_words USING gist (word gist_trgm_ops);
