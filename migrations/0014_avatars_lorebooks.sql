-- Avatars: one row per picture, named by the sha256 of its re-encoded PNG. A persona version names its avatar by
-- that hash, so a card exported with its picture and imported again points at the same row. Rows never change.
CREATE TABLE avatars (
  hash        text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
  png         bytea NOT NULL,
  -- WebP, at most 320x480, for galleries.
  thumbnail   bytea NOT NULL,
  width       integer NOT NULL CHECK (width > 0),
  height      integer NOT NULL CHECK (height > 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Standalone lorebooks (World Info): a creator's own, attached to any of their personas. An attached book is copied
-- into each persona's new version, so a version keeps the entries it was made with; editing a book makes new
-- versions of the personas it is attached to.
CREATE TABLE lorebooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id      uuid NOT NULL REFERENCES accounts (id),
  book          jsonb NOT NULL,
  content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lorebooks_owner_idx ON lorebooks (owner_id, created_at DESC);
CREATE TRIGGER lorebooks_touch BEFORE UPDATE ON lorebooks
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

CREATE TABLE persona_lorebooks (
  persona_id   uuid NOT NULL REFERENCES personas (id),
  lorebook_id  uuid NOT NULL REFERENCES lorebooks (id) ON DELETE CASCADE,
  attached_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (persona_id, lorebook_id)
);
CREATE INDEX persona_lorebooks_lorebook_idx ON persona_lorebooks (lorebook_id);
