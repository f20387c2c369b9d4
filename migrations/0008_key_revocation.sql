-- A revoked key stops authenticating at once; rotating issues a new key and revokes the old one.
ALTER TABLE accounts ADD COLUMN key_revoked_at timestamptz;
