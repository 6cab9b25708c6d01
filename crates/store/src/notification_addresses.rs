//! Organizations' notification addresses (Altinn's profile `contactinformation`).

use async_trait::async_trait;

use crate::dialect::DbRow;
use crate::sql::Arg;
use crate::store::SqlStore;
use crate::{NotificationAddressStore, Result, StoredNotificationAddress};

const COLUMNS: &str = "id, orgnr, email, mobile, created_by, created_at";

fn address_of(row: &DbRow) -> Result<StoredNotificationAddress> {
    Ok(StoredNotificationAddress {
        id: row.int("id")?,
        orgnr: row.text("orgnr")?,
        email: row.opt_text("email")?,
        mobile: row.opt_text("mobile")?,
        created_by: row.text("created_by")?,
        created_at: row.int("created_at")?,
    })
}

#[async_trait]
impl NotificationAddressStore for SqlStore {
    async fn notification_addresses(&self, orgnr: &str) -> Result<Vec<StoredNotificationAddress>> {
        let mut q =
            self.db.sql(format!("SELECT {COLUMNS} FROM notification_addresses WHERE orgnr = "));
        q.bind(orgnr).push(" ORDER BY id");
        self.db.fetch_all(q).await?.iter().map(address_of).collect()
    }

    async fn insert_notification_address(
        &self,
        a: &StoredNotificationAddress,
    ) -> Result<StoredNotificationAddress> {
        let mut q = self.db.sql(
            "INSERT INTO notification_addresses (orgnr, email, mobile, created_by, created_at)",
        );
        q.values([[
            Arg::from(&a.orgnr),
            Arg::from(a.email.clone()),
            Arg::from(a.mobile.clone()),
            Arg::from(&a.created_by),
            Arg::from(a.created_at),
        ]]);
        q.push(" RETURNING id");
        let id = self.db.fetch_one(q).await?.int("id")?;
        Ok(StoredNotificationAddress { id, ..a.clone() })
    }

    async fn delete_notification_address(&self, orgnr: &str, id: i64) -> Result<bool> {
        let mut q = self.db.sql("DELETE FROM notification_addresses WHERE orgnr = ");
        q.bind(orgnr).push(" AND id = ").bind(id);
        Ok(self.db.execute(q).await? > 0)
    }
}
