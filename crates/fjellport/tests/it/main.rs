//! Fjellport end to end: real listeners on 127.0.0.1:0, real databases, real HTTP clients, and
//! the real binary for the CLI. One test binary, so linking stays fast.

#![allow(unreachable_pub)] // helpers shared between test modules

mod admin;
mod altinn_auth;
mod altinn_contacts;
mod altinn_enduser;
mod altinn_form_schemas;
mod altinn_messages;
mod altinn_metadata;
mod altinn_portal_login;
mod altinn_roles;
mod altinn_serviceowner;
mod altinn_soap;
mod altinn_soap_administration;
mod altinn_soap_submissions;
mod altinn_submissions;
mod browser;
mod cli;
mod connections;
mod cors;
mod dpop;
mod gateway;
mod idporten;
mod interop;
mod jose_strictness;
mod key_wrap;
mod maskinporten;
mod ops;
mod population;
mod proxy;
mod proxy_changes;
mod register_rules;
mod replica_faults;
mod replicas;
mod reservations;
mod schemathesis;
mod search_replicas;
mod sqlite_kill;
mod support;
mod syntpop;
mod syntpop_life;
mod syntpop_reserved;
mod syntpop_search;
mod token;
mod topology;
mod web_altinn;
mod web_clients;
mod web_events;
mod web_home;
mod web_keys;
mod web_login;
mod web_persons;
