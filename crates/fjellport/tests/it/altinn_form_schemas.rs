//! A form service of a configured catalogue that names its data formats and their XML
//! Schemas: form data must meet its format's schema (every violation named), a format the
//! service does not take is refused, the metadata lists the formats and serves the schemas,
//! and a schema that cannot be read or parsed stops the configuration from loading.

use serde_json::{Value, json};

use crate::support::{BEFORE_SUNSET, TestServer, config, problem, temp_db};

const XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Melding">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Belop" type="xs:integer"/>
        <xs:element name="Tekst" type="xs:string" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"#;

fn catalogue(xsd_file: &str) -> String {
    format!(
        r#"
[[altinn.catalogue.service_owners]]
code = "TST"
orgnr = "983544622"
name = "Testetaten"

[[altinn.catalogue.services]]
owner = "TST"
code = "9100"
edition = 1
name = "Søknad til Testetaten"
kind = "FormTask"
roles = ["PRIV"]

[[altinn.catalogue.services.forms]]
data_format_id = "7001"
data_format_version = "1"
name = "Søknad"
xsd_file = "{xsd_file}"
"#
    )
}

fn submission(format: (&str, &str), data: &str) -> Value {
    json!({"Type": "FormTask", "ServiceCode": "9100", "ServiceEdition": 1,
           "_embedded": {"forms": [{"Type": "MainForm", "DataFormatId": format.0,
                                    "DataFormatVersion": format.1, "FormData": data}]}})
}

#[tokio::test]
async fn form_data_must_meet_its_formats_schema_and_the_metadata_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let xsd = dir.path().join("melding.xsd");
    std::fs::write(&xsd, XSD).unwrap();
    let file = dir.path().join("fjellport.toml");
    std::fs::write(&file, catalogue(xsd.to_str().unwrap())).unwrap();
    let loaded = fjellport::config::Config::load(Some(&file), json!({})).unwrap();
    let (_db_dir, db) = temp_db("schemas.db");
    let s = TestServer::start(fjellport::config::Config {
        persons: 100,
        altinn: loaded.altinn.clone(),
        ..config(&db, BEFORE_SUNSET)
    })
    .await;
    let (_, key) = s.key(json!({"api": "altinn", "type": "other"})).await;
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let (nin,): (String,) = sqlx::query_as(
        "SELECT nin FROM persons WHERE status = 'Resident' AND birth_date < '2000-01-01' ORDER BY seq LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let token = crate::altinn_enduser::token(&s, &nin, "altinn:enduser").await;
    let post = |body: Value| {
        s.http
            .post(s.url("/altinn/api/my/messages"))
            .header("ApiKey", &key)
            .header("content-type", "application/hal+json")
            .bearer_auth(&token)
            .json(&body)
    };
    let count = || async {
        let v: Value = crate::support::json(
            s.get("/altinn/api/my/messages").header("ApiKey", &key).bearer_auth(&token),
        )
        .await;
        v["_embedded"]["messages"].as_array().unwrap().len()
    };

    // Each violation is named with its path; nothing is written.
    let p = problem(
        post(submission(("7001", "1"), "<Melding><Belop>mye</Belop></Melding>"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("/Melding/Belop") && detail.contains("integer"), "{detail}");
    let p = problem(
        post(submission(("7001", "1"), "<Melding><Tekst>hei</Tekst></Melding>"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("Belop"), "{p}");
    let p = problem(
        post(submission(("7002", "1"), "<Melding><Belop>1</Belop></Melding>"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("takes the data formats 7001 version 1"), "{p}");
    assert_eq!(count().await, 0, "nothing was written");

    // Form data that meets the schema is taken.
    let res = post(submission(
        ("7001", "1"),
        "<Melding><Belop>1200</Belop><Tekst>Søknad</Tekst></Melding>",
    ))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    assert_eq!(count().await, 1);

    // The metadata names the format and serves its schema.
    let meta: Value = crate::support::json(s.get("/altinn/api/metadata/formtask/9100/1")).await;
    let form = &meta["FormsMetaData"][0];
    assert_eq!((&form["DataFormatID"], &form["DataFormatVersion"]), (&json!("7001"), &json!("1")));
    assert_eq!(form["IsOnlyXsdValidation"], true);
    let href = form["_links"]["schema"]["href"].as_str().unwrap();
    let res = s.http.get(href).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    assert_eq!(res.text().await.unwrap(), XSD);
    problem(
        s.get("/altinn/api/metadata/formtask/9100/1/forms/7001/2/xsd").send().await.unwrap(),
        404,
    )
    .await;
    s.stop().await;
}

#[test]
fn a_schema_that_cannot_be_read_or_parsed_stops_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fjellport.toml");
    std::fs::write(&file, catalogue("/nonexistent/melding.xsd")).unwrap();
    let err = fjellport::config::Config::load(Some(&file), json!({})).unwrap_err();
    assert!(err.contains("melding.xsd"), "{err}");
    let bad = dir.path().join("bad.xsd");
    std::fs::write(
        &bad,
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element></xs:schema>",
    )
    .unwrap();
    std::fs::write(&file, catalogue(bad.to_str().unwrap())).unwrap();
    let err = fjellport::config::Config::load(Some(&file), json!({})).unwrap_err();
    assert!(err.contains("the XSD"), "{err}");
}
