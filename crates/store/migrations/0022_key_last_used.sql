-- When each API key was last accepted (unix seconds), noted by every replica's key cache at
-- most once a poll and only ever moved forward; it does not bump the keys revision (a use is
-- not a change of the key).
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
