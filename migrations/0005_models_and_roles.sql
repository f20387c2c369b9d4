-- The model registry: what each model is, where it lives, and a sha256 of every file that determines its output.
CREATE TABLE models (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  kind          text NOT NULL CHECK (kind IN ('chat', 'embedding')),
  backend       text NOT NULL CHECK (backend IN ('onnx', 'openai', 'synthetic', 'hashing')),
  -- A folder for onnx (absolute, or relative to MODELS_DIR), a base URL for openai, empty for built-ins.
  location      text NOT NULL DEFAULT '',
  parameters    jsonb NOT NULL DEFAULT '{}',
  -- sha256 of the manifest "<sha256>  <path>\n" over every file, sorted by path; see libs/models.
  content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  files         jsonb NOT NULL DEFAULT '[]',
  dimensions    integer CHECK (dimensions IS NULL OR dimensions BETWEEN 1 AND 4096),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'embedding') = (dimensions IS NOT NULL))
);
CREATE TRIGGER models_touch BEFORE UPDATE ON models
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- Memories of any embedding dimension share one table; each dimension has its own partial HNSW index, and every
-- query filters on the embedding model, so vectors of different models are never compared.
DROP INDEX memories_embedding_hnsw;
ALTER TABLE memories ALTER COLUMN embedding TYPE vector;
ALTER TABLE memories ADD COLUMN embedding_dims integer;
UPDATE memories SET embedding_dims = vector_dims(embedding);
ALTER TABLE memories ALTER COLUMN embedding_dims SET NOT NULL;
ALTER TABLE memories ADD CONSTRAINT memories_embedding_dims_check CHECK (vector_dims(embedding) = embedding_dims);
CREATE INDEX memories_embedding_hnsw_384 ON memories USING hnsw ((embedding::vector(384)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 384;
CREATE INDEX memories_embedding_hnsw_100 ON memories USING hnsw ((embedding::vector(100)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 100;

-- Roles: everyone may chat and create personas; operators also manage models and nodes.
ALTER TABLE accounts ADD COLUMN roles text[] NOT NULL DEFAULT '{consumer,creator}'
  CHECK (roles <@ ARRAY['consumer', 'creator', 'operator']::text[]);

-- The exact token ids a turn's model read and wrote (null for backends without a tokenizer of their own).
ALTER TABLE turns ADD COLUMN prompt_token_ids integer[], ADD COLUMN output_token_ids integer[], ADD COLUMN truncated_prompt_tokens integer;
