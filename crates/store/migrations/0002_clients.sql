-- OAuth clients of the embedded issuers (private_key_jwt only: we keep public keys, no secrets).
CREATE TABLE clients (
    client_id    TEXT PRIMARY KEY NOT NULL,
    issuer       TEXT NOT NULL,          -- helseid | maskinporten | idporten
    name         TEXT NOT NULL,
    jwks         TEXT NOT NULL,          -- JSON Web Key Set of the client's public keys
    scopes       TEXT NOT NULL,          -- JSON list of allowed scopes
    orgnr_parent TEXT,
    orgnr_child  TEXT,
    dpop_bound   BIGINT NOT NULL,        -- 1: DPoP-bound access tokens required
    created_at   BIGINT NOT NULL
);
CREATE INDEX clients_issuer ON clients (issuer);
INSERT INTO revisions (aggregate, revision) VALUES ('clients', 0);
