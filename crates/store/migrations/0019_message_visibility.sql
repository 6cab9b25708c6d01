-- When a correspondence becomes visible to its recipients (SOAP's VisibleDateTime; NULL: at
-- once). Until then the message box does not show it; its sender's look-ups do.
ALTER TABLE altinn_messages ADD COLUMN visible_at BIGINT;
