//! The web app's sessions, by the hash of the cookie's value (a leaked table logs no one in).

use async_trait::async_trait;

use crate::sql::Arg;
use crate::store::SqlStore;
use crate::{Result, SessionStore};

#[async_trait]
impl SessionStore for SqlStore {
    async fn put_session(&self, id_hash: &str, doc: &str, expires: i64, now: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql("DELETE FROM web_sessions WHERE expires_at < ");
        q.bind(now);
        tx.execute(q).await?;
        let mut q = tx.sql("INSERT INTO web_sessions (id_hash, doc, expires_at)");
        q.values([[Arg::from(id_hash), Arg::from(doc), Arg::from(expires)]]);
        q.push(
            " ON CONFLICT (id_hash) DO UPDATE SET doc = excluded.doc, \
             expires_at = excluded.expires_at",
        );
        tx.execute(q).await?;
        tx.commit().await
    }

    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<String>> {
        let mut q = self.db.sql("SELECT doc FROM web_sessions WHERE id_hash = ");
        q.bind(id_hash).push(" AND expires_at >= ").bind(now);
        match self.db.fetch_optional(q).await? {
            Some(row) => Ok(Some(row.text("doc")?)),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let mut q = self.db.sql("DELETE FROM web_sessions WHERE id_hash = ");
        q.bind(id_hash);
        Ok(self.db.execute(q).await? > 0)
    }
}
