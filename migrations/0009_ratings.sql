-- A consumer's rating of one assistant reply (1–5); creators see only aggregates per persona.
CREATE TABLE message_ratings (
  message_id   uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  consumer_id  uuid NOT NULL REFERENCES accounts (id),
  persona_id   uuid NOT NULL REFERENCES personas (id),
  score        smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_ratings_persona_idx ON message_ratings (persona_id);
CREATE TRIGGER message_ratings_touch BEFORE UPDATE ON message_ratings
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();
