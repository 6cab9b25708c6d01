-- Requests counted per caller and one-second window, shared by every replica (PostgreSQL
-- deployments), so a key's rate limit holds across replicas rather than per replica.
CREATE TABLE rate_windows (
    name         TEXT NOT NULL,     -- who is limited: "key:<id>" or "client:<id>"
    window_start BIGINT NOT NULL,   -- unix seconds (wall clock) the window began
    count        BIGINT NOT NULL,   -- requests seen in it so far
    PRIMARY KEY (name, window_start)
);
CREATE INDEX rate_windows_start ON rate_windows (window_start);
