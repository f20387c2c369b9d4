-- The turns whose memories are still to be written move from a mark on `turns` to a narrow table of their own
-- (issue 12). The mark (memories_written_at, set by the memory batch) was a third rewrite of every turn's row after
-- the claim and the record: ~1.8 KB copied, three index entries and ~1.3 KB of WAL a turn, and one more dead row
-- for vacuum. Now the turn's record inserts its backlog row in the same statement, and the memory batch deletes the
-- rows it writes in its transaction: `turns` is written three times a turn (intake, claim, record) instead of four.
--
-- No foreign key to `turns`: its check would lock the turn's row once more in every record. A row whose turn is
-- gone (its conversation was deleted) is harmless and goes by itself: the claim and the pending count join or key on
-- live conversations, and the sweep takes it like any orphan, finds no turn and writes nothing.
CREATE TABLE memory_backlog (
  turn_id          uuid PRIMARY KEY,
  -- The turn's, copied so that the next turn's claim and the sweep find pending rows without reading `turns`.
  conversation_id  uuid NOT NULL,
  embedding_model  text NOT NULL,
  finished_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX memory_backlog_conversation_idx ON memory_backlog (conversation_id);

INSERT INTO memory_backlog (turn_id, conversation_id, embedding_model, finished_at)
SELECT id, conversation_id, embedding_model_id, finished_at
FROM turns
WHERE status = 'done' AND memories_written_at IS NULL AND embedding_model_id IS NOT NULL;

DROP INDEX turns_memories_pending_idx;
ALTER TABLE turns DROP COLUMN memories_written_at;
