-- The synthetic Enhetsregister: organizations and the roles persons hold in them.
CREATE TABLE organizations (
    seq          BIGINT PRIMARY KEY NOT NULL,   -- load order: exports follow it
    orgnr        TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    form         TEXT NOT NULL,
    industry     TEXT NOT NULL,
    municipality TEXT NOT NULL,
    doc          TEXT NOT NULL                  -- the Organization as JSON
);
CREATE TABLE organization_roles (
    orgnr TEXT NOT NULL,
    nin   TEXT NOT NULL,
    role  TEXT NOT NULL
);
CREATE INDEX organization_roles_nin ON organization_roles (nin);
CREATE INDEX organization_roles_orgnr ON organization_roles (orgnr);
