//! The one store type: a pool of either database behind [`Db`], with the [`Store`] trait's
//! own operations and the revision counters every aggregate bumps. Each aggregate implements
//! its trait in a module of its own (`keys`, `clients`, `persons`, `events`, `settings`).

use async_trait::async_trait;

use crate::dialect::{Db, Tx};
use crate::open::Backend;
use crate::{KeyStore, Result, Store, StoreError};

#[derive(Debug)]
pub(crate) struct SqlStore {
    pub(crate) db: Db,
    /// SQLite's group commit for new messages (`None`: each insert is its own transaction).
    pub(crate) message_writer: Option<crate::message_writer::MessageWriter>,
    /// A serving SQLite file's WAL checkpoints (`None`: SQLite's automatic ones).
    pub(crate) checkpointer: Option<crate::checkpoint::Checkpointer>,
}

impl SqlStore {
    pub(crate) fn new(db: Db) -> SqlStore {
        SqlStore { db, message_writer: None, checkpointer: None }
    }
}

/// Bumps the revision of `aggregate` inside `tx`: readers that cache it notice the change.
pub(crate) async fn bump_revision(tx: &mut Tx, aggregate: &str) -> Result<()> {
    let mut q = tx.sql("UPDATE revisions SET revision = revision + 1 WHERE aggregate = ");
    q.bind(aggregate);
    tx.execute(q).await.map(drop)
}

/// The revision of `aggregate` (0 before its first change).
pub(crate) async fn revision(db: &Db, aggregate: &str) -> Result<i64> {
    let mut q = db.sql("SELECT revision FROM revisions WHERE aggregate = ");
    q.bind(aggregate);
    db.fetch_optional(q).await?.map_or(Ok(0), |r| r.int("revision"))
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    async fn ping(&self) -> Result<()> {
        // The schema's version, read from the database: proves the connection, and that the
        // schema is the one this binary was built for (a database restored from an older
        // backup, or migrated by a newer replica, is not one this replica should serve).
        // And a read of a table the schema made.
        self.keys_revision().await?;
        let q = self.db.sql(
            "SELECT COALESCE(MAX(version), 0) AS n FROM _sqlx_migrations WHERE success = TRUE",
        );
        let found = self.db.fetch_one(q).await?.int("n")?;
        let wanted = crate::migrate::latest_version();
        if found != wanted {
            return Err(StoreError::SchemaMismatch(format!(
                "the database schema is at version {found}, this binary's is {wanted}: {}",
                if found < wanted {
                    "restart this replica to migrate it"
                } else {
                    "upgrade this replica"
                }
            )));
        }
        Ok(())
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn size_bytes(&self) -> Result<u64> {
        self.db.size_bytes().await
    }
}
