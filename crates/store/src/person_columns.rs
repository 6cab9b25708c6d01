//! The persons table's columns, listed once. INSERT and COPY write [`COLUMNS`] in order from
//! [`args`] — both arrays have the list's length, so a column added to one and not the other
//! does not compile — and reads decode them by the same names in [`person_of`] (a round-trip
//! test of a row with every member set catches a name read wrong).

use std::sync::LazyLock;

use crate::Result;
use crate::dialect::{DbRow, doc_in};
use crate::model::{PersonRow, StoredPerson};
use crate::sql::{Arg, Dialect};

pub(crate) const COLUMNS: [&str; 25] = [
    "seq",
    "id",
    "nin",
    "origin",
    "owner",
    "given_name",
    "family_name",
    "birth_date",
    "gender",
    "status",
    "municipality",
    "postal_code",
    "nin_type",
    "marital_status",
    "citizenship",
    "confidentiality",
    "has_spouse",
    "children",
    "has_parents",
    "hpr_number",
    "hpr_doc",
    "is_gp",
    "gp_hpr",
    "gp_since",
    "doc",
];

/// The values of [`COLUMNS`] for the row at load-order position `seq`.
pub(crate) fn args(dialect: Dialect, seq: i64, r: PersonRow) -> [Arg; 25] {
    [
        Arg::from(seq),
        Arg::from(r.id),
        Arg::from(r.nin),
        Arg::from(r.origin),
        Arg::from(r.owner),
        Arg::from(r.given_name),
        Arg::from(r.family_name),
        Arg::from(r.birth_date),
        Arg::from(r.gender),
        Arg::from(r.status),
        Arg::from(r.municipality),
        Arg::from(r.postal_code),
        Arg::from(r.nin_type),
        Arg::from(r.marital_status),
        Arg::from(r.citizenship),
        Arg::from(r.confidentiality),
        Arg::from(r.has_spouse),
        Arg::from(r.children),
        Arg::from(r.has_parents),
        Arg::from(r.hpr_number),
        Arg::from(r.hpr_doc),
        Arg::from(r.is_gp),
        Arg::from(r.gp_hpr),
        Arg::from(r.gp_since),
        doc_in(dialect, r.doc),
    ]
}

/// What a read selects without the document: every column but `doc`, and the edit counter.
pub(crate) static FACTS: LazyLock<String> = LazyLock::new(|| {
    let mut columns: Vec<&str> = COLUMNS.iter().copied().filter(|c| *c != "doc").collect();
    columns.push("version");
    columns.join(", ")
});

/// A stored person from a row that selected [`FACTS`] (and `doc` when `with_doc`).
pub(crate) fn person_of(row: &DbRow, with_doc: bool) -> Result<StoredPerson> {
    Ok(StoredPerson {
        seq: row.int("seq")?,
        version: row.int("version")?,
        row: PersonRow {
            id: row.text("id")?,
            nin: row.text("nin")?,
            origin: row.text("origin")?,
            owner: row.opt_text("owner")?,
            given_name: row.text("given_name")?,
            family_name: row.text("family_name")?,
            birth_date: row.text("birth_date")?,
            gender: row.text("gender")?,
            status: row.text("status")?,
            municipality: row.opt_text("municipality")?,
            postal_code: row.opt_text("postal_code")?,
            nin_type: row.text("nin_type")?,
            marital_status: row.text("marital_status")?,
            citizenship: row.opt_text("citizenship")?,
            confidentiality: row.opt_text("confidentiality")?,
            has_spouse: row.flag("has_spouse")?,
            children: row.int("children")?,
            has_parents: row.flag("has_parents")?,
            hpr_number: row.opt_text("hpr_number")?,
            hpr_doc: row.opt_text("hpr_doc")?,
            is_gp: row.flag("is_gp")?,
            gp_hpr: row.opt_text("gp_hpr")?,
            gp_since: row.opt_text("gp_since")?,
            doc: if with_doc { row.doc("doc")? } else { String::new() },
        },
    })
}
