-- Persona knowledge: documents a creator uploads, chunked and embedded by a worker. Shared by every consumer of the
-- persona, and kept apart from memories (which always belong to one consumer).
CREATE TABLE knowledge_documents (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  persona_id       uuid NOT NULL REFERENCES personas (id),
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  media_type       text NOT NULL CHECK (media_type IN ('text/plain', 'text/markdown')),
  content          text NOT NULL,
  content_hash     text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  bytes            integer NOT NULL CHECK (bytes > 0),
  -- Every upload of new content is a new revision; only the job for the current revision may swap the chunks.
  revision         integer NOT NULL DEFAULT 1 CHECK (revision > 0),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
  error            text,
  -- The revision the stored chunks were cut from (null until the first one is ready): older chunks keep serving
  -- while a newer revision is pending.
  indexed_revision integer,
  chunk_count      integer NOT NULL DEFAULT 0,
  embedding_model  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_documents_persona_idx ON knowledge_documents (persona_id, created_at DESC);
CREATE TRIGGER knowledge_documents_touch BEFORE UPDATE ON knowledge_documents
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- Like memories: one table for every embedding dimension, a partial HNSW index per dimension, and every query
-- filters on persona and embedding model so vectors of different models are never compared.
CREATE TABLE knowledge_chunks (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_id      uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
  persona_id       uuid NOT NULL REFERENCES personas (id),
  revision         integer NOT NULL,
  ordinal          integer NOT NULL CHECK (ordinal >= 0),
  content          text NOT NULL,
  content_hash     text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  embedding_model  text NOT NULL,
  embedding_dims   integer NOT NULL,
  embedding        vector NOT NULL CHECK (vector_dims(embedding) = embedding_dims),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (document_id, ordinal)
);
CREATE INDEX knowledge_chunks_persona_idx ON knowledge_chunks (persona_id, embedding_model);
CREATE INDEX knowledge_chunks_embedding_hnsw_384 ON knowledge_chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 384;
CREATE INDEX knowledge_chunks_embedding_hnsw_100 ON knowledge_chunks USING hnsw ((embedding::vector(100)) vector_cosine_ops)
  WITH (m = 16, ef_construction = 64) WHERE embedding_dims = 100;
CREATE TRIGGER knowledge_chunks_touch BEFORE UPDATE ON knowledge_chunks
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- Which knowledge chunks a turn's prompt used, next to retrieved_memory_ids.
ALTER TABLE turns ADD COLUMN retrieved_knowledge_ids uuid[] NOT NULL DEFAULT '{}';
