//! Fjellport: the binary's wiring — config, the `serve` composition, the CLI commands — as a
//! library so tests drive exactly what users run.

mod admin;
pub mod advance;
mod altinn_cmd;
pub mod apis;
pub mod cli;
mod clients_cmd;
pub mod config;
pub mod db_gate;
mod export;
mod issuer_cmd;
pub mod issuers;
mod keys_cmd;
pub mod listener;
mod nin_cmd;
mod ops;
mod output;
pub mod population;
mod population_cmd;
mod route_case;
pub mod server;
mod state;
mod trusted;
mod web;
