//! A bulk load of persons (and, for Test-Norge, the organizations they founded): one open
//! transaction, the next load-order numbers, and the secondary indexes taken off for the load
//! (rebuilt at commit, which is far faster than keeping them up to date row by row).

use async_trait::async_trait;

use crate::dialect::{Db, Tx};
use crate::model::{OrganizationRow, PersonRow};
use crate::persons::insert_persons;
use crate::sql::Arg;
use crate::store::bump_revision;
use crate::{PersonLoad, Result};

const ORGANIZATION_COLUMNS: [&str; 7] =
    ["seq", "orgnr", "name", "form", "industry", "municipality", "doc"];
const ROLE_COLUMNS: [&str; 3] = ["orgnr", "nin", "role"];

pub(crate) struct SqlLoad {
    tx: Tx,
    db: Db,
    next: i64,
    next_org: i64,
    dropped_indexes: Vec<String>,
}

impl SqlLoad {
    /// Opens the load: indexes off first (the delete and the inserts then touch only the table
    /// and its unique keys), then every person of `origin` (and, for Test-Norge, every
    /// organization) taken away.
    pub(crate) async fn begin(db: &Db, origin: &str) -> Result<SqlLoad> {
        let mut tx = db.begin().await?;
        tx.tune_for_load(true).await?;
        let mut dropped_indexes = Vec::new();
        for (name, ddl) in tx.person_indexes().await? {
            tx.raw(&format!("DROP INDEX {name}")).await?;
            dropped_indexes.push(ddl);
        }
        tx.delete_origin(origin).await?;
        let top = tx.top_seq("persons").await?;
        if origin == "TestNorge" {
            tx.raw("DELETE FROM organization_roles; DELETE FROM organizations").await?;
        }
        Ok(SqlLoad { tx, db: db.clone(), next: top + 1, next_org: 1, dropped_indexes })
    }
}

impl std::fmt::Debug for SqlLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlLoad").field("next", &self.next).finish_non_exhaustive()
    }
}

#[async_trait]
impl PersonLoad for SqlLoad {
    async fn add(&mut self, rows: Vec<PersonRow>) -> Result<()> {
        let n = rows.len() as i64;
        insert_persons(&mut self.tx, self.next, rows).await?;
        self.next += n;
        Ok(())
    }

    async fn add_organizations(&mut self, rows: Vec<OrganizationRow>) -> Result<()> {
        let first = self.next_org;
        self.next_org += rows.len() as i64;
        let mut roles = Vec::new();
        let mut organizations = Vec::with_capacity(rows.len());
        for (i, o) in rows.into_iter().enumerate() {
            roles.extend(
                o.roles
                    .into_iter()
                    .map(|(nin, role)| [Arg::from(&o.orgnr), Arg::from(nin), Arg::from(role)]),
            );
            organizations.push([
                Arg::from(first + i as i64),
                Arg::from(o.orgnr),
                Arg::from(o.name),
                Arg::from(o.form),
                Arg::from(o.industry),
                Arg::from(o.municipality),
                Arg::from(o.doc),
            ]);
        }
        self.tx.insert_bulk("organizations", &ORGANIZATION_COLUMNS, organizations).await?;
        self.tx.insert_bulk("organization_roles", &ROLE_COLUMNS, roles).await
    }

    async fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        let q = crate::settings::upsert(self.tx.dialect(), name, value);
        self.tx.execute(q).await.map(drop)
    }

    async fn release_reserved(&mut self) -> Result<u64> {
        self.tx.raw("DELETE FROM persons WHERE origin = 'Reserved'").await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        for ddl in std::mem::take(&mut self.dropped_indexes) {
            self.tx.raw(&ddl).await?;
        }
        // Fresh statistics, so the planner picks the selective index for a search.
        self.tx.raw("ANALYZE persons").await?;
        bump_revision(&mut self.tx, "population").await?;
        crate::person_changes::note_load(&mut self.tx).await?;
        self.tx.tune_for_load(false).await?;
        let SqlLoad { tx, db, .. } = *self;
        tx.commit().await?;
        db.after_load().await
    }
}
