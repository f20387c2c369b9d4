CREATE TABLE conversations (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  persona_id          uuid NOT NULL REFERENCES personas (id),
  persona_version_id  uuid NOT NULL REFERENCES persona_versions (id),
  consumer_id         uuid NOT NULL REFERENCES accounts (id),
  last_message_at     timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_consumer_idx ON conversations (consumer_id, last_message_at DESC, id);
CREATE TRIGGER conversations_touch BEFORE UPDATE ON conversations
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- position orders messages globally and serves as the pagination cursor.
CREATE TABLE messages (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  position         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('user', 'assistant')),
  content          text NOT NULL,
  turn_id          uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, position);
CREATE TRIGGER messages_touch BEFORE UPDATE ON messages
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- One row per accepted turn: its lifecycle, the node that served it, the prompt it built, and each stage's time.
CREATE TABLE turns (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id       uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  consumer_id           uuid NOT NULL REFERENCES accounts (id),
  persona_version_id    uuid NOT NULL REFERENCES persona_versions (id),
  client_turn_id        text NOT NULL CHECK (length(client_turn_id) BETWEEN 1 AND 64),
  user_message_id       uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  assistant_message_id  uuid REFERENCES messages (id) ON DELETE SET NULL,
  status                text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  attempts              integer NOT NULL DEFAULT 0,
  worker_id             text,
  model_id              text,
  model_hash            text,
  embedding_model_id    text,
  generation_params     jsonb,
  prompt                jsonb,
  retrieved_memory_ids  uuid[] NOT NULL DEFAULT '{}',
  prompt_tokens         integer,
  completion_tokens     integer,
  error_code            text,
  error_message         text,
  queued_at             timestamptz NOT NULL DEFAULT now(),
  started_at            timestamptz,
  retrieved_at          timestamptz,
  first_token_at        timestamptz,
  finished_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, client_turn_id),
  CHECK (status <> 'done' OR (assistant_message_id IS NOT NULL AND finished_at IS NOT NULL))
);
CREATE INDEX turns_status_idx ON turns (status, queued_at) WHERE status IN ('queued', 'running');
CREATE TRIGGER turns_touch BEFORE UPDATE ON turns
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

ALTER TABLE messages ADD CONSTRAINT messages_turn_fk FOREIGN KEY (turn_id) REFERENCES turns (id) ON DELETE SET NULL
  DEFERRABLE INITIALLY DEFERRED;
