-- Inference nodes and their Ethereum identities. Heartbeats live in Redis; this is the durable record that
-- receipts are checked against (registered, not revoked) and where re-execution strikes are counted.
CREATE TABLE nodes (
  address       text PRIMARY KEY CHECK (address ~ '^0x[0-9a-f]{40}$'),
  node_id       text NOT NULL,
  chat_models   jsonb NOT NULL DEFAULT '[]',
  levels        text[] NOT NULL DEFAULT '{none,signed,reexec}',
  strikes       integer NOT NULL DEFAULT 0,
  turns_served  bigint NOT NULL DEFAULT 0,
  revoked_at    timestamptz,
  revoked_reason text,
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER nodes_touch BEFORE UPDATE ON nodes
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

ALTER TABLE turns
  ADD COLUMN verification_level text NOT NULL DEFAULT 'none' CHECK (verification_level IN ('none', 'signed', 'reexec', 'signed+reexec')),
  ADD COLUMN verification_ms double precision,
  ADD COLUMN node_address text;

-- One receipt per verified turn, stored with its message and never changed.
CREATE TABLE receipts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  turn_id        uuid NOT NULL UNIQUE REFERENCES turns (id) ON DELETE CASCADE,
  message_id     uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  consumer_id    uuid NOT NULL REFERENCES accounts (id),
  level          text NOT NULL,
  receipt        jsonb NOT NULL,
  transcript     jsonb NOT NULL,
  reexec_status  text CHECK (reexec_status IN ('matched', 'mismatch')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_consumer_idx ON receipts (consumer_id, created_at DESC);
CREATE FUNCTION doppel_receipts_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'receipts are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER receipts_immutable BEFORE UPDATE ON receipts
  FOR EACH ROW EXECUTE FUNCTION doppel_receipts_immutable();

-- Background spot checks and requested re-executions, with their outcome, for operators.
CREATE TABLE reexecutions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  turn_id          uuid NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
  serving_node     text NOT NULL,
  checking_node    text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('requested', 'spot_check')),
  matched          boolean NOT NULL,
  detail           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (serving_node <> checking_node)
);
CREATE INDEX reexecutions_serving_idx ON reexecutions (serving_node, created_at DESC);
