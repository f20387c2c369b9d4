-- The card's task repeated on its postings, so that a search filtered by task (the hub page's main filter) reads
-- its postings from their own (lexeme, task, impact) index without visiting hub_search for each one. At 10,000
-- cards a task-filtered search went from p95 31 ms to 21 ms (scripts/bench/hub-search-bench.ts).
ALTER TABLE hub_search_postings ADD COLUMN task text;
UPDATE hub_search_postings p SET task = s.task FROM hub_search s WHERE s.name = p.name;
ALTER TABLE hub_search_postings ALTER COLUMN task SET NOT NULL;
CREATE INDEX hub_search_postings_task_idx ON hub_search_postings (lexeme, task, impact DESC) INCLUDE (name);
