-- Receipt settlement (docs/receipts.md, "Settlement"): batches of receipts whose Merkle root is posted to
-- ReceiptRegistry, and each receipt's place in its batch. Owned by libs/settlement's SettlementRepository.
CREATE TABLE settlement_batches (
  id             bigserial PRIMARY KEY,
  root           text NOT NULL CHECK (root ~ '^0x[0-9a-f]{64}$'),
  receipt_count  integer NOT NULL CHECK (receipt_count > 0),
  tx_hash        text,
  block_number   bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  posted_at      timestamptz
);
CREATE INDEX settlement_batches_unposted_idx ON settlement_batches (id) WHERE tx_hash IS NULL;

-- A receipt is in at most one batch.
CREATE TABLE receipt_settlements (
  receipt_id  uuid PRIMARY KEY REFERENCES receipts (id) ON DELETE CASCADE,
  batch_id    bigint NOT NULL REFERENCES settlement_batches (id) ON DELETE CASCADE,
  leaf_index  integer NOT NULL CHECK (leaf_index >= 0),
  leaf        text NOT NULL,
  UNIQUE (batch_id, leaf_index)
);
