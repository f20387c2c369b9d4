-- ANALYZE of the turn path's three growing tables samples 3,000 rows instead of 30,000 (issue 12). ANALYZE reads
-- 300 rows per unit of the largest statistics target among a table's columns (default 100). Autovacuum re-analyzes a
-- table each time a tenth of it has changed, so while these tables are young (and in every load test) that is every
-- minute, in one burst on one core: 0.8 s of CPU at half the `load` preset's pace and up to 2.2 s in a `stress` run on
-- a 2-vCPU machine, and half of the turns that missed their latency target in a `stress` run came in the seconds after
-- those bursts (loadtest/README.md, *Fifteenth round*).
--
-- The tables are only ever reached by keys (ids, a conversation, an owner) through indexes whose leading columns are
-- compared for equality, so 3,000 sampled rows estimate what the planner needs. The payload columns (prompts, texts,
-- embeddings, token ids) are read, not searched (the one LIKE, over a consumer's fact texts, runs inside the rows the
-- owner's index found): they get no statistics at all, and so do not weigh on the sample.
--
-- A column added later starts at the default target and brings the 30,000-row sample back: the migration that adds
-- it sets its target too (test/medium/table-statistics.medium-spec.ts fails until it does).
DO $$
DECLARE
  target record;
BEGIN
  FOR target IN
    SELECT attrelid::regclass AS table_name, attname AS column_name
    FROM pg_attribute
    WHERE attrelid IN ('turns'::regclass, 'messages'::regclass, 'memories'::regclass) AND attnum > 0 AND NOT attisdropped
  LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS 10', target.table_name, target.column_name);
  END LOOP;
END $$;

ALTER TABLE turns
  ALTER COLUMN prompt SET STATISTICS 0,
  ALTER COLUMN generation_params SET STATISTICS 0,
  ALTER COLUMN retrieved_memory_ids SET STATISTICS 0,
  ALTER COLUMN retrieved_knowledge_ids SET STATISTICS 0,
  ALTER COLUMN prompt_token_ids SET STATISTICS 0,
  ALTER COLUMN output_token_ids SET STATISTICS 0,
  ALTER COLUMN error_message SET STATISTICS 0;
ALTER TABLE messages ALTER COLUMN content SET STATISTICS 0;
ALTER TABLE memories ALTER COLUMN content SET STATISTICS 0, ALTER COLUMN embedding SET STATISTICS 0;
