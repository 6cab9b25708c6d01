//! The store's own error kinds: no sqlx type crosses the crate boundary.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answers, but its schema is not the one this binary was built for.
    #[error("database unavailable: {0}")]
    SchemaMismatch(String),
    #[error("database is corrupt or not a Fjellport database: {0}")]
    Corrupt(String),
    #[error(
        "database schema version {found} is newer than this fjellport binary supports ({supported}); upgrade fjellport"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl StoreError {
    /// True when the failure lies with the caller's input (a bad URL), not the environment.
    pub fn is_usage(&self) -> bool {
        matches!(self, StoreError::BadUrl(_))
    }
}

/// SQLite's primary result codes that mean "this file is not a usable database".
const SQLITE_CORRUPT: &str = "11";
const SQLITE_NOTADB: &str = "26";
/// PostgreSQL's and SQLite's unique-violation codes.
const PG_UNIQUE: &str = "23505";
const SQLITE_CONSTRAINT_UNIQUE: &str = "2067";
const SQLITE_CONSTRAINT_PK: &str = "1555";

pub(crate) fn map_sqlx(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = db.message().to_owned();
            match code.as_str() {
                SQLITE_CORRUPT | SQLITE_NOTADB => StoreError::Corrupt(message),
                PG_UNIQUE | SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PK => {
                    StoreError::Conflict(message)
                }
                _ if code.starts_with("08") || code.starts_with("57") => {
                    StoreError::Unavailable(message)
                }
                _ => StoreError::Internal(format!("{message} (code {code})")),
            }
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for a database connection".into())
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS: {e}")),
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        sqlx::Error::Configuration(e) => StoreError::BadUrl(e.to_string()),
        other => StoreError::Internal(other.to_string()),
    }
}

pub(crate) fn map_migrate(err: sqlx::migrate::MigrateError, supported: i64) -> StoreError {
    use sqlx::migrate::MigrateError;
    match err {
        MigrateError::VersionMissing(found) | MigrateError::VersionTooNew(found, _) => {
            StoreError::SchemaTooNew { found, supported }
        }
        MigrateError::Execute(e) => map_sqlx(e),
        MigrateError::Dirty(v) => StoreError::Corrupt(format!(
            "migration {v} was interrupted; restore a backup or start a new database"
        )),
        MigrateError::VersionMismatch(v) => StoreError::Corrupt(format!(
            "applied migration {v} differs from this binary's; the database belongs to another build"
        )),
        other => StoreError::Internal(other.to_string()),
    }
}
