//! Identity numbers through the public API: tables of known values (each with its source),
//! the allocator, and properties.

mod alloc;
mod known;
mod properties;
