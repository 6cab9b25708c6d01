//! Submissions (FormTask) through the end-user API: Altinn's complete/sign state machine, form
//! data kept as submitted XML, attachments by base64, the roles a service takes, the security
//! level signing needs, and every bad input refused with nothing written.

use serde_json::{Value, json};

use crate::altinn_enduser::{EndUsers, setup, token};
use crate::support::problem;

const FORM: &str = "<Skjema skjemanummer=\"4936\"><Inntekt>500000</Inntekt></Skjema>";

/// A tax return for oneself (service 4936, PRIV).
fn tax_return(form: &str) -> Value {
    json!({"Type": "FormTask", "ServiceCode": "4936", "ServiceEdition": 1,
           "_embedded": {"forms": [{"Type": "MainForm", "DataFormatId": "5703",
                                    "DataFormatVersion": 47315, "FormData": form}],
                         "attachments": [{"FileName": "kvittering.pdf", "AttachmentType": "Annet",
                                          "Data": "JVBERi0xLjQK"}]}})
}

impl EndUsers {
    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::RequestBuilder {
        self.s
            .http
            .request(method, self.s.url(&format!("/altinn/api{path}")))
            .header("ApiKey", &self.key)
            .header("content-type", "application/hal+json")
            .bearer_auth(token)
            .json(body)
    }
}

#[tokio::test]
async fn a_submission_is_filled_in_signed_and_archived_as_the_flags_say() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    // complete=false: kept in the work list.
    let res = u.send(reqwest::Method::POST, "/my/messages?complete=false", &t, &tax_return(FORM));
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let draft: Value = res.json().await.unwrap();
    assert_eq!((&draft["Status"], &draft["Type"]), (&json!("Utfylling"), &json!("FormTask")));
    let id = draft["MessageId"].as_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/messages/{id}")), "{location}");
    let form_link = draft["_links"]["form"][0]["href"].as_str().unwrap().to_owned();
    // Its form data comes back as the XML submitted; the attachment as its bytes.
    let data =
        u.s.http.get(format!("{form_link}/formdata")).header("ApiKey", &u.key).bearer_auth(&t);
    let data = data.send().await.unwrap();
    assert!(data.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    assert_eq!(data.text().await.unwrap(), FORM);
    let forms: Value = crate::support::json(u.get(&format!("/my/messages/{id}/forms"), &t)).await;
    assert_eq!(forms["_embedded"]["forms"][0]["DataFormatVersion"], "47315");
    let file = u.get(&format!("/my/messages/{id}/attachments/1"), &t).send().await.unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4\n");
    let valid: Value =
        crate::support::json(u.get(&format!("/my/messages/{id}/Validate"), &t)).await;
    assert_eq!(valid["Success"], true);

    // Replace the content and move to signing; then sign with a short body.
    let changed = "<Skjema skjemanummer=\"4936\"><Inntekt>600000</Inntekt></Skjema>";
    let res = u.send(
        reqwest::Method::PUT,
        &format!("/my/messages/{id}?sign=false"),
        &t,
        &tax_return(changed),
    );
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["Status"], "Signering");
    let sign = json!({"Type": "FormTask", "ServiceCode": "4936", "ServiceEdition": "1"});
    let res = u
        .send(reqwest::Method::PUT, &format!("/my/messages/{id}"), &t, &sign)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "signing creates the archived element");
    assert!(res.headers().contains_key("location"));
    assert_eq!(res.json::<Value>().await.unwrap()["Status"], "Sendt og arkivert");
    let data = u.get(&format!("/my/messages/{id}/forms/1/formdata"), &t).send().await.unwrap();
    assert_eq!(data.text().await.unwrap(), changed, "the replaced form was signed");
    // Archived: it cannot change.
    let res = u
        .send(reqwest::Method::PUT, &format!("/my/messages/{id}"), &t, &sign)
        .send()
        .await
        .unwrap();
    problem(res, 409).await;
    // The default flags sign and archive at once.
    let res =
        u.send(reqwest::Method::POST, "/my/messages", &t, &tax_return(FORM)).send().await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["Status"], "Sendt og arkivert");
    let list: Value =
        crate::support::json(u.get("/my/messages?$filter=Type%20eq%20%27FormTask%27", &t)).await;
    assert_eq!(list["_embedded"]["messages"].as_array().unwrap().len(), 2);
    u.s.stop().await;
}

#[tokio::test]
async fn bad_submissions_are_refused_and_nothing_is_written() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let mut no_main = tax_return(FORM);
    no_main["_embedded"]["forms"][0]["Type"] = json!("SubForm");
    let mut bad_base64 = tax_return(FORM);
    bad_base64["_embedded"]["attachments"][0]["Data"] = json!("not base64!");
    let mut no_format = tax_return(FORM);
    no_format["_embedded"]["forms"][0].as_object_mut().unwrap().remove("DataFormatId");
    let mut correspondence = tax_return(FORM);
    correspondence["ServiceCode"] = json!("5528");
    let cases = [
        ("/my/messages", tax_return("<Skjema><Inntekt></Skjema>"), 400, "not well-formed"),
        ("/my/messages", tax_return("<Skjema>&nbsp;</Skjema>"), 400, "unknown entity"),
        ("/my/messages", no_main, 400, "MainForm"),
        ("/my/messages", bad_base64, 400, "base64"),
        ("/my/messages", no_format, 400, "DataFormatId"),
        ("/my/messages", correspondence, 400, "correspondence"),
        ("/my/messages", json!({"Type": "Correspondence"}), 400, "FormTask"),
        ("/my/messages?complete=maybe", tax_return(FORM), 400, "complete"),
        // The organization's VAT return is not the person's to send as a private person.
        (
            "/my/messages",
            json!({"Type": "FormTask", "ServiceCode": "4419", "ServiceEdition": 1}),
            403,
            "roles",
        ),
        (&format!("/{orgnr}/messages"), tax_return(FORM), 403, "PRIV"),
    ];
    for (path, body, status, needle) in cases {
        let res = u.send(reqwest::Method::POST, path, &t, &body).send().await.unwrap();
        let p = problem(res, status).await;
        assert!(p["detail"].as_str().unwrap().contains(needle), "{path} {body}: {p}");
    }
    let list: Value = crate::support::json(u.get("/my/messages", &t)).await;
    assert!(
        list["_embedded"]["messages"].as_array().unwrap().is_empty(),
        "nothing written: {list}"
    );
    u.s.stop().await;
}

#[tokio::test]
async fn a_password_login_may_fill_in_but_not_sign() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let login =
        u.s.http
            .post(u.s.url("/altinn/api/authentication/authenticatewithpassword"))
            .header("ApiKey", &u.key)
            .json(&json!({"UserName": nin, "UserPassword": "Test1234"}))
            .send()
            .await
            .unwrap();
    let cookie =
        login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let post = |query: &str| {
        u.s.http
            .post(u.s.url(&format!("/altinn/api/my/messages{query}")))
            .header("ApiKey", &u.key)
            .header("cookie", &cookie)
            .json(&tax_return(FORM))
    };
    let p = problem(post("").send().await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("security level 3"), "{p}");
    assert_eq!(post("?sign=false").send().await.unwrap().status(), 201);
    u.s.stop().await;
}

/// An open submission's parts change one by one (attachments by JSON and by stream, sub-forms);
/// once archived, nothing changes.
#[tokio::test]
async fn an_open_submission_takes_and_loses_parts_one_by_one() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let res = u.send(reqwest::Method::POST, "/my/messages?complete=false", &t, &tax_return(FORM));
    let draft: Value = res.send().await.unwrap().json().await.unwrap();
    let id = draft["MessageId"].as_str().unwrap().to_owned();
    let base = format!("/my/messages/{id}");
    let json_part = json!({"FileName": "b.txt", "AttachmentType": "Annet", "Data": "aGVp"});
    let res = u.send(reqwest::Method::POST, &format!("{base}/attachments"), &t, &json_part);
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers()["location"].to_str().unwrap().ends_with("/attachments/2"));
    let streamed = u
        .s
        .http
        .post(u.s.url(&format!("/altinn/api{base}/attachments/streamedattachment?fileName=rapport%20%C3%A5r.pdf&attachmentType=Vedlegg")))
        .header("ApiKey", &u.key)
        .header("content-type", "application/octet-stream")
        .bearer_auth(&t)
        .body(b"%PDF-1.7 bytes".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 201);
    let file = u.get(&format!("{base}/attachments/3"), &t).send().await.unwrap();
    assert!(file.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.7 bytes");
    let sub = json!({"Type": "SubForm", "DataFormatId": "1", "DataFormatVersion": "2", "FormData": "<Vedlegg/>"});
    let res =
        u.send(reqwest::Method::POST, &format!("{base}/forms"), &t, &sub).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let res = u.s.http.delete(u.s.url(&format!("/altinn/api{base}/attachments/1")));
    assert_eq!(res.header("ApiKey", &u.key).bearer_auth(&t).send().await.unwrap().status(), 204);
    let list: Value = crate::support::json(u.get(&format!("{base}/attachments"), &t)).await;
    let names: Vec<&str> = list["_embedded"]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["FileName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b.txt", "rapport år.pdf"]);
    let forms: Value = crate::support::json(u.get(&format!("{base}/forms"), &t)).await;
    assert_eq!(forms["_embedded"]["forms"].as_array().unwrap().len(), 2);
    // Bad parts are refused; unknown ones are 404.
    let bad = json!({"Type": "SubForm", "DataFormatId": "1", "DataFormatVersion": "2", "FormData": "<a>"});
    problem(
        u.send(reqwest::Method::POST, &format!("{base}/forms"), &t, &bad).send().await.unwrap(),
        400,
    )
    .await;
    let res = u.s.http.delete(u.s.url(&format!("/altinn/api{base}/forms/9")));
    problem(res.header("ApiKey", &u.key).bearer_auth(&t).send().await.unwrap(), 404).await;
    // Signed and archived: nothing changes any more.
    let sign = json!({"Type": "FormTask", "ServiceCode": "4936", "ServiceEdition": 1});
    assert_eq!(u.send(reqwest::Method::PUT, &base, &t, &sign).send().await.unwrap().status(), 201);
    let res = u.send(reqwest::Method::POST, &format!("{base}/attachments"), &t, &json_part);
    problem(res.send().await.unwrap(), 409).await;
    u.s.stop().await;
}
