//! API management as layers: what SyntPop and Altinn *configure*, never re-implement.
//!
//! [`gateway::Gateway`] wraps one API's router with key, CORS, version and rate-limit rules;
//! [`problem`] is the single exit for errors; [`observe::finish`] ids, traces, finalizes and
//! counts every response.

pub mod caller;
pub mod cors;
pub mod extract;
pub mod gateway;
pub mod input;
pub mod keys;
pub mod observe;
pub mod problem;
pub mod ratelimit;
pub mod version;

pub use caller::Caller;
pub use gateway::{ApiSpec, Gateway};
pub use keys::KeyCache;
pub use problem::Problem;
