-- Proof and assertion ids seen recently, shared by every replica (PostgreSQL deployments), so a
-- DPoP proof replayed at another replica fails too.
CREATE TABLE replay (
    key     TEXT PRIMARY KEY NOT NULL,   -- hex of a hash of (URI, jti)
    expires BIGINT NOT NULL              -- unix seconds
);
CREATE INDEX replay_expires ON replay (expires);
