-- Persons: the Persontjenesten-shaped document plus the columns searches and exports use.
CREATE TABLE persons (
    seq          BIGINT PRIMARY KEY NOT NULL,   -- load order: exports follow it
    id           TEXT NOT NULL UNIQUE,
    nin          TEXT NOT NULL UNIQUE,
    origin       TEXT NOT NULL,                 -- TestNorge | Reserved
    owner        TEXT,
    given_name   TEXT NOT NULL,
    family_name  TEXT NOT NULL,
    birth_date   TEXT NOT NULL,                 -- YYYY-MM-DD
    gender       TEXT NOT NULL,
    status       TEXT NOT NULL,
    municipality TEXT,
    postal_code  TEXT,
    doc          TEXT NOT NULL                  -- the Person as JSON
);
CREATE INDEX persons_birth ON persons (birth_date);
CREATE INDEX persons_name ON persons (family_name, given_name);
CREATE INDEX persons_municipality ON persons (municipality);
CREATE INDEX persons_postal ON persons (postal_code);
CREATE INDEX persons_status ON persons (status);
CREATE INDEX persons_origin_owner ON persons (origin, owner);
