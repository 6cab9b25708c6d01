-- The web app's logins: a browser's session (an anonymous one while the login is under way,
-- holding its state, nonce and PKCE verifier), kept by the hash of the cookie's value so that
-- every replica knows it and logging out ends it everywhere.
CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,     -- JSON: who logged in, the CSRF token, or the pending login
    expires_at BIGINT NOT NULL    -- unix seconds
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
