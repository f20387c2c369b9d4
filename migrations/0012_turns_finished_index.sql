-- The operator dashboard reads recent turns every second (turns/s, latency and queue-wait percentiles, levels over
-- the last hour), and GET /operator/verification the same windows: by finish time, through this index rather than a
-- scan of every turn ever served.
CREATE INDEX turns_finished_idx ON turns (finished_at) WHERE finished_at IS NOT NULL;
