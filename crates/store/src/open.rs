//! Opening a database from a URL: connect, tune, migrate.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::dialect::Db;
use crate::error::{map_migrate, map_sqlx};
use crate::migrate::{latest_version, migrator};
use crate::store::SqlStore;
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Statements slower than this are logged — at info level: index builds during a bulk load
/// take seconds by design and must not read as warnings.
const SLOW_STATEMENT: Duration = Duration::from_secs(2);
/// Page size of a new SQLite file. A stored person is about 1.3 kB (its document packed), so
/// 4 KiB pages hold two or three and waste much of the rest; 16 KiB pages hold a dozen. (It
/// takes effect only when the file is created: an existing database keeps its own.)
const PAGE_SIZE: u32 = 16384;
const SLOW_LEVEL: log::LevelFilter = log::LevelFilter::Info;
/// How long a SQLite connection waits for another writer's lock.
pub(crate) const BUSY_TIMEOUT_MS: u64 = 5_000;

/// SQLite files a server reads through a memory map of this much: a search that misses the
/// caches reads many 16 KiB index pages, and copying each into a connection's small page cache
/// made such a search 2.6 times slower. Address space backed by the kernel's page cache; SQLite
/// caps it at its compile-time limit (2 GiB) and reads the rest of a larger file as before.
/// Not for commands: a load or replace reads the whole file, and mapped pages count as the
/// process's memory (3 GB for a 1.2-million replace).
const SERVING_MMAP_BYTES: u64 = 1 << 32;

/// Opens (creating if needed) and migrates the database named by `url`:
/// `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:`, a bare file path, or `postgres://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_as(url, false).await
}

/// [`open`] for a long-running server (SQLite reads through a memory map).
pub async fn open_serving(url: &str) -> Result<Arc<dyn Store>> {
    open_as(url, true).await
}

async fn open_as(url: &str, serving: bool) -> Result<Arc<dyn Store>> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(open_postgres(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(open_sqlite(url, serving).await?))
    } else if url.contains("://") {
        Err(StoreError::BadUrl(format!(
            "unsupported database URL {:?}: use sqlite:PATH, sqlite::memory: or postgres://…",
            redact(url)
        )))
    } else if url.is_empty() {
        Err(StoreError::BadUrl("the database URL is empty".into()))
    } else {
        Ok(Arc::new(open_sqlite(&format!("sqlite:{url}"), serving).await?))
    }
}

/// Creates a new database file readable and writable by its owner only (`0600`): it holds the
/// issuers' private signing keys. SQLite gives the WAL and shared-memory files the database
/// file's permissions. An existing file keeps its own.
fn create_private(path: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StoreError::Unavailable(format!(
                "cannot create SQLite database {}: {e}",
                path.display()
            ))),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

pub(crate) async fn open_sqlite(url: &str, serving: bool) -> Result<SqlStore> {
    let memory = url.contains(":memory:") || url.contains("mode=memory");
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(format!("{url}: {e}")))?
        .create_if_missing(true)
        .page_size(PAGE_SIZE)
        .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
        .foreign_keys(true)
        .log_slow_statements(SLOW_LEVEL, SLOW_STATEMENT);
    if !memory {
        create_private(options.get_filename())?;
    }
    let options = if memory {
        options
    } else {
        options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("mmap_size", if serving { SERVING_MMAP_BYTES } else { 0 }.to_string())
            // A server checkpoints in a task of its own (`checkpoint`), not in commits.
            .pragma("wal_autocheckpoint", if serving { "0" } else { "1000" })
            // …and the WAL file shrinks back to this after it starts over.
            .pragma("journal_size_limit", (64u64 << 20).to_string())
    };
    // An in-memory database lives as long as its one connection: keep exactly one, forever.
    let pool_options = if memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(8)
    };
    let pool =
        pool_options.acquire_timeout(Duration::from_secs(10)).connect_with(options).await.map_err(
            |e| match map_sqlx(e) {
                StoreError::Internal(m) | StoreError::Unavailable(m) => {
                    StoreError::Unavailable(format!("cannot open SQLite database {url}: {m}"))
                }
                other => other,
            },
        )?;
    migrator(false).run(&pool).await.map_err(|e| map_migrate(e, latest_version()))?;
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    let mut checkpointer = None;
    if serving && !memory {
        checkpointer = Some(crate::checkpoint::Checkpointer::start(pool.clone(), gate.clone()));
    }
    let mut store = SqlStore::new(Db::Sqlite(pool));
    store.message_writer =
        Some(crate::message_writer::MessageWriter::start(store.db.clone(), gate));
    store.checkpointer = checkpointer;
    store.refresh_person_facts().await?;
    Ok(store)
}

pub(crate) async fn open_postgres(url: &str) -> Result<SqlStore> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::BadUrl(format!("{}: {e}", redact(url))))?
        // Our statements are short: JIT compilation only added milliseconds to each count.
        .options([("jit", "off")])
        .log_slow_statements(SLOW_LEVEL, SLOW_STATEMENT);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| match map_sqlx(e) {
            StoreError::Internal(m) | StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("cannot reach PostgreSQL at {}: {m}", redact(url)))
            }
            other => other,
        })?;
    migrator(true).run(&pool).await.map_err(|e| map_migrate(e, latest_version()))?;
    let store = SqlStore::new(Db::Postgres(pool));
    store.refresh_person_facts().await?;
    Ok(store)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("[redacted]"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
