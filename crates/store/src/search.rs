//! The SQL of a person search: the filter, one page in load order or in a seeded shuffle, and
//! counts. `plan_tests` reads the plans of exactly these statements.

use crate::dialect::push_persons_for;
use crate::model::{PersonFilter, PersonPage, SHUFFLE_MODULUS, shuffle_params};
use crate::person_columns::FACTS;
use crate::sql::Sql;

/// Appends ` WHERE …` for a filter (always at least `WHERE 1 = 1`, so callers can add `AND`s).
pub(crate) fn push_filter(q: &mut Sql, f: &PersonFilter) {
    q.push(" WHERE 1 = 1");
    // `origin = 'Reserved'` is written as a literal: it is what lets a query use the partial
    // index `persons_reserved` (migration 14).
    match (f.origin.as_deref(), &f.visible_to) {
        (Some("Reserved"), Some(owner)) => {
            q.push(" AND origin = 'Reserved' AND owner = ").bind(owner);
        }
        (Some("Reserved"), None) => {
            q.push(" AND origin = 'Reserved'");
        }
        (Some(origin), _) => {
            q.push(" AND origin = ").bind(origin);
        }
        (None, Some(owner)) => {
            q.push(" AND (origin = 'TestNorge' OR owner = ").bind(owner).push(")");
        }
        (None, None) => {}
    }
    for (column, value) in [
        ("gender", &f.gender),
        ("municipality", &f.municipality),
        ("postal_code", &f.postal_code),
        ("citizenship", &f.citizenship),
        ("nin_type", &f.nin_type),
        ("confidentiality", &f.confidentiality),
        ("gp_hpr", &f.gp),
    ] {
        if let Some(value) = value {
            q.push(&format!(" AND {column} = ")).bind(value);
        }
    }
    if let Some(from) = &f.birth_from {
        q.push(" AND birth_date >= ").bind(from);
    }
    if let Some(to) = &f.birth_to {
        q.push(" AND birth_date <= ").bind(to);
    }
    for (column, values) in [("status", &f.statuses), ("marital_status", &f.marital_statuses)] {
        if !values.is_empty() {
            q.push(&format!(" AND {column} IN ")).list(values);
        }
    }
    for (column, value) in [("has_spouse", f.has_spouse), ("has_parents", f.has_parents)] {
        if let Some(value) = value {
            q.push(&format!(" AND {column} = ")).bind(value);
        }
    }
    for (column, value) in [("hpr_number", f.is_health_personnel), ("gp_hpr", f.has_gp)] {
        if let Some(value) = value {
            q.push(&format!(" AND {column} IS {}NULL", if value { "NOT " } else { "" }));
        }
    }
    if let Some(value) = f.is_gp {
        q.push(" AND is_gp = ").bind(value);
    }
    if let Some(n) = f.children_from {
        q.push(" AND children >= ").bind(n);
    }
    if let Some(n) = f.children_to {
        q.push(" AND children <= ").bind(n);
    }
}

/// Appends the query of one search page (see `PersonStore::search_persons`).
pub(crate) fn push_search(q: &mut Sql, page: &PersonPage) {
    let rank = match page.shuffle_seed {
        Some(seed) => {
            let (m, o) = shuffle_params(seed);
            format!("((seq * {m} + {o}) % {SHUFFLE_MODULUS})")
        }
        None => "CAST(0 AS BIGINT)".to_owned(),
    };
    let doc = if page.with_doc { ", doc" } else { "" };
    q.push(&format!("SELECT {rank} AS rank, {}{doc}", *FACTS));
    if let Some(also) = &page.count_also {
        q.push(", (SELECT COUNT(*)");
        push_persons_for(q, also);
        push_filter(q, also);
        q.push(") AS also_counted");
    }
    push_persons_for(q, &page.filter);
    push_filter(q, &page.filter);
    if let Some((after_rank, after_seq)) = page.after {
        if page.shuffle_seed.is_some() {
            q.push(&format!(" AND ({rank} > ")).bind(after_rank);
            q.push(&format!(" OR ({rank} = ")).bind(after_rank);
            q.push(" AND seq > ").bind(after_seq).push("))");
        } else {
            q.push(" AND seq > ").bind(after_seq);
        }
    }
    q.push(if page.shuffle_seed.is_some() {
        " ORDER BY rank, seq LIMIT "
    } else {
        " ORDER BY seq LIMIT "
    });
    q.bind(page.limit);
}

/// Appends one of the two counts whose difference is `PersonStore::count_persons`: the
/// matches of every origin (`all`), or the reserved ones among them the filter does not see
/// (false when there are none to take away). Counting "Test-Norge or mine" directly would read
/// every matching row for its origin and owner; these two counts are answered by the indexes
/// (reserved persons are few, and found through the `persons_reserved` index).
pub(crate) fn push_count(q: &mut Sql, filter: &PersonFilter, all: bool) -> bool {
    let everyone = matches!(
        (filter.origin.as_deref(), &filter.visible_to),
        (Some("Reserved"), _) | (None, None)
    );
    let part = if everyone {
        if !all {
            return false;
        }
        filter.clone()
    } else if all {
        PersonFilter { origin: None, visible_to: None, ..filter.clone() }
    } else {
        PersonFilter { origin: Some("Reserved".to_owned()), visible_to: None, ..filter.clone() }
    };
    q.push("SELECT COUNT(*) AS n");
    push_persons_for(q, &part);
    push_filter(q, &part);
    if !all
        && filter.origin.is_none()
        && let Some(owner) = &filter.visible_to
    {
        q.push(" AND owner <> ").bind(owner);
    }
    true
}
