//! Fjellport: the binary's wiring — config, the `serve` composition, the CLI commands — as a
//! library so tests drive exactly what users run.

mod admin;
pub mod advance;
pub mod apis;
pub mod cli;
pub mod config;
mod export;
pub mod issuers;
mod nin_cmd;
mod ops;
mod output;
pub mod population;
pub mod server;
mod state;
mod trusted;
