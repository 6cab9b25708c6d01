-- HelseID's multi-tenant clients (a supplier's client acting for many organizations, which it
-- names per token); 0 for the single-tenant clients registered before.
ALTER TABLE clients ADD COLUMN multi_tenant BIGINT NOT NULL DEFAULT 0;
