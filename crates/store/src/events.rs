//! The Test-Norge event feed and the days of life events behind it.

use async_trait::async_trait;

use crate::dialect::{BATCH, DbRow};
use crate::model::{LifeChanges, StoredEvent};
use crate::persons::{IN_CHUNK, insert_persons, rewrite_persons};
use crate::sql::Arg;
use crate::store::{SqlStore, bump_revision};
use crate::{EventStore, Result};

const COLUMNS: [&str; 5] = ["seq", "person_id", "nin", "event_type", "occurred_on"];
/// The setting holding the last simulated day.
pub(crate) const POPULATION_DAY: &str = "population_day";

fn event_of(row: &DbRow) -> Result<StoredEvent> {
    Ok(StoredEvent {
        seq: row.int("seq")?,
        person_id: row.text("person_id")?,
        nin: row.text("nin")?,
        event_type: row.text("event_type")?,
        occurred_on: row.text("occurred_on")?,
    })
}

#[async_trait]
impl EventStore for SqlStore {
    async fn apply_life(&self, c: LifeChanges) -> Result<()> {
        // It reads the top sequence numbers before it writes: on SQLite it must hold the writer's
        // lock from the start, or a write committed meanwhile (a key's use, a reservation) makes
        // it fail with "database is locked".
        let mut tx = self.db.begin_serial(&[]).await?;
        let mut born = Vec::new();
        if !c.born.is_empty() {
            let top = tx.top_seq("persons").await?;
            born = (top + 1..=top + c.born.len() as i64).collect();
            insert_persons(&mut tx, top + 1, c.born).await?;
        }
        let mut changed = rewrite_persons(&mut tx, c.changed).await?;
        changed.extend(c.off_gp_lists.iter().cloned());
        for chunk in c.off_gp_lists.chunks(IN_CHUNK) {
            let mut q = tx.sql("UPDATE persons SET gp_hpr = NULL, gp_since = NULL WHERE id IN ");
            q.list(chunk);
            tx.execute(q).await?;
        }
        if !c.events.is_empty() {
            let top = tx.top_seq("events").await?;
            for (n, chunk) in c.events.chunks(BATCH).enumerate() {
                let first = top + 1 + (n * BATCH) as i64;
                let mut q = tx.sql(format!("INSERT INTO events ({})", COLUMNS.join(", ")));
                q.values(chunk.iter().enumerate().map(|(i, (id, nin, kind))| {
                    [
                        Arg::from(first + i as i64),
                        Arg::from(id),
                        Arg::from(nin),
                        Arg::from(kind),
                        Arg::from(&c.day),
                    ]
                }));
                tx.execute(q).await?;
            }
        }
        tx.execute(crate::settings::upsert(tx.dialect(), POPULATION_DAY, &c.day)).await?;
        crate::person_changes::note(&mut tx, &born, &changed).await?;
        bump_revision(&mut tx, "population").await?;
        tx.commit().await
    }

    async fn events(&self, from: i64, types: &[String], limit: i64) -> Result<Vec<StoredEvent>> {
        let mut q = self.db.sql(format!("SELECT {} FROM events WHERE seq >= ", COLUMNS.join(", ")));
        q.bind(from);
        if !types.is_empty() {
            q.push(" AND event_type IN ").list(types);
        }
        q.push(" ORDER BY seq LIMIT ").bind(limit);
        self.db.fetch_all(q).await?.iter().map(event_of).collect()
    }

    async fn latest_event(&self) -> Result<Option<StoredEvent>> {
        let q = self
            .db
            .sql(format!("SELECT {} FROM events ORDER BY seq DESC LIMIT 1", COLUMNS.join(", ")));
        self.db.fetch_optional(q).await?.as_ref().map(event_of).transpose()
    }
}
