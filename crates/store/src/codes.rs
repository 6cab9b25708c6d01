//! Authorization codes of the ID-porten-like issuer, by hash (a leaked table redeems nothing).

use async_trait::async_trait;

use crate::sql::Arg;
use crate::store::SqlStore;
use crate::{CodeStore, Result};

#[async_trait]
impl CodeStore for SqlStore {
    async fn put_code(&self, code_hash: &str, grant: &str, expires: i64, now: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql("DELETE FROM authorization_codes WHERE expires_at < ");
        q.bind(now);
        tx.execute(q).await?;
        let mut q = tx.sql("INSERT INTO authorization_codes (code_hash, grant_doc, expires_at)");
        q.values([[Arg::from(code_hash), Arg::from(grant), Arg::from(expires)]]);
        tx.execute(q).await?;
        tx.commit().await
    }

    async fn take_code(&self, code_hash: &str, now: i64) -> Result<Option<String>> {
        // Deleting is redeeming: of two concurrent redemptions, one gets the row.
        let mut q = self.db.sql("DELETE FROM authorization_codes WHERE code_hash = ");
        q.bind(code_hash).push(" RETURNING grant_doc, expires_at");
        match self.db.fetch_optional(q).await? {
            Some(row) if row.int("expires_at")? >= now => Ok(Some(row.text("grant_doc")?)),
            _ => Ok(None),
        }
    }
}
