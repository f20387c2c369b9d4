-- Verification levels become sets (issue 17): a turn stores its set as the canonical label the receipt signs,
-- the names in registry order joined by '+' ('none', 'signed', 'signed+reexec', 'signed+tee', 'signed+reexec+tee+zk').
-- Earlier labels are already canonical, so no row changes; which names exist is the application's list
-- (libs/verification/src/levels.ts), so adding a level needs no migration.
ALTER TABLE turns DROP CONSTRAINT IF EXISTS turns_verification_level_check;
ALTER TABLE turns ADD CONSTRAINT turns_verification_level_check CHECK (verification_level ~ '^(none|[a-z]+(\+[a-z]+)*)$');

-- TEE measurements operators approved per model: the PCRs / launch digest an enclave must report before a node
-- running in it may serve that model at level tee. The measurement's encoding per platform is in docs/receipts.md.
CREATE TABLE tee_measurements (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id     text NOT NULL,
  platform     text NOT NULL CHECK (platform IN ('nitro', 'sev-snp', 'tdx')),
  measurement  text NOT NULL CHECK (measurement ~ '^[0-9a-f]{96,}$'),
  note         text,
  approved_by  uuid REFERENCES accounts (id),
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, platform, measurement)
);
CREATE TRIGGER tee_measurements_touch BEFORE UPDATE ON tee_measurements
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- The latest attestation a node presented, kept only after it verified: the document itself (so anyone can check
-- it again), what it measured and when the node bound its key into it.
CREATE TABLE node_attestations (
  node_address text PRIMARY KEY REFERENCES nodes (address) ON DELETE CASCADE,
  platform     text NOT NULL CHECK (platform IN ('nitro', 'sev-snp', 'tdx')),
  measurement  text NOT NULL,
  evidence     bytea NOT NULL,
  bound_at     timestamptz NOT NULL,
  verified_at  timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER node_attestations_touch BEFORE UPDATE ON node_attestations
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();
