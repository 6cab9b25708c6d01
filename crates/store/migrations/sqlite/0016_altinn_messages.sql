-- Altinn's message box: correspondence (and, later, submissions) per reportee, with the
-- members its lists filter on as columns and the rest as a JSON document. Ids are the
-- database's own sequence, so concurrent senders on several replicas never collide.
CREATE TABLE altinn_messages (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    reportee TEXT NOT NULL,
    service_owner TEXT NOT NULL,
    service_owner_name TEXT NOT NULL,
    service_code TEXT NOT NULL,
    service_edition BIGINT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_changed_at BIGINT NOT NULL,
    last_changed_by TEXT NOT NULL,
    confirmation_needed BIGINT NOT NULL DEFAULT 0,
    confirmed_at BIGINT,
    doc TEXT NOT NULL
);
CREATE INDEX altinn_messages_reportee ON altinn_messages (reportee, seq);
-- What happened to correspondence, for the service owners' event feed.
CREATE TABLE altinn_events (
    seq INTEGER PRIMARY KEY,
    event_type TEXT NOT NULL,
    message_seq BIGINT NOT NULL,
    reportee TEXT NOT NULL,
    service_owner TEXT NOT NULL,
    service_code TEXT NOT NULL,
    service_edition BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX altinn_events_owner ON altinn_events (service_owner, seq);
