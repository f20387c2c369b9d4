-- The earnings meter starts each run from the newest metered row of a kind (max(served_at) WHERE kind = …): without
-- this index that was a scan of the whole append-only ledger every few seconds, growing with every turn ever served.
CREATE INDEX node_earnings_kind_served_idx ON node_earnings (kind, served_at);
