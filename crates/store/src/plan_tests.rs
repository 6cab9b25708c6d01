//! The plans of the person queries a search issues, checked against the statistics a fresh
//! load can leave behind. A search that lets the planner choose by statistics alone once walked
//! 76,015 Oslo women to find none of the caller's reserved persons (576 ms at 1.2 million);
//! these tests build the very queries `search_persons` and `count_persons` run and read their
//! plans under three sets of statistics: those a sampled ANALYZE of a freshly generated
//! 1.2-million population wrote (the defect's), those of an exact one, and none at all.

use sqlx::Row;

use crate::dialect::Db;
use crate::model::{PersonFilter, PersonPage, PersonRow};
use crate::search::{push_count, push_search};
use crate::sql::{Dialect, Sql};
use crate::{PersonStore, testing};

/// `sqlite_stat1` of a freshly generated 1.2-million population under `analysis_limit = 2000`:
/// the statistics behind the defect (every low-cardinality index recorded as about 2,001 rows
/// a value). The reserved index is given the most misleading figures possible.
const SAMPLED: &[(&str, &str)] = &[
    ("persons_reserved", "1200000 1200000 1"),
    ("persons_status", "1200000 2001"),
    ("persons_postal_birth", "1200000 572 308 2"),
    ("persons_postal", "1200000 572 308 1"),
    ("persons_place_birth", "1200000 2001 2001 2"),
    ("persons_nin_type", "1200000 2001"),
    ("persons_name", "1200000 667 3"),
    ("persons_municipality", "1200000 2001 2001 1"),
    ("persons_hpr", "1200000 2"),
    ("persons_gp", "1200000 1001"),
    ("persons_gender_birth", "1200000 2001 2"),
    ("persons_citizenship", "1200000 2001"),
    ("persons_birth", "1200000 2"),
];

/// The same population under an exact ANALYZE (what a load writes now).
const EXACT: &[(&str, &str)] = &[
    ("persons_reserved", "0 0 0"),
    ("persons_status", "1200000 400000"),
    ("persons_postal_birth", "1200000 363 182 1"),
    ("persons_postal", "1200000 363 182 1"),
    ("persons_place_birth", "1200000 3362 1681 2"),
    ("persons_nin_type", "1200000 600000"),
    ("persons_name", "1200000 856 3"),
    ("persons_municipality", "1200000 3362 1681 1"),
    ("persons_hpr", "1200000 24"),
    ("persons_gp", "1200000 1099"),
    ("persons_gender_birth", "1200000 600000 17"),
    ("persons_citizenship", "1200000 133334"),
    ("persons_birth", "1200000 33"),
];

fn person(n: usize, origin: &str) -> PersonRow {
    PersonRow {
        id: format!("id{n}"),
        nin: format!("{n:011}"),
        origin: origin.into(),
        owner: (origin == "Reserved").then(|| "team".into()),
        given_name: "Kari".into(),
        family_name: "Nordmann".into(),
        birth_date: format!("19{:02}-01-01", 20 + n % 80),
        gender: if n.is_multiple_of(2) { "Female" } else { "Male" }.into(),
        status: "Resident".into(),
        municipality: Some(if n.is_multiple_of(5) { "4601" } else { "0301" }.into()),
        postal_code: Some("0150".into()),
        nin_type: "NationalIdentityNumber".into(),
        marital_status: "Unmarried".into(),
        citizenship: Some("NOR".into()),
        confidentiality: Some("Unclassified".into()),
        has_spouse: false,
        children: 0,
        has_parents: false,
        hpr_number: None,
        hpr_doc: None,
        is_gp: false,
        gp_hpr: None,
        gp_since: None,
        doc: "{}".into(),
    }
}

/// "Women in Oslo": the defect's search.
fn oslo_women() -> PersonFilter {
    PersonFilter {
        gender: Some("Female".into()),
        municipality: Some("0301".into()),
        ..PersonFilter::default()
    }
}

/// The caller's own reserved persons among `filter`, as the search handler asks for them: a
/// page with its count in the same round trip.
fn reserved_page(filter: PersonFilter) -> PersonPage {
    let f =
        PersonFilter { origin: Some("Reserved".into()), visible_to: Some("team".into()), ..filter };
    PersonPage {
        filter: f.clone(),
        after: None,
        limit: 11,
        shuffle_seed: None,
        with_doc: false,
        count_also: Some(f),
    }
}

fn test_norge(filter: PersonFilter) -> PersonFilter {
    PersonFilter { origin: Some("TestNorge".into()), ..filter }
}

/// Every filter combination whose reserved part must be read through `persons_reserved`.
fn filters() -> Vec<PersonFilter> {
    vec![
        oslo_women(),
        PersonFilter::default(),
        PersonFilter {
            gender: Some("Male".into()),
            birth_from: Some("1950-01-01".into()),
            ..Default::default()
        },
        PersonFilter { statuses: vec!["Resident".into()], ..Default::default() },
        PersonFilter { nin_type: Some("DNumber".into()), ..Default::default() },
        PersonFilter {
            postal_code: Some("0150".into()),
            gender: Some("Female".into()),
            ..Default::default()
        },
        PersonFilter { citizenship: Some("NOR".into()), ..Default::default() },
    ]
}

async fn sqlite_plan(conn: &mut sqlx::SqliteConnection, build: impl FnOnce(&mut Sql)) -> String {
    let mut q = Sql::new(Dialect::Sqlite, "EXPLAIN QUERY PLAN ");
    build(&mut q);
    let query = crate::dialect::sqlite_query(q).unwrap();
    let rows = query.fetch_all(&mut *conn).await.unwrap();
    rows.iter().map(|r| r.get::<String, _>("detail")).collect::<Vec<_>>().join(" | ")
}

/// Every table access of `plan` goes through `index`.
fn only_through(plan: &str, index: &str) -> bool {
    plan.split(" | ").filter(|step| step.starts_with("SEARCH") || step.starts_with("SCAN")).all(
        |step| {
            step.contains(&format!("INDEX {index} ")) || step.ends_with(&format!("INDEX {index}"))
        },
    )
}

#[tokio::test]
async fn sqlite_reads_reserved_persons_through_their_index_whatever_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("plans.db").display());
    let store = crate::open::open_sqlite(&url, false).await.unwrap();
    let rows: Vec<PersonRow> = (0..2000).map(|n| person(n, "TestNorge")).collect();
    testing::replace_persons(&store, "TestNorge", &rows).await.unwrap();
    store.insert_reserved("team", vec![person(5002, "Reserved")], 0).await.unwrap();
    let Db::Sqlite(pool) = &store.db else { unreachable!("a SQLite store") };
    let mut conn = pool.acquire().await.unwrap();
    for (name, stats) in [("sampled", SAMPLED), ("exact", EXACT), ("none", &[][..])] {
        sqlx::raw_sql("DELETE FROM sqlite_stat1; DELETE FROM sqlite_stat4")
            .execute(&mut *conn)
            .await
            .unwrap();
        for (index, stat) in stats {
            sqlx::query("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('persons', ?, ?)")
                .bind(index)
                .bind(stat)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        // Makes this connection's planner read the statistics just written.
        sqlx::raw_sql("ANALYZE sqlite_schema").execute(&mut *conn).await.unwrap();
        for filter in filters() {
            let page = reserved_page(filter.clone());
            let plan = sqlite_plan(&mut conn, |q| push_search(q, &page)).await;
            assert!(
                only_through(&plan, "persons_reserved"),
                "{name} stats, page of {filter:?}: {plan}"
            );
            let hidden = test_norge(filter.clone());
            let plan = sqlite_plan(&mut conn, |q| assert!(push_count(q, &hidden, false))).await;
            assert!(
                only_through(&plan, "persons_reserved"),
                "{name} stats, hidden of {filter:?}: {plan}"
            );
        }
        // The Test-Norge part of the defect's search reads the place index in load order.
        let page = PersonPage { count_also: None, ..reserved_page(oslo_women()) };
        let page = PersonPage { filter: test_norge(oslo_women()), ..page };
        let plan = sqlite_plan(&mut conn, |q| push_search(q, &page)).await;
        assert!(
            only_through(&plan, "persons_municipality"),
            "{name} stats, Test-Norge page: {plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE"),
            "{name} stats: no sort for a page in load order: {plan}"
        );
    }
    // And the answers are right: one reserved Oslo woman is the caller's, none are hidden.
    let hits = store.search_persons(&reserved_page(oslo_women())).await.unwrap();
    assert_eq!(hits.also_counted, Some(1));
    assert_eq!(store.count_persons(&test_norge(oslo_women())).await.unwrap(), 800);
    assert_eq!(store.person_count(Some("TestNorge")).await.unwrap(), 2000);
    assert_eq!(store.person_count(Some("Reserved")).await.unwrap(), 1);
    assert_eq!(store.person_count(None).await.unwrap(), 2001);
}

#[tokio::test]
async fn postgres_reads_reserved_persons_through_their_index() {
    let Some(url) = testing::fresh_postgres_url().await else {
        return;
    };
    let store = crate::open::open_postgres(&url).await.unwrap();
    let Db::Postgres(pool) = store.db.clone() else { unreachable!("a PostgreSQL store") };
    let rows: Vec<PersonRow> = (0..20_000).map(|n| person(n, "TestNorge")).collect();
    testing::replace_persons(&store, "TestNorge", &rows).await.unwrap();
    store.insert_reserved("team", vec![person(50_000, "Reserved")], 0).await.unwrap();
    sqlx::raw_sql("ANALYZE persons").execute(&pool).await.unwrap();
    for (filter, count) in filters().into_iter().flat_map(|f| [(f.clone(), false), (f, true)]) {
        let mut q = Sql::new(Dialect::Postgres, "EXPLAIN ");
        if count {
            assert!(push_count(&mut q, &test_norge(filter.clone()), false));
        } else {
            push_search(&mut q, &reserved_page(filter.clone()));
        }
        let rows = crate::dialect::pg_query(q).unwrap().fetch_all(&pool).await.unwrap();
        let plan: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let plan = plan.join("\n");
        let indexes: Vec<&str> = plan
            .lines()
            .filter(|l| l.contains("Index Scan") || l.contains("Index Only Scan"))
            .collect();
        assert!(
            !plan.contains("Seq Scan")
                && !indexes.is_empty()
                && indexes.iter().all(|l| l.contains("persons_reserved")),
            "{} of {filter:?}:\n{plan}",
            if count { "hidden count" } else { "page" }
        );
    }
    assert_eq!(store.person_count(Some("TestNorge")).await.unwrap(), 20_000);
}
