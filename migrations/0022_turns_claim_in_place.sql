-- The claim (queued -> running) becomes an update PostgreSQL can make in place (issue 12). A HOT update writes no
-- index entry and leaves no dead index tuple, but only when no indexed column changes, and a column that a partial
-- index's WHERE names counts as indexed. Both indexes of unfinished turns were keyed on `status`, so every claim
-- wrote a new entry in all four indexes of `turns` (and ~0.6 KB of WAL) for a row whose keys had not moved.
-- "Unfinished" is now "finished_at IS NULL", which every path that ends a turn sets (done, failed, overdue, unqueued)
-- and which the claim does not touch; the check below keeps the two meanings from drifting apart.
UPDATE turns SET finished_at = updated_at WHERE status IN ('done', 'failed') AND finished_at IS NULL;
ALTER TABLE turns ADD CONSTRAINT turns_unfinished_until_final CHECK ((finished_at IS NULL) = (status IN ('queued', 'running')));

DROP INDEX turns_one_in_flight;
CREATE UNIQUE INDEX turns_one_in_flight ON turns (conversation_id) WHERE finished_at IS NULL;
DROP INDEX turns_status_idx;
-- The deadline sweep's and the operator view's way to the turns still queued or running.
CREATE INDEX turns_unfinished_idx ON turns (queued_at) WHERE finished_at IS NULL;

-- Room on each page for the claim's new version of a row inserted there moments before (a HOT update must stay on
-- its page). The record's version (~1.8 KB, the prompt inline) is not HOT either way: it sets finished_at.
ALTER TABLE turns SET (fillfactor = 80);
