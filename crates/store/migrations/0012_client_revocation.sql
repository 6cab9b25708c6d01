-- A client can be revoked: its token requests fail from then on (tokens it already holds stay
-- valid until they expire, as at HelseID). The row is kept, so its history and id stay known.
ALTER TABLE clients ADD COLUMN revoked_at BIGINT;
