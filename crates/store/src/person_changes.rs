//! The person change log (migration 24), what every replica's in-memory search index follows:
//! each write transaction outside a bulk load notes the load-order positions it touched under
//! one stamp, and readers ask for what came after the last stamp they applied.
//!
//! The stamp is the next `persons` revision, taken by an `UPDATE … RETURNING` just before the
//! transaction commits: on PostgreSQL that row's lock is held to the commit, so a later stamp
//! can only commit after an earlier one, and a reader that sees a stamp sees every one below it
//! (SQLite has one writer at a time anyway).

use crate::Result;
use crate::dialect::{Db, DbRow, Tx};
use crate::model::{PersonChange, PersonMarks, SearchFacts};
use crate::persons::IN_CHUNK;
use crate::sql::Arg;
use crate::store::{bump_revision, revision};

/// Stamps the log keeps; older entries are pruned by the writers, and a reader further behind
/// than half of this starts over (an index builds in seconds; a live replica is never this
/// far behind).
const KEPT_STAMPS: i64 = 100_000;

/// The search facts, as selected from `persons` (aliased `p` when `prefix` is `p.`).
fn fact_columns(prefix: &str) -> String {
    [
        "seq",
        "origin",
        "owner",
        "gender",
        "birth_date",
        "status",
        "marital_status",
        "municipality",
        "postal_code",
        "citizenship",
        "nin_type",
        "confidentiality",
        "has_spouse",
        "has_parents",
        "children",
        "is_gp",
        "gp_hpr",
    ]
    .iter()
    .map(|c| format!("{prefix}{c} AS {c}"))
    .chain([format!(
        "CAST(CASE WHEN {prefix}hpr_number IS NULL THEN 0 ELSE 1 END AS BIGINT) AS health_personnel"
    )])
    .collect::<Vec<_>>()
    .join(", ")
}

fn facts_of(row: &DbRow) -> Result<SearchFacts> {
    Ok(SearchFacts {
        seq: row.int("seq")?,
        origin: row.text("origin")?,
        owner: row.opt_text("owner")?,
        gender: row.text("gender")?,
        birth_date: row.text("birth_date")?,
        status: row.text("status")?,
        marital_status: row.text("marital_status")?,
        municipality: row.opt_text("municipality")?,
        postal_code: row.opt_text("postal_code")?,
        citizenship: row.opt_text("citizenship")?,
        nin_type: row.text("nin_type")?,
        confidentiality: row.opt_text("confidentiality")?,
        has_spouse: row.flag("has_spouse")?,
        has_parents: row.flag("has_parents")?,
        children: row.int("children")?,
        health_personnel: row.flag("health_personnel")?,
        is_gp: row.flag("is_gp")?,
        gp_hpr: row.opt_text("gp_hpr")?,
    })
}

/// Notes, as the last statements of `tx`, that it touched the persons at `seqs` and those with
/// `ids` (looked up now, so notes of deleted persons go in `seqs`, read before the delete).
pub(crate) async fn note(tx: &mut Tx, seqs: &[i64], ids: &[String]) -> Result<()> {
    if seqs.is_empty() && ids.is_empty() {
        return Ok(());
    }
    let q = tx.sql(
        "UPDATE revisions SET revision = revision + 1 WHERE aggregate = 'persons' \
         RETURNING revision",
    );
    let stamp = tx.fetch_one(q).await?.int("revision")?;
    for chunk in seqs.chunks(IN_CHUNK) {
        let mut q = tx.sql("INSERT INTO person_changes (stamp, seq)");
        q.values(chunk.iter().map(|s| [Arg::from(stamp), Arg::from(*s)]));
        q.push(" ON CONFLICT DO NOTHING");
        tx.execute(q).await?;
    }
    for chunk in ids.chunks(IN_CHUNK) {
        // The stamp is a number this code computed: written as a literal, so PostgreSQL need
        // not guess a parameter's type in a SELECT list.
        let mut q = tx.sql(format!(
            "INSERT INTO person_changes (stamp, seq) SELECT {stamp}, seq FROM persons WHERE id IN "
        ));
        q.list(chunk).push(" ON CONFLICT DO NOTHING");
        tx.execute(q).await?;
    }
    let mut q = tx.sql("DELETE FROM person_changes WHERE stamp <= ");
    q.bind(stamp - KEPT_STAMPS);
    tx.execute(q).await?;
    Ok(())
}

/// Marks a bulk load in `tx`: the log starts over and every index rebuilds.
pub(crate) async fn note_load(tx: &mut Tx) -> Result<()> {
    tx.raw("DELETE FROM person_changes").await?;
    bump_revision(tx, "person_loads").await
}

pub(crate) async fn marks(db: &Db) -> Result<PersonMarks> {
    let q = db.sql(
        "SELECT aggregate, revision FROM revisions WHERE aggregate IN ('persons', 'person_loads')",
    );
    let mut marks = PersonMarks::default();
    for row in db.fetch_all(q).await? {
        match row.text("aggregate")?.as_str() {
            "persons" => marks.stamp = row.int("revision")?,
            _ => marks.loads = row.int("revision")?,
        }
    }
    Ok(marks)
}

pub(crate) async fn search_facts(db: &Db, after: i64, limit: i64) -> Result<Vec<SearchFacts>> {
    let mut q = db.sql(format!("SELECT {} FROM persons WHERE seq > ", fact_columns("")));
    q.bind(after).push(" ORDER BY seq LIMIT ").bind(limit);
    db.fetch_all(q).await?.iter().map(facts_of).collect()
}

pub(crate) async fn changes(db: &Db, stamp: i64) -> Result<Option<Vec<PersonChange>>> {
    if revision(db, "persons").await? - stamp > KEPT_STAMPS / 2 {
        return Ok(None);
    }
    let mut q = db.sql(format!(
        "SELECT c.stamp AS stamp, c.seq AS changed, {} FROM person_changes c \
         LEFT JOIN persons p ON p.seq = c.seq WHERE c.stamp > ",
        fact_columns("p.")
    ));
    q.bind(stamp).push(" ORDER BY c.stamp, c.seq");
    let rows = db.fetch_all(q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let facts = match row.opt_text("origin")? {
            Some(_) => Some(facts_of(&row)?),
            None => None,
        };
        out.push(PersonChange { stamp: row.int("stamp")?, seq: row.int("changed")?, facts });
    }
    Ok(Some(out))
}
