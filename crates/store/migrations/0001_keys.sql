-- API keys (the Altinn model): one API, one application type; only the secret's hash is kept.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    api         TEXT NOT NULL,
    app_type    TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    secret_hint TEXT NOT NULL,
    origins     TEXT NOT NULL,          -- JSON array of normalised origins
    owner       TEXT NOT NULL,
    rate_limit  BIGINT,                 -- requests per second; NULL = the API's default
    created_at  BIGINT NOT NULL,        -- unix seconds
    expires_at  BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_api ON api_keys (api);

-- One counter per aggregate, bumped in the same transaction as every change, so each replica
-- (and a server whose database a CLI changed) notices a change with one cheap read.
CREATE TABLE revisions (
    aggregate TEXT PRIMARY KEY NOT NULL,
    revision  BIGINT NOT NULL
);
INSERT INTO revisions (aggregate, revision) VALUES ('keys', 0);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
