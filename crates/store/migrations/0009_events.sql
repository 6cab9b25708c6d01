-- The Test-Norge event feed: one row per change to a person, in a strictly increasing order.
CREATE TABLE events (
    seq         BIGINT PRIMARY KEY NOT NULL,
    person_id   TEXT NOT NULL,
    nin         TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    occurred_on TEXT NOT NULL          -- YYYY-MM-DD, by the clock
);
CREATE INDEX events_type ON events (event_type, seq);
