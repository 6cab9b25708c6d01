//! Altinn's SOAP systems (service owners' and end-user systems' logins), by user name.

use async_trait::async_trait;

use crate::dialect::DbRow;
use crate::model::StoredSystem;
use crate::sql::Arg;
use crate::store::SqlStore;
use crate::{Result, SystemStore};

const COLUMNS: &str = "user_name, password_hash, kind, owner, system_user_code, created_at";

fn system_of(row: &DbRow) -> Result<StoredSystem> {
    Ok(StoredSystem {
        user_name: row.text("user_name")?,
        password_hash: row.text("password_hash")?,
        kind: row.text("kind")?,
        owner: row.text("owner")?,
        system_user_code: row.text("system_user_code")?,
        created_at: row.int("created_at")?,
    })
}

#[async_trait]
impl SystemStore for SqlStore {
    async fn insert_system(&self, s: &StoredSystem) -> Result<()> {
        let mut q = self.db.sql(format!("INSERT INTO altinn_systems ({COLUMNS})"));
        q.values([[
            Arg::from(&s.user_name),
            Arg::from(&s.password_hash),
            Arg::from(&s.kind),
            Arg::from(&s.owner),
            Arg::from(&s.system_user_code),
            Arg::from(s.created_at),
        ]]);
        self.db.execute(q).await.map(drop)
    }

    async fn system(&self, user_name: &str) -> Result<Option<StoredSystem>> {
        let mut q = self.db.sql(format!("SELECT {COLUMNS} FROM altinn_systems WHERE user_name = "));
        q.bind(user_name);
        self.db.fetch_optional(q).await?.as_ref().map(system_of).transpose()
    }

    async fn systems(&self) -> Result<Vec<StoredSystem>> {
        let q = self
            .db
            .sql(format!("SELECT {COLUMNS} FROM altinn_systems ORDER BY created_at, user_name"));
        self.db.fetch_all(q).await?.iter().map(system_of).collect()
    }
}
