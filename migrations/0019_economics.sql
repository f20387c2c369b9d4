-- Economics (docs/economics.md): wallets linked to accounts (twin-share gating), the append-only node earnings ledger,
-- and the payout epochs whose Merkle roots are posted to the NodePayouts contract.

-- One wallet per account, proven by a signed Sign-In with Ethereum message; a wallet serves one account at a time
-- (linking it again elsewhere moves it), so one holder's shares cannot open a twin to many accounts.
CREATE TABLE account_wallets (
  account_id  uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  address     text NOT NULL UNIQUE CHECK (address ~ '^0x[0-9a-f]{40}$'),
  chain_id    integer NOT NULL,
  linked_at   timestamptz NOT NULL DEFAULT now(),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER account_wallets_touch BEFORE UPDATE ON account_wallets
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- What each node earned, one row per served turn ('turn') and per re-execution done for another node ('reexec').
-- Rows are only ever added: a correction is a new row, so any total can be recomputed from the rows as of any time.
-- The unit prices in force are stored on each row, so a price-list change never rewrites history.
CREATE TABLE node_earnings (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node_address        text NOT NULL CHECK (node_address ~ '^0x[0-9a-f]{40}$'),
  kind                text NOT NULL CHECK (kind IN ('turn', 'reexec')),
  turn_id             uuid NOT NULL,
  reexecution_id      uuid,
  model_id            text NOT NULL,
  level               text NOT NULL,
  input_tokens        integer NOT NULL CHECK (input_tokens >= 0),
  output_tokens       integer NOT NULL CHECK (output_tokens >= 0),
  price_in_per_1k     numeric(78, 0) NOT NULL,
  price_out_per_1k    numeric(78, 0) NOT NULL,
  level_percent       integer NOT NULL,
  amount_wei          numeric(78, 0) NOT NULL CHECK (amount_wei >= 0),
  served_at           timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'reexec') = (reexecution_id IS NOT NULL))
);
-- Metering is idempotent: a turn is earned once by its server, a re-execution once by its checker.
CREATE UNIQUE INDEX node_earnings_turn_idx ON node_earnings (turn_id) WHERE kind = 'turn';
CREATE UNIQUE INDEX node_earnings_reexec_idx ON node_earnings (reexecution_id) WHERE kind = 'reexec';
CREATE INDEX node_earnings_node_idx ON node_earnings (node_address, served_at);

CREATE FUNCTION doppel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER node_earnings_append_only BEFORE UPDATE OR DELETE ON node_earnings
  FOR EACH ROW EXECUTE FUNCTION doppel_append_only();
CREATE TRIGGER node_earnings_no_truncate BEFORE TRUNCATE ON node_earnings
  FOR EACH STATEMENT EXECUTE FUNCTION doppel_append_only();

-- A payout epoch: cumulative earnings per node up to a ledger row, their Merkle root, and the transaction that posted it.
CREATE TABLE payout_epochs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  merkle_root      text NOT NULL CHECK (merkle_root ~ '^0x[0-9a-f]{64}$'),
  through_entry_id bigint NOT NULL,
  total_wei        numeric(78, 0) NOT NULL,
  contract_address text NOT NULL,
  chain_id         integer NOT NULL,
  tx_hash          text,
  posted_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER payout_epochs_touch BEFORE UPDATE ON payout_epochs
  FOR EACH ROW EXECUTE FUNCTION doppel_touch_updated_at();

-- Each node's leaf in an epoch's tree, with its proof, so an operator can claim without rebuilding the tree.
CREATE TABLE payout_leaves (
  epoch_id          bigint NOT NULL REFERENCES payout_epochs (id) ON DELETE CASCADE,
  node_address      text NOT NULL,
  cumulative_wei    numeric(78, 0) NOT NULL,
  proof             text[] NOT NULL,
  PRIMARY KEY (epoch_id, node_address)
);
