//! What the register accepts, through the API: names and street names that a display, a log
//! or a letter would choke on are refused with a 400 naming the member (and nothing is
//! written); names are stored composed (NFC); contact data stays undeliverable unless the
//! configuration allows otherwise.

use fjellport::config::Config;
use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config};

struct Team {
    s: TestServer,
    key: String,
}

impl Team {
    async fn start(cfg: Config) -> Team {
        let s = TestServer::start(cfg).await;
        let (_, key) = s.key(json!({"api": "syntpop", "type": "other", "owner": "rules"})).await;
        Team { s, key }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = req.header("X-api-key", &self.key).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn reserve(&self, template: Value) -> (u16, Value) {
        self.send(self.s.http.post(self.s.url("/syntpop/api/reserved-persons")).json(&template))
            .await
    }

    async fn patch(&self, id: &str, body: Value) -> (u16, Value) {
        let url = self.s.url(&format!("/syntpop/api/reserved-persons/{id}"));
        let req = self.s.http.patch(url).header("content-type", "application/merge-patch+json");
        self.send(req.body(body.to_string())).await
    }

    async fn read(&self, id: &str) -> Value {
        let url = self.s.url(&format!("/syntpop/api/persons/{id}?informationParts=All"));
        self.send(self.s.http.get(url)).await.1
    }

    /// A new reserved person's id.
    async fn person(&self) -> String {
        let (status, p) = self.reserve(json!({"ageFrom": 30, "ageTo": 40})).await;
        assert_eq!(status, 201, "{p}");
        p["id"].as_str().unwrap().to_owned()
    }
}

fn refused(answer: &(u16, Value), member: &str) {
    let (status, p) = answer;
    assert_eq!(*status, 400, "{p}");
    assert_eq!(p["member"], member, "{p}");
    assert!(!p["detail"].as_str().unwrap().is_empty(), "{p}");
}

/// Each a name that looks like one but is not: U+202E (right-to-left override), only U+200B,
/// a BOM, a tag character, a noncharacter, a line separator, a control, a formula, markup.
const HOSTILE_NAMES: [&str; 10] = [
    "Kari\u{202e}nnamdroN",
    "\u{200b}",
    "\u{feff}Kari",
    "Kari\u{e0041}",
    "Kari\u{ffff}",
    "Kari\u{2028}Ola",
    "Kari\u{7}",
    "=HYPERLINK(\"x\")",
    "<script>",
    " ",
];

#[tokio::test]
async fn names_follow_the_registers_rules_and_are_stored_composed() {
    let t = Team::start(config("sqlite::memory:", BEFORE_SUNSET)).await;
    let id = t.person().await;
    let before = t.read(&id).await;
    for bad in HOSTILE_NAMES {
        refused(&t.reserve(json!({"name": {"givenName": bad}})).await, "name.givenName");
        refused(&t.patch(&id, json!({"name": {"familyName": bad}})).await, "name.familyName");
    }
    let long = "a".repeat(101);
    refused(&t.patch(&id, json!({"name": {"middleName": long}})).await, "name.middleName");
    assert_eq!(t.read(&id).await, before, "nothing was written");
    // Real names pass; a decomposed é (e + U+0301) is stored as the one character.
    let (status, p) = t
        .patch(&id, json!({"name": {"givenName": "Rene\u{301}e", "familyName": "O'Brien-Ås"}}))
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["name"][0]["givenName"], "Ren\u{e9}e");
    assert_eq!(p["name"][0]["familyName"], "O'Brien-Ås");
    let (status, p) = t.reserve(json!({"name": {"givenName": "A\u{30a}se"}})).await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["name"][0]["givenName"], "\u{c5}se");
    t.s.stop().await;
}

fn address(name: &str, number: &str) -> Value {
    json!({"residentialAddress": {"streetAddress": {
        "addressName": name, "addressNumber": {"houseNumber": number},
        "city": {"cityName": "OSLO", "postalCode": "0155"}, "municipalityNumber": "0301"}}})
}

#[tokio::test]
async fn street_names_and_house_numbers_follow_the_registers_rules() {
    let t = Team::start(config("sqlite::memory:", BEFORE_SUNSET)).await;
    let id = t.person().await;
    let before = t.read(&id).await;
    let member = "residentialAddress.streetAddress.addressName";
    let long = "a".repeat(5000);
    for bad in ["Storgata\0", "Storgata\u{7}", "Storgata\r\nBcc: x", "\u{202e}Gata", &long] {
        refused(&t.patch(&id, address(bad, "1")).await, member);
    }
    for bad in ["0", "12a", "123456", "-1"] {
        refused(
            &t.patch(&id, address("Storgata", bad)).await,
            "residentialAddress.streetAddress.addressNumber.houseNumber",
        );
    }
    assert_eq!(t.read(&id).await, before, "nothing was written");
    let (status, p) = t.patch(&id, address("17. mai-gata", "12")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["residentialAddress"][0]["streetAddress"]["addressName"], "17. mai-gata");
    t.s.stop().await;
}

fn contact(email: &str, phone: &str) -> Value {
    json!({"commonContactRegisterInformation": {
        "contactInformation": {"email": email, "phoneNumber": phone}}})
}

const EMAIL: &str = "commonContactRegisterInformation.contactInformation.email";
const PHONE: &str = "commonContactRegisterInformation.contactInformation.phoneNumber";

#[tokio::test]
async fn contact_data_stays_undeliverable_unless_the_configuration_allows_it() {
    let t = Team::start(config("sqlite::memory:", BEFORE_SUNSET)).await;
    let id = t.person().await;
    // A person of the 0.1 template may lack KRR data: give it some first.
    let (status, p) = t.patch(&id, contact("kari@eksempel.test", "+4701234567")).await;
    assert_eq!(status, 200, "{p}");
    let krr = &p["commonContactRegisterInformation"]["contactInformation"];
    assert_eq!(krr["email"], "kari@eksempel.test");
    let before = t.read(&id).await;
    refused(&t.patch(&id, contact("x@real-company.no\r\nBcc: a@b.no", "+4701234567")).await, EMAIL);
    let (_, p) = t.patch(&id, contact("kari@real-company.no", "+4701234567")).await;
    assert!(p["detail"].as_str().unwrap().contains(".test"), "says what is allowed: {p}");
    refused(&t.patch(&id, contact("kari@real-company.no", "+4701234567")).await, EMAIL);
    refused(&t.patch(&id, contact("kari@eksempel.test", "+4791234567")).await, PHONE);
    refused(&t.patch(&id, contact("kari@eksempel.test", "+47012345678")).await, PHONE);
    assert_eq!(t.read(&id).await, before, "nothing was written");
    t.s.stop().await;

    // A team that needs other values says so in the configuration; one address is still one.
    let mut cfg = config("sqlite::memory:", BEFORE_SUNSET);
    cfg.syntpop.deliverable_contact_data = true;
    let t = Team::start(cfg).await;
    let id = t.person().await;
    let (status, p) = t.patch(&id, contact("kari@real-company.no", "+4791234567")).await;
    assert_eq!(status, 200, "{p}");
    refused(&t.patch(&id, contact("x@real-company.no\r\nBcc: a@b.no", "+4791234567")).await, EMAIL);
    t.s.stop().await;
}
