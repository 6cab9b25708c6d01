//! The one store type: a pool of either database behind [`Db`], with the [`Store`] trait's
//! own operations and the revision counters every aggregate bumps. Each aggregate implements
//! its trait in a module of its own (`keys`, `clients`, `persons`, `events`, `settings`).

use async_trait::async_trait;

use crate::dialect::{Db, Tx};
use crate::open::Backend;
use crate::{KeyStore, Result, Store};

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
        // A read of a real table: proves the connection *and* the schema.
        self.keys_revision().await.map(|_| ())
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn size_bytes(&self) -> Result<u64> {
        self.db.size_bytes().await
    }
}
