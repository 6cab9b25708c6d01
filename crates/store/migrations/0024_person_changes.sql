-- The change log behind every replica's in-memory search index. A transaction that inserts,
-- rewrites or deletes persons outside a bulk load takes the next 'persons' revision as its stamp
-- and lists here the load-order numbers it touched; a replica reads what came after the last
-- stamp it applied (the row lock on the revision orders the stamps as their commits). A bulk
-- load instead grows 'person_loads' and empties the log: every index then starts over.
CREATE TABLE person_changes (
    stamp BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (stamp, seq)
);
INSERT INTO revisions (aggregate, revision) VALUES ('persons', 0);
INSERT INTO revisions (aggregate, revision) VALUES ('person_loads', 0);
