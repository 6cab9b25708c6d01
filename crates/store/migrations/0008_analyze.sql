-- Fresh planner statistics after migration 7's new indexes: without them a search may walk a
-- large index when a small one would do.
ANALYZE persons;
