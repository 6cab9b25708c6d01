-- HelseID's multi-tenant clients (a supplier's client acting for many organizations, which it
-- names per token); 0 for the single-tenant clients registered before.
ALTER TABLE clients ADD COLUMN multi_tenant BIGINT NOT NULL DEFAULT 0;
-- The organizations that delegated to a multi-tenant client's supplier (JSON list of
-- organization numbers); an empty list accepts any.
ALTER TABLE clients ADD COLUMN delegations TEXT NOT NULL DEFAULT '[]';
