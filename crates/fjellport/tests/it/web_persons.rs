//! The web app's Persons pages: SyntPop's search as a form (the API's refusals beside their
//! fields), a person's page with family links, reserving a person for an owner, editing and
//! releasing it; Test-Norge persons read-only.

use crate::support::{BEFORE_SUNSET, TestServer, config, temp_db};
use crate::web_login::{Browser, person_with_a_role};

fn error_beside(html: &str, field: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{field}-error\" class=\"error\">"))?;
    let rest = &html[at..];
    Some(rest[rest.find('>')? + 1..].split('<').next()?.to_owned())
}

/// The first `/persons/<id>` link on a page.
fn first_person(html: &str) -> Option<String> {
    html.split("href=\"/persons/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .find(|id| id != "reserve")
}

#[tokio::test]
async fn a_person_searches_opens_a_person_reserves_one_for_an_organization_edits_and_releases_it() {
    let (_dir, db) = temp_db("web-persons.db");
    let s =
        TestServer::start(fjellport::config::Config { persons: 300, ..config(&db, BEFORE_SUNSET) })
            .await;
    let (nin, _, orgnr) = person_with_a_role(&db).await;
    let mut b = Browser::new(&s);
    let back = b.log_in("/persons", &nin).await;
    assert_eq!(back.location.as_deref(), Some("/persons"));

    // The search form and its answers.
    let page = b.get("/persons").await;
    assert_eq!(page.status, 200);
    for label in [
        "Gender",
        "Age from",
        "Age to",
        "Marital status",
        "Municipality number",
        "Postal code",
        "Identity-number type",
        "Has spouse",
        "Has children",
        "Has a GP",
        "Health personnel",
    ] {
        assert!(page.body.contains(&format!(">{label}</label>")), "no field labelled {label}");
    }
    let found = b.get("/persons?gender=Female&ageFrom=30&ageTo=60&search=1").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains("persons match"), "{}", found.body);
    assert!(found.body.contains("<td>Female</td>") && !found.body.contains("<td>Male</td>"));
    let bad = b.get("/persons?ageFrom=abc&search=1").await;
    assert_eq!(bad.status, 400);
    assert!(error_beside(&bad.body, "ageFrom").is_some(), "{}", bad.body);
    let crossed = b.get("/persons?ageFrom=60&ageTo=20&search=1").await;
    assert_eq!(crossed.status, 400);
    assert!(error_beside(&crossed.body, "ageFrom").unwrap().contains("above ageTo"));
    let paged = b.get("/persons?search=1").await;
    let next = paged
        .body
        .split("href=\"/persons?")
        .nth(1)
        .map(|r| r.split('"').next().unwrap().replace("&amp;", "&"));
    let next = next.expect("a next page of 300 persons");
    assert!(next.contains("cursor="));
    let second = b.get(&format!("/persons?{next}")).await;
    assert_eq!(second.status, 200);
    assert_ne!(first_person(&second.body), first_person(&paged.body), "another page");

    // A married Test-Norge person: family as links, no editing.
    let married = b.get("/persons?hasSpouse=true&search=1").await;
    let id = first_person(&married.body).unwrap();
    let person = b.get(&format!("/persons/{id}")).await;
    assert_eq!(person.status, 200, "{}", person.body);
    assert!(person.body.contains("A Test-Norge person (read-only"));
    assert!(!person.body.contains(">Release</button>"));
    let spouse = person
        .body
        .split("SpouseOrPartner: <a href=\"/persons/")
        .nth(1)
        .map(|r| r.split('"').next().unwrap().to_owned());
    let spouse = spouse.expect("the spouse as a link");
    assert_eq!(b.get(&format!("/persons/{spouse}")).await.status, 200, "a family link opens");
    assert_eq!(b.get("/persons/nope").await.status, 404);
    assert_eq!(b.get("/persons/00000000000000000000000000000000").await.status, 404);

    // Reserve for the organization.
    let form = b.get("/persons/reserve").await;
    let csrf = Browser::csrf(&form.body);
    assert_eq!(
        b.post("/persons/reserve", &[("owner", &orgnr), ("gender", "Female")]).await.status,
        403
    );
    let refused = b.post("/persons/reserve", &[("csrf", &csrf), ("owner", "974760673")]).await;
    assert_eq!(refused.status, 400);
    assert!(error_beside(&refused.body, "owner").is_some());
    let refused =
        b.post("/persons/reserve", &[("csrf", &csrf), ("owner", &orgnr), ("ageFrom", "200")]).await;
    assert_eq!(refused.status, 400);
    assert!(error_beside(&refused.body, "ageFrom").is_some(), "{}", refused.body);
    let made = b
        .post(
            "/persons/reserve",
            &[
                ("csrf", &csrf),
                ("owner", &orgnr),
                ("gender", "Female"),
                ("ageFrom", "30"),
                ("ageTo", "40"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let at = made.location.unwrap();
    let mine = b.get(&at).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(mine.body.contains("A reserved person, held by"), "{}", mine.body);
    assert!(mine.body.contains(&orgnr));
    let listed = b.get("/persons").await;
    let reserved_id = at.trim_start_matches("/persons/");
    assert!(
        listed.body.contains(&format!("href=\"/persons/{reserved_id}\"")),
        "listed under the owner"
    );

    // Edit (the API's rules: e-mail only on .test domains), then release.
    let bad = b
        .post(
            &format!("{at}/edit"),
            &[
                ("csrf", &csrf),
                ("givenName", "Kari"),
                ("familyName", "Testesen"),
                ("email", "kari@example.com"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(error_beside(&bad.body, "email").is_some(), "{}", bad.body);
    let ok = b
        .post(
            &format!("{at}/edit"),
            &[
                ("csrf", &csrf),
                ("givenName", "Kari"),
                ("familyName", "Testesen"),
                ("email", "kari@testesen.test"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let edited = b.get(&at).await;
    assert!(edited.body.contains("<h1>Kari Testesen</h1>"), "{}", edited.body);
    assert_eq!(b.post(&format!("{at}/release"), &[]).await.status, 403);
    let gone = b.post(&format!("{at}/release"), &[("csrf", &csrf)]).await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert_eq!(b.get(&at).await.status, 404, "released");
    // A Test-Norge person cannot be released from here either.
    let refused = b.post(&format!("/persons/{id}/release"), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    s.stop().await;
}
