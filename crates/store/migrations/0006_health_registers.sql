-- The health registers beside each person: HPR (health personnel) and the GP register (FLR).
ALTER TABLE persons ADD COLUMN hpr_number TEXT;
ALTER TABLE persons ADD COLUMN hpr_doc TEXT;               -- the HPR record as JSON
ALTER TABLE persons ADD COLUMN is_gp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN gp_hpr TEXT;                -- HPR number of the person's GP
ALTER TABLE persons ADD COLUMN gp_since TEXT;              -- YYYY-MM-DD
CREATE UNIQUE INDEX persons_hpr ON persons (hpr_number);
CREATE INDEX persons_gp ON persons (gp_hpr);
