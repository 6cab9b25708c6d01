//! API keys. Every change bumps the `keys` revision in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::dialect::DbRow;
use crate::model::{from_secs, to_secs};
use crate::sql::Arg;
use crate::store::{SqlStore, bump_revision};
use crate::{KeyStore, Result, StoreError, StoredKey};

const COLUMNS: [&str; 12] = [
    "id",
    "api",
    "app_type",
    "secret_hash",
    "secret_hint",
    "origins",
    "owner",
    "rate_limit",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
];

fn args(k: &StoredKey) -> [Arg; 12] {
    [
        Arg::from(&k.id),
        Arg::from(&k.api),
        Arg::from(&k.app_type),
        Arg::from(&k.secret_hash),
        Arg::from(&k.secret_hint),
        Arg::from(serde_json::to_string(&k.origins).unwrap_or_else(|_| "[]".into())),
        Arg::from(&k.owner),
        Arg::from(k.rate_limit.map(i64::from)),
        Arg::from(to_secs(k.created_at)),
        Arg::from(k.expires_at.map(to_secs)),
        Arg::from(k.revoked_at.map(to_secs)),
        Arg::from(k.last_used_at.map(to_secs)),
    ]
}

fn key_of(row: &DbRow) -> Result<StoredKey> {
    let origins = row.text("origins")?;
    Ok(StoredKey {
        id: row.text("id")?,
        api: row.text("api")?,
        app_type: row.text("app_type")?,
        secret_hash: row.text("secret_hash")?,
        secret_hint: row.text("secret_hint")?,
        origins: serde_json::from_str(&origins).map_err(|e| {
            StoreError::Corrupt(format!("api_keys.origins is not a JSON list: {e}"))
        })?,
        owner: row.text("owner")?,
        rate_limit: row.opt_int("rate_limit")?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        created_at: from_secs(row.int("created_at")?),
        expires_at: row.opt_int("expires_at")?.map(from_secs),
        revoked_at: row.opt_int("revoked_at")?.map(from_secs),
        last_used_at: row.opt_int("last_used_at")?.map(from_secs),
    })
}

impl SqlStore {
    async fn select_key(&self, id: &str) -> Result<StoredKey> {
        let mut q = self.db.sql(format!("SELECT {} FROM api_keys WHERE id = ", COLUMNS.join(", ")));
        q.bind(id);
        match self.db.fetch_optional(q).await? {
            Some(row) => key_of(&row),
            None => Err(StoreError::NotFound { what: "API key", id: id.to_owned() }),
        }
    }

    /// Sets `revoked_at` of one row of `table` once (a second revocation keeps the first
    /// instant) and bumps `aggregate`'s revision when it changed.
    pub(crate) async fn revoke_row(
        &self,
        table: &str,
        id_column: &str,
        aggregate: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql(format!("UPDATE {table} SET revoked_at = "));
        q.bind(to_secs(at));
        q.push(&format!(" WHERE revoked_at IS NULL AND {id_column} = ")).bind(id);
        if tx.execute(q).await? > 0 {
            bump_revision(&mut tx, aggregate).await?;
        }
        tx.commit().await
    }
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn insert_key(&self, key: &StoredKey) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql(format!("INSERT INTO api_keys ({})", COLUMNS.join(", ")));
        q.values([args(key)]);
        tx.execute(q).await?;
        bump_revision(&mut tx, "keys").await?;
        tx.commit().await
    }

    async fn list_keys(&self) -> Result<Vec<StoredKey>> {
        let q = self
            .db
            .sql(format!("SELECT {} FROM api_keys ORDER BY created_at, id", COLUMNS.join(", ")));
        self.db.fetch_all(q).await?.iter().map(key_of).collect()
    }

    async fn get_key(&self, id: &str) -> Result<StoredKey> {
        self.select_key(id).await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<StoredKey> {
        self.revoke_row("api_keys", "id", "keys", id, at).await?;
        self.select_key(id).await
    }

    async fn note_key_uses(&self, uses: &[(String, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for (id, at) in uses {
            // Only forward: another replica may have noted a later use already.
            let at = to_secs(*at);
            let mut q = tx.sql("UPDATE api_keys SET last_used_at = ");
            q.bind(at).push(" WHERE id = ").bind(id.as_str());
            q.push(" AND (last_used_at IS NULL OR last_used_at < ").bind(at).push(")");
            tx.execute(q).await?;
        }
        tx.commit().await
    }

    async fn keys_revision(&self) -> Result<i64> {
        let mut q = self.db.sql("SELECT revision FROM revisions WHERE aggregate = ");
        q.bind("keys");
        // Read strictly (not `revision`'s 0 when absent): `ping` relies on this proving the
        // schema is there.
        self.db.fetch_one(q).await?.int("revision")
    }
}
