-- At most one turn in flight per conversation: a second turn:send while one is queued or running is refused
-- (TURN_IN_PROGRESS) instead of interleaving two replies in one history.
CREATE UNIQUE INDEX turns_one_in_flight ON turns (conversation_id) WHERE status IN ('queued', 'running');
