-- Accounts hold API keys; only a SHA-256 of the key is stored, the prefix identifies the key in logs.
CREATE TABLE accounts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  api_key_prefix  text NOT NULL UNIQUE,
  api_key_hash    text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

CREATE TABLE personas (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id            uuid NOT NULL REFERENCES accounts (id),
  visibility          text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  current_version_id  uuid,
  archived_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personas_owner_idx ON personas (owner_id, created_at DESC);
CREATE INDEX personas_public_idx ON personas (created_at DESC) WHERE visibility = 'public' AND status = 'active';
CREATE TRIGGER personas_touch BEFORE UPDATE ON personas
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- A version is the persona's full definition at one point in time, content-hashed and never changed.
CREATE TABLE persona_versions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  persona_id    uuid NOT NULL REFERENCES personas (id),
  version       integer NOT NULL CHECK (version >= 1),
  content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  definition    jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (persona_id, version)
);

ALTER TABLE personas
  ADD CONSTRAINT personas_current_version_fk FOREIGN KEY (current_version_id) REFERENCES persona_versions (id);

CREATE FUNCTION doppel_persona_versions_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'persona_versions rows are immutable; create a new version instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER persona_versions_immutable BEFORE UPDATE OR DELETE ON persona_versions
  FOR EACH ROW EXECUTE FUNCTION doppel_persona_versions_immutable();
