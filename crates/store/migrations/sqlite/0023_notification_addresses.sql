-- An organization's notification addresses in Altinn's profile (`{orgNo}/profile/
-- contactinformation`): each an e-mail address or a mobile number. Ids are the database's own
-- sequence, so replicas never collide.
CREATE TABLE notification_addresses (
    id INTEGER PRIMARY KEY,
    orgnr TEXT NOT NULL,
    email TEXT,
    mobile TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notification_addresses_orgnr ON notification_addresses (orgnr, id);
