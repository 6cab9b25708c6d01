-- Reserved persons get an index of their own, and no index leads with `origin` any more.
-- Before, `persons_origin_owner (origin, owner)` served both the caller's own reserved persons
-- and, by accident, every `origin = 'TestNorge'` search: with 1.2 million rows under one value
-- the planner's choice between it and the place index came down to how statistics were
-- sampled, and one choice walked 76,015 Oslo women to find no reserved person (a search took
-- 576 ms). The partial index holds reserved persons only (few), in load order per owner, so the
-- caller's page is read straight off it; SQLite is told to use it (`INDEXED BY`), and
-- PostgreSQL sees an index a few pages long.
DROP INDEX persons_origin_owner;
CREATE INDEX persons_reserved ON persons (owner, seq) WHERE origin = 'Reserved';
ANALYZE persons;
