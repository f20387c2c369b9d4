-- Memories leave the critical path of a turn (issue 12).
--
-- 1. Memories are always searched within one persona + consumer pair: a few to a few thousand rows, which the owner
--    index finds and an exact distance sort ranks in well under a millisecond. A table-wide HNSW graph was the wrong
--    tool for so selective a filter, and keeping it cost every turn two graph insertions (14 ms of PostgreSQL time
--    per turn at 2,000 agents, 90 % of the database's work). Knowledge chunks keep their HNSW index: they are shared
--    by every consumer of a persona and written once, off the turn path.
DROP INDEX IF EXISTS memories_embedding_hnsw_384;
DROP INDEX IF EXISTS memories_embedding_hnsw_100;

-- 2. A turn's memories are written after its reply is committed and sent, in batches across turns. A finished turn
--    whose memories are not written yet is found through this partial index: by the conversation's next turn (which
--    writes them first, so turn N's memories are always in turn N+1's prompt) and by the sweeper after a crash.
ALTER TABLE turns ADD COLUMN memories_written_at timestamptz;
UPDATE turns SET memories_written_at = finished_at WHERE status = 'done';
CREATE INDEX turns_memories_pending_idx ON turns (conversation_id) WHERE status = 'done' AND memories_written_at IS NULL;
