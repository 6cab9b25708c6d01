-- Altinn's SOAP systems: a service owner's or end-user system's user name and password (as a
-- SHA-256 hash of a generated 256-bit secret), and the correspondence's sender reference
-- (ExternalShipmentReference), which service owners look their shipments up by.
CREATE TABLE altinn_systems (
    user_name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    system_user_code TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
ALTER TABLE altinn_messages ADD COLUMN senders_reference TEXT;
CREATE INDEX altinn_messages_owner ON altinn_messages (service_owner, seq);
CREATE INDEX altinn_messages_reference ON altinn_messages (service_owner, senders_reference);
CREATE INDEX altinn_events_message ON altinn_events (message_seq, seq);
