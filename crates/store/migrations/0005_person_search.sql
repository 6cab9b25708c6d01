-- What SyntPop searches filter on, beside the document, and the numbers ever reserved.
ALTER TABLE persons ADD COLUMN nin_type TEXT NOT NULL DEFAULT 'NationalIdentityNumber';
ALTER TABLE persons ADD COLUMN marital_status TEXT NOT NULL DEFAULT 'Unspecified';
ALTER TABLE persons ADD COLUMN citizenship TEXT;
ALTER TABLE persons ADD COLUMN confidentiality TEXT;
ALTER TABLE persons ADD COLUMN has_spouse BIGINT NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN children BIGINT NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN has_parents BIGINT NOT NULL DEFAULT 0;
-- Grows with every edit: writers compare it, so concurrent edits never overwrite each other.
ALTER TABLE persons ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE INDEX persons_citizenship ON persons (citizenship);
CREATE INDEX persons_nin_type ON persons (nin_type);

-- Every number ever handed to a reserved person: a released number is never reissued.
CREATE TABLE reserved_nins (
    nin         TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    reserved_at BIGINT NOT NULL
);

-- Persons stored before this migration have default search facts: the server re-derives them
-- from each document at its next start.
INSERT INTO settings (name, value) SELECT 'persons_reindex', '1' WHERE EXISTS (SELECT 1 FROM persons);
