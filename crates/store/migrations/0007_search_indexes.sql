-- Indexes for the searches test teams make most (a place or an age, with a gender), ordered by
-- load order so a page of matches is read straight off the index and a count never leaves it.
DROP INDEX persons_municipality;
DROP INDEX persons_postal;
CREATE INDEX persons_municipality ON persons (municipality, gender, seq);
CREATE INDEX persons_postal ON persons (postal_code, gender, seq);
CREATE INDEX persons_gender_birth ON persons (gender, birth_date);
-- Grows whenever Test-Norge persons change (a load, a refresh), so caches know to let go.
INSERT INTO revisions (aggregate, revision) VALUES ('population', 0);
