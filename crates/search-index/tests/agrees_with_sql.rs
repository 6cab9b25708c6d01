//! The index answers exactly what the store's SQL answers: the same count, the same page in
//! the same order (load order, or a seed's shuffle, from the start and after a cursor), for
//! random filter combinations over a few thousand persons — with reserved persons of several
//! owners, edits and deletions applied after the index was built (caught up from the change
//! log), and a second index built afresh after them. On SQLite always, on PostgreSQL when
//! `FJELLPORT_TEST_DATABASE_URL` is set.

use std::sync::Arc;

use fjellport_search_index::SearchIndex;
use fjellport_store::{
    PersonFilter, PersonKeys, PersonPage, PersonRow, PersonStore, Store, testing,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const OWNERS: [&str; 3] = ["team-a", "team-b", "team-c"];

fn population(seed: u64, persons: usize) -> Vec<fjellport_population::Person> {
    fjellport_population::generate(&fjellport_population::Options {
        seed,
        persons,
        today: fjellport_nin::Date { year: 2026, month: 9, day: 1 },
        addresses: None,
    })
    .expect("generate")
}

/// Values a filter may ask for: what the data has, and a few it does not.
struct Choices {
    municipalities: Vec<String>,
    postal_codes: Vec<String>,
    citizenships: Vec<String>,
    gps: Vec<String>,
}

fn pick(values: &[String]) -> impl Strategy<Value = Option<String>> + use<> {
    let mut values = values.to_vec();
    values.push("9999".into());
    prop_oneof![3 => Just(None), 2 => proptest::sample::select(values).prop_map(Some)]
}

fn some_of(values: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => proptest::sample::subsequence(values, 1..=3)
            .prop_map(|v| v.into_iter().map(str::to_owned).collect()),
    ]
}

fn flag() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![4 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))]
}

fn date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => (1910i32..2027, 1u32..13, 1u32..29).prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
    ]
}

fn filters(c: &Choices) -> impl Strategy<Value = PersonFilter> + use<> {
    let who = (
        prop_oneof![
            Just(None),
            Just(Some("TestNorge".to_owned())),
            Just(Some("Reserved".to_owned()))
        ],
        prop_oneof![
            Just(None),
            proptest::sample::select(OWNERS.to_vec()).prop_map(|o| Some(o.to_owned())),
            Just(Some("nobody".to_owned()))
        ],
    );
    let places = (
        pick(&c.municipalities),
        pick(&c.postal_codes),
        pick(&c.citizenships),
        pick(&c.gps),
        prop_oneof![Just(None), Just(Some("Female".to_owned())), Just(Some("Male".to_owned()))],
        prop_oneof![
            3 => Just(None),
            1 => proptest::sample::select(vec!["NationalIdentityNumber", "DNumber"]).prop_map(|s| Some(s.to_owned())),
        ],
        prop_oneof![
            3 => Just(None),
            1 => proptest::sample::select(vec!["Unclassified", "Confidential", "StrictlyConfidential"]).prop_map(|s| Some(s.to_owned())),
        ],
    );
    let lists = (
        some_of(&["Resident", "Emigrated", "Deceased", "Disappeared", "NotResident"]),
        some_of(&["Unmarried", "Married", "Divorced", "WidowOrWidower", "Separated"]),
    );
    let facts = (flag(), flag(), flag(), flag(), flag());
    let ranges = (
        date(),
        date(),
        prop_oneof![3 => Just(None), 1 => (0i64..5).prop_map(Some)],
        prop_oneof![3 => Just(None), 1 => (0i64..5).prop_map(Some)],
    );
    (who, places, lists, facts, ranges).prop_map(
        |(
            (origin, visible_to),
            (municipality, postal_code, citizenship, gp, gender, nin_type, confidentiality),
            (statuses, marital_statuses),
            (has_spouse, has_parents, is_health_personnel, is_gp, has_gp),
            (birth_from, birth_to, children_from, children_to),
        )| PersonFilter {
            visible_to,
            origin,
            gender,
            birth_from,
            birth_to,
            statuses,
            marital_statuses,
            municipality,
            postal_code,
            citizenship,
            nin_type,
            confidentiality,
            has_spouse,
            has_parents,
            children_from,
            children_to,
            is_health_personnel,
            is_gp,
            has_gp,
            gp,
        },
    )
}

/// A store with Test-Norge, reserved persons of every owner, and an index built over them.
async fn populated(store: &Arc<dyn Store>) -> (Arc<SearchIndex>, Choices) {
    let test_norge: Vec<PersonRow> =
        population(5, 3000).iter().map(|p| PersonRow::of(p, "TestNorge", None)).collect();
    testing::replace_persons(store.as_ref(), "TestNorge", &test_norge).await.unwrap();
    let choices = Choices {
        municipalities: distinct(test_norge.iter().filter_map(|r| r.municipality.clone()), 30),
        postal_codes: distinct(test_norge.iter().filter_map(|r| r.postal_code.clone()), 30),
        citizenships: distinct(test_norge.iter().filter_map(|r| r.citizenship.clone()), 10),
        gps: distinct(test_norge.iter().filter_map(|r| r.gp_hpr.clone()), 5),
    };
    let index = SearchIndex::new();
    index.refresh(store.as_ref()).await.unwrap();
    assert!(index.is_ready());
    nobody_reserved_yet(store.as_ref(), &index, &choices).await;
    // Reserved persons after the build: caught up from the change log, a batch per owner.
    let taken: std::collections::BTreeSet<String> =
        test_norge.iter().flat_map(|r| [r.nin.clone(), r.id.clone()]).collect();
    let extra: Vec<fjellport_population::Person> = population(11, 400);
    let mut rows = extra
        .iter()
        .map(|p| PersonRow::of(p, "Reserved", None))
        .filter(|r| !taken.contains(&r.nin) && !taken.contains(&r.id));
    for owner in OWNERS {
        let batch: Vec<PersonRow> = rows
            .by_ref()
            .take(60)
            .map(|r| PersonRow { owner: Some(owner.to_owned()), ..r })
            .collect();
        store.insert_reserved(owner, batch, 1).await.unwrap();
        index.catch_up(store.as_ref()).await;
    }
    (index, choices)
}

fn distinct(values: impl Iterator<Item = String>, at_most: usize) -> Vec<String> {
    let mut v: Vec<String> = values.collect();
    v.sort();
    v.dedup();
    v.truncate(at_most);
    v
}

/// Edits after the build: Test-Norge persons moved, married, given children and a new birth
/// date; reserved persons changed and deleted.
async fn edit(store: &Arc<dyn Store>, index: &SearchIndex) {
    let every = PersonFilter::default();
    let page = PersonPage { filter: every, limit: 10_000, ..Default::default() };
    let all = store.search_persons(&page).await.unwrap().hits;
    let ids: Vec<String> = all.iter().step_by(37).map(|(_, p)| p.row.id.clone()).collect();
    let current = store.persons(PersonKeys::Ids(&ids)).await.unwrap();
    let rows = current
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let r = p.row;
            let row = PersonRow {
                municipality: Some(["0301", "4601", "5001"][i % 3].to_owned()),
                postal_code: if i % 4 == 0 { None } else { r.postal_code.clone() },
                marital_status: "Married".into(),
                has_spouse: i % 2 == 0,
                children: (i % 6) as i64,
                birth_date: format!("19{:02}-0{}-1{}", 40 + i % 50, 1 + i % 9, i % 10),
                status: if i % 5 == 0 { "Deceased".into() } else { r.status.clone() },
                ..r
            };
            (row, p.version)
        })
        .collect::<Vec<_>>();
    for chunk in rows.chunks(7) {
        store.update_persons(chunk.to_vec()).await.unwrap();
        index.catch_up(store.as_ref()).await;
    }
    for (i, (_, p)) in all.iter().filter(|(_, p)| p.row.origin == "Reserved").enumerate() {
        if i % 9 == 0 {
            let owner = p.row.owner.clone().unwrap();
            assert!(store.delete_person(&p.row.id, &owner, vec![]).await.unwrap());
            index.catch_up(store.as_ref()).await;
        }
    }
}

async fn agree(store: &dyn PersonStore, index: &SearchIndex, f: &PersonFilter, seed: Option<i64>) {
    let counted = store.count_persons(f).await.unwrap();
    assert_eq!(index.count(f), Some(counted as u64), "count of {f:?}");
    let sql_page = |after: Option<(i64, i64)>| PersonPage {
        filter: f.clone(),
        after,
        limit: 25,
        shuffle_seed: seed,
        ..Default::default()
    };
    let sql = store.search_persons(&sql_page(None)).await.unwrap().hits;
    let sql: Vec<(i64, i64)> = sql.iter().map(|(rank, p)| (*rank, p.seq)).collect();
    let mine = index.search(f, None, 25, seed).unwrap();
    assert_eq!(mine.total, counted as u64, "{f:?}");
    assert_eq!(mine.hits, sql, "first page of {f:?}, seed {seed:?}");
    // And after a cursor in the middle of it.
    if let Some(&cursor) = sql.get(sql.len() / 2) {
        let next = store.search_persons(&sql_page(Some(cursor))).await.unwrap().hits;
        let next: Vec<(i64, i64)> = next.iter().map(|(rank, p)| (*rank, p.seq)).collect();
        assert_eq!(
            index.search(f, Some(cursor), 25, seed).unwrap().hits,
            next,
            "{f:?} after {cursor:?}"
        );
    }
}

/// While every person is a Test-Norge person, the set of Test-Norge persons that each caller's
/// search adds is everyone (the index leaves such a set out of its AND): SyntPop's own shape of
/// searches, as a caller with a key asks them.
async fn nobody_reserved_yet(store: &dyn PersonStore, index: &SearchIndex, choices: &Choices) {
    for place in choices.municipalities.iter().take(3) {
        for (from, to) in [("1940-01-01", "1990-06-30"), ("1975-05-05", "1975-12-31")] {
            for f in [
                PersonFilter {
                    visible_to: Some("team-a".into()),
                    gender: Some("Male".into()),
                    municipality: Some(place.clone()),
                    birth_from: Some(from.into()),
                    birth_to: Some(to.into()),
                    ..Default::default()
                },
                PersonFilter {
                    visible_to: Some("team-b".into()),
                    origin: Some("TestNorge".into()),
                    birth_from: Some(from.into()),
                    ..Default::default()
                },
                PersonFilter { visible_to: Some("team-c".into()), ..Default::default() },
            ] {
                for seed in [None, Some(3)] {
                    agree(store, index, &f, seed).await;
                }
            }
        }
    }
}

async fn check(store: Arc<dyn Store>) {
    let (index, choices) = populated(&store).await;
    edit(&store, &index).await;
    let fresh = SearchIndex::new();
    fresh.refresh(store.as_ref()).await.unwrap();
    let strategy =
        (filters(&choices), prop_oneof![3 => Just(None), 1 => any::<i64>().prop_map(Some)]);
    let mut runner = TestRunner::new(Config { cases: 160, ..Config::default() });
    let handle = tokio::runtime::Handle::current();
    let result = runner.run(&strategy, |(f, seed)| {
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                agree(store.as_ref(), &index, &f, seed).await;
                agree(store.as_ref(), &fresh, &f, seed).await;
            })
        });
        Ok(())
    });
    result.unwrap();
    // Birth ranges with few other conditions, so that their edges decide who is in (random
    // filters of many conditions mostly select nobody): on bitsets alone, with a place (a list
    // laid out as bits), as an owner sees them, and with lists walked one by one (an owner's
    // reserved persons, a GP's patients).
    let born = |from: &str, to: &str| PersonFilter {
        birth_from: Some(from.into()),
        birth_to: Some(to.into()),
        ..Default::default()
    };
    let place = choices.municipalities.first().cloned();
    let postal = choices.postal_codes.first().cloned();
    for (from, to) in
        [("1971-03-15", "1989-07-20"), ("1950-02-11", "1950-09-27"), ("2001-05-05", "2030-01-01")]
    {
        for f in [
            born(from, to),
            PersonFilter { gender: Some("Female".into()), ..born(from, to) },
            PersonFilter { municipality: place.clone(), ..born(from, to) },
            PersonFilter { postal_code: postal.clone(), ..born(from, to) },
            PersonFilter { visible_to: Some("team-a".into()), ..born(from, to) },
            PersonFilter {
                origin: Some("Reserved".into()),
                visible_to: Some("team-a".into()),
                ..born(from, to)
            },
            PersonFilter { gp: choices.gps.first().cloned(), ..born(from, to) },
        ] {
            for seed in [None, Some(7)] {
                agree(store.as_ref(), &index, &f, seed).await;
                agree(store.as_ref(), &fresh, &f, seed).await;
            }
        }
    }
    // The filters a person of every kind is found by, and nobody's.
    for f in [
        PersonFilter::default(),
        PersonFilter { visible_to: Some("team-a".into()), ..Default::default() },
        PersonFilter { origin: Some("Reserved".into()), ..Default::default() },
        PersonFilter {
            has_gp: Some(true),
            visible_to: Some("team-b".into()),
            ..Default::default()
        },
    ] {
        for seed in [None, Some(7)] {
            agree(store.as_ref(), &index, &f, seed).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_answers_what_sqlite_answers() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("p.db").to_str().unwrap().to_owned();
    check(fjellport_store::open(&url).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_answers_what_postgres_answers() {
    let Some(url) = testing::fresh_postgres_url().await else { return };
    check(fjellport_store::open(&url).await.unwrap()).await;
}
