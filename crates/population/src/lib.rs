//! Fjellport's synthetic Norwegian population, without I/O: the person model in
//! Persontjenesten's shape ([`model`]) and a deterministic generator ([`generate`]) drawing on
//! real municipalities, postal codes and names (see `data/SOURCES.md`), and real street
//! addresses when the user supplies Kartverket's address file ([`addresses`]).

pub mod addresses;
pub mod data;
pub mod generate;
pub mod life;
pub mod model;
pub mod organizations;
pub mod pyramid;
pub mod registers;
pub mod reserve;
pub mod simulate;
pub mod text_rules;

pub use generate::{Generator, Options, generate, ordinary_name};
pub use model::Person;
