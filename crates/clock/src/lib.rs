//! The one injectable clock.
//!
//! Every time rule in Fjellport (key expiry, sunset, token lifetimes, proof windows) asks a
//! [`Clock`] for "now", never the operating system directly, so `--clock 2026-09-01T00:00:00Z`
//! can freeze the whole product the way mock-oauth2-server's `systemTime` does.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Shared handle to the process clock.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock: the default outside tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of wall time
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock frozen at one instant (`--clock`).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The clock a command should use: frozen when an instant is given, the system's otherwise.
pub fn from_option(frozen: Option<DateTime<Utc>>) -> SharedClock {
    match frozen {
        Some(at) => Arc::new(FixedClock(at)),
        None => Arc::new(SystemClock),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_does_not_move() {
        let at = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let clock = from_option(Some(at));
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at);
    }
}
