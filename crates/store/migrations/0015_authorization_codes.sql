-- The ID-porten-like issuer logs end users in with the authorization-code flow: each client
-- registers the exact redirect URIs it may use (JSON list; empty for machine clients).
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';
-- Codes handed out at /idporten/authorize, kept (by their hash) until redeemed once or
-- expired, so a code issued by one replica is redeemed at any other.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    grant_doc TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
