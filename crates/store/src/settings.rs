//! Settings (named values: signing keys, the admin token's hash, the population's day) and
//! the replay record replicas share.

use async_trait::async_trait;

use crate::dialect::Db;
use crate::sql::{Arg, Dialect, Sql};
use crate::store::SqlStore;
use crate::{ReplayStore, Result, SettingsStore, StoreError};

/// Sets a setting, whether or not it exists (also used inside a load's or a day's transaction).
pub(crate) fn upsert(dialect: Dialect, name: &str, value: &str) -> Sql {
    let mut q = Sql::new(dialect, "INSERT INTO settings (name, value)");
    q.values([[Arg::from(name), Arg::from(value)]]);
    q.push(" ON CONFLICT (name) DO UPDATE SET value = excluded.value");
    q
}

async fn get(db: &Db, name: &str) -> Result<Option<String>> {
    let mut q = db.sql("SELECT value FROM settings WHERE name = ");
    q.bind(name);
    db.fetch_optional(q).await?.map(|r| r.text("value")).transpose()
}

#[async_trait]
impl SettingsStore for SqlStore {
    async fn get_setting(&self, name: &str) -> Result<Option<String>> {
        get(&self.db, name).await
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        self.db.execute(upsert(self.db.dialect(), name, value)).await.map(drop)
    }

    async fn put_setting_if_absent(&self, name: &str, value: &str) -> Result<String> {
        let mut q = self.db.sql("INSERT INTO settings (name, value)");
        q.values([[Arg::from(name), Arg::from(value)]]);
        q.push(" ON CONFLICT (name) DO NOTHING");
        self.db.execute(q).await?;
        get(&self.db, name)
            .await?
            .ok_or_else(|| StoreError::Internal(format!("setting {name} vanished after insert")))
    }
}

#[async_trait]
impl ReplayStore for SqlStore {
    async fn first_use(&self, key: &str, expires: i64, now: i64) -> Result<bool> {
        // Insert, or take over an expired record; a live one makes this a replay.
        let mut q = self.db.sql("INSERT INTO replay (key, expires)");
        q.values([[Arg::from(key), Arg::from(expires)]]);
        q.push(
            " ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replay.expires < ",
        );
        q.bind(now);
        Ok(self.db.execute(q).await? == 1)
    }

    async fn prune_replay(&self, now: i64) -> Result<u64> {
        let mut q = self.db.sql("DELETE FROM replay WHERE expires < ");
        q.bind(now);
        self.db.execute(q).await
    }

    async fn count_requests(&self, name: &str, window_start: i64, n: i64) -> Result<i64> {
        let mut q = self.db.sql("INSERT INTO rate_windows (name, window_start, count)");
        q.values([[Arg::from(name), Arg::from(window_start), Arg::from(n)]]);
        q.push(" ON CONFLICT (name, window_start) DO UPDATE SET count = rate_windows.count + ");
        q.bind(n);
        q.push(" RETURNING count");
        self.db.fetch_one(q).await?.int("count")
    }

    async fn prune_rate_windows(&self, before: i64) -> Result<u64> {
        let mut q = self.db.sql("DELETE FROM rate_windows WHERE window_start < ");
        q.bind(before);
        self.db.execute(q).await
    }
}
