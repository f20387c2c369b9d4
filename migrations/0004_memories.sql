-- Long-term memory: each row belongs to one persona AND one consumer, so retrieval for a prompt always
-- filters on both. The dimension is fixed here; EMBEDDING_DIM must match (checked at start-up).
CREATE TABLE memories (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  persona_id         uuid NOT NULL REFERENCES personas (id),
  consumer_id        uuid NOT NULL REFERENCES accounts (id),
  conversation_id    uuid REFERENCES conversations (id) ON DELETE CASCADE,
  source_message_id  uuid REFERENCES messages (id) ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('user_message', 'assistant_reply', 'fact')),
  content            text NOT NULL,
  content_hash       text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  embedding_model    text NOT NULL,
  embedding          vector(384) NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memories_owner_idx ON memories (persona_id, consumer_id, created_at DESC);
CREATE INDEX memories_embedding_hnsw ON memories USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE TRIGGER memories_touch BEFORE UPDATE ON memories
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();
