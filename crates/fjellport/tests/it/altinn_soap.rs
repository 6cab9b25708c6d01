//! Altinn's SOAP correspondence agency end to end, with envelopes written by hand (and, in
//! `interop`, with zeep): systems log in with what `fjellport altinn systems create` printed;
//! a correspondence sent over SOAP is in the REST message box of whoever may act for the
//! reportee, and reading it there shows in its SOAP status; every wrong input is a SOAP fault,
//! as XML, with Altinn's ErrorID where Altinn has one.

use serde_json::Value;

use crate::altinn_enduser::{EndUsers, setup, token};
use crate::cli::fjellport;

pub(crate) const AGENCY: &str =
    "/altinn/soap/ServiceEngineExternal/CorrespondenceAgencyExternalBasic.svc";
const SVC: &str = "http://www.altinn.no/services/ServiceEngine/Correspondence/2009/10";
const DATA: &str = "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2010/10";
const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// A system registered with the CLI: `(systemUserName, systemPassword)`.
pub(crate) fn system(db: &str, who: &[&str]) -> (String, String) {
    let mut args = vec!["altinn", "systems", "create", "--database", db];
    args.extend(who);
    let out = fjellport(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["systemUserName"].as_str().unwrap().into(), v["systemPassword"].as_str().unwrap().into())
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soapenv:Envelope xmlns:soapenv=\"{SOAP11}\" \
         xmlns:ns=\"{SVC}\" xmlns:ns1=\"{DATA}\"><soapenv:Header/><soapenv:Body>{body}\
         </soapenv:Body></soapenv:Envelope>"
    )
}

fn insert(user: &str, password: &str, reference: &str, reportee: &str, body: &str) -> String {
    envelope(&format!(
        "<ns:InsertCorrespondenceBasicV2><ns:systemUserName>{user}</ns:systemUserName>\
         <ns:systemPassword>{password}</ns:systemPassword><ns:SystemUserCode>{user}\
         </ns:SystemUserCode><ns:ExternalShipmentReference>{reference}\
         </ns:ExternalShipmentReference><ns:Correspondence><ns1:ServiceCode>5528</ns1:ServiceCode>\
         <ns1:ServiceEdition>1</ns1:ServiceEdition><ns1:Reportee>{reportee}</ns1:Reportee>\
         <ns1:Content><ns1:LanguageCode>1044</ns1:LanguageCode><ns1:MessageTitle>Vedtak\
         </ns1:MessageTitle><ns1:MessageSummary>Sammendrag</ns1:MessageSummary>{body}\
         </ns1:Content><ns1:VisibleDateTime>2026-01-01T00:00:00</ns1:VisibleDateTime>\
         </ns:Correspondence></ns:InsertCorrespondenceBasicV2>"
    ))
}

const BODY: &str = "<ns1:MessageBody>&lt;p&gt;Hei&lt;/p&gt;</ns1:MessageBody>";

/// Posts `xml` as SOAP 1.1 with `action` (as WCF names it unless given); status and text.
pub(crate) async fn call(
    u: &EndUsers,
    path: &str,
    action: Option<&str>,
    xml: String,
) -> (u16, String) {
    let op = xml
        .split("<ns:")
        .nth(1)
        .and_then(|s| s.split(['>', ' ']).next())
        .unwrap_or_default()
        .to_owned();
    let action = action
        .map(str::to_owned)
        .unwrap_or_else(|| format!("\"{SVC}/ICorrespondenceAgencyExternalBasic/{op}\""));
    let res =
        u.s.http
            .post(u.s.url(path))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(xml)
            .send()
            .await
            .unwrap();
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    assert!(ct.starts_with("text/xml"), "every SOAP answer is XML, not {ct}: {text}");
    (status, text)
}

/// The text of the first element `name` (any prefix).
pub(crate) fn text_of<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!(":{name}>")).or_else(|| xml.find(&format!("<{name}>")))?;
    let rest = &xml[start..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(&rest[..rest.find('<')?])
}

/// The `AltinnFault`'s ErrorID, if the answer is one.
pub(crate) fn error_id(xml: &str) -> Option<u32> {
    text_of(xml, "ErrorID").and_then(|t| t.parse().ok())
}

#[tokio::test]
async fn correspondence_sent_over_soap_is_in_the_rest_box_and_reading_it_shows_in_its_status() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    let reply = "<ns1:ReplyOptions><r:ReplyOption xmlns:r=\"http://schemas.altinn.no/services/ServiceEngine/Correspondence/2009/10\">\
                 <r:URL><r:LinkText>Klag</r:LinkText><r:LinkURL>https://skatteetaten.test/klage</r:LinkURL></r:URL>\
                 </r:ReplyOption></ns1:ReplyOptions></ns:Correspondence>";
    let with_reply =
        insert(&user, &password, "ref-1", &orgnr, BODY).replace("</ns:Correspondence>", reply);
    let (status, text) = call(&u, AGENCY, None, with_reply).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "ReceiptStatusCode"), Some("OK"), "{text}");
    let id: i64 = text_of(&text, "ReceiptId").unwrap().parse().unwrap();
    assert!(text.contains("<a:ReferenceValue>ref-1</a:ReferenceValue>"), "{text}");

    // Who may act for the organization finds it over REST; someone else does not.
    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get(&format!("/{orgnr}/messages"), &holder)).await;
    let messages = list["_embedded"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{list}");
    assert_eq!(messages[0]["MessageId"], format!("a{id}"));
    assert_eq!(messages[0]["Subject"], "Vedtak");
    let loner = token(&u.s, &u.loner, "altinn:enduser").await;
    let res = u.get(&format!("/{orgnr}/messages"), &loner).send().await.unwrap();
    assert_eq!(res.status(), 403);

    let details = |reference: &str| {
        envelope(&format!(
            "<ns:GetCorrespondenceStatusDetailsBasicV3><ns:systemUserName>{user}</ns:systemUserName>\
             <ns:systemPassword>{password}</ns:systemPassword><ns:filterCriteria \
             xmlns:f=\"http://schemas.altinn.no/services/ServiceEngine/Correspondence/2016/02\">\
             <f:SendersReference>{reference}</f:SendersReference><f:ServiceCode>5528</f:ServiceCode>\
             <f:ServiceEditionCode>1</f:ServiceEditionCode></ns:filterCriteria>\
             </ns:GetCorrespondenceStatusDetailsBasicV3>"
        ))
    };
    let (status, text) = call(&u, AGENCY, None, details("ref-1")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "CorrespondenceID"), Some(id.to_string().as_str()), "{text}");
    assert_eq!(text_of(&text, "SendersReference"), Some("ref-1"));
    assert!(!text.contains("<c:StatusType>Read"), "{text}");

    // Reading it over REST makes it Read in its SOAP status and history.
    let one: Value =
        crate::support::json(u.get(&format!("/{orgnr}/messages/a{id}"), &holder)).await;
    assert_eq!(one["Body"], "<p>Hei</p>");
    assert_eq!(
        one["ReplyOptions"],
        serde_json::json!([{"Type": "URL", "URL": "https://skatteetaten.test/klage", "Text": "Klag"}])
    );
    let (_, text) = call(&u, AGENCY, None, details("ref-1")).await;
    assert!(text.contains("<c:StatusType>Created</c:StatusType>"), "{text}");
    assert!(text.contains("<c:StatusType>Read</c:StatusType>"), "{text}");
    let history = format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"{SOAP11}\" xmlns:ns=\"{SVC}\" \
         xmlns:arr=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\"><s:Header>\
         <ns:SystemUserName>{user}</ns:SystemUserName><ns:SystemPassword>{password}\
         </ns:SystemPassword></s:Header><s:Body><ns:CorrespondenceStatusHistoryRequest>\
         <ns:CorrespondenceSendersReferences><arr:string>ref-1</arr:string><arr:string>other\
         </arr:string></ns:CorrespondenceSendersReferences></ns:CorrespondenceStatusHistoryRequest>\
         </s:Body></s:Envelope>"
    );
    let action =
        format!("\"{SVC}/ICorrespondenceAgencyExternalBasic/GetCorrespondenceStatusHistoryBasic\"");
    let (status, text) = call(&u, AGENCY, Some(&action), history.clone()).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<c:StatusType>Read</c:StatusType>"), "{text}");
    // Another owner's system sees none of SKD's shipments.
    let (nav, nav_password) = system(&u._db.1, &["--service-owner", "NAV"]);
    let theirs = history.replace(&user, &nav).replace(&password, &nav_password);
    let (_, text) = call(&u, AGENCY, Some(&action), theirs).await;
    assert!(!text.contains("StatusV2"), "{text}");
    u.s.stop().await;
}

#[tokio::test]
async fn wrong_credentials_and_missing_fields_are_altinn_faults_and_business_errors_receipts() {
    let u = setup().await;
    let (_, orgnr) = u.holder.clone();
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    let (eus, eus_password) = system(&u._db.1, &["--end-user-system", "Visma"]);
    for (xml, id) in [
        (insert(&user, "wrong", "r", &orgnr, BODY), 989),
        (insert("nobody", &password, "r", &orgnr, BODY), 989),
        (insert(&user, &password, "r", &orgnr, ""), 40002),
        (insert(&user, &password, "", &orgnr, BODY), 40005),
        (insert(&user, &password, "r", "", BODY), 40007),
        (insert(&user, &password, "r", "974760674", BODY), 50008),
        (insert(&user, &password, "r", "01010112345", BODY), 40016),
        (
            insert(&eus, &eus_password, "r", &orgnr, BODY)
                .replace(&format!("<ns:SystemUserCode>{eus}"), "<ns:SystemUserCode>SKD_X"),
            5,
        ),
        (
            insert(&user, &password, "r", &orgnr, BODY)
                .replace("<ns1:LanguageCode>1044", "<ns1:LanguageCode>"),
            40001,
        ),
    ] {
        let (status, text) = call(&u, AGENCY, None, xml).await;
        assert_eq!((status, error_id(&text)), (500, Some(id)), "{text}");
        assert!(text.contains("<faultcode>s:Client</faultcode>"), "{text}");
    }
    let (_, text) = call(&u, AGENCY, None, insert(&user, "wrong", "r", &orgnr, BODY)).await;
    assert_eq!(
        text_of(&text, "AltinnErrorMessage"),
        Some("Incorrect username/password/pin given for user")
    );
    // A valid organization number the population does not hold: a receipt that says why, not a
    // fault.
    let (status, text) =
        call(&u, AGENCY, None, insert(&user, &password, "r", "974760673", BODY)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "ReceiptStatusCode"), Some("ValidationFailed"), "{text}");
    u.s.stop().await;
}

#[tokio::test]
async fn envelopes_that_are_not_calls_get_soap_faults_never_html_or_json() {
    let u = setup().await;
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    let good = insert(&user, &password, "r", "974760673", BODY);
    let cases: Vec<(String, Option<String>, &str)> = vec![
        ("<a><b></a>".into(), None, "well-formed"),
        (
            format!(
                "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
                envelope("<ns:X>&e;</ns:X>")
            ),
            None,
            "DOCTYPE",
        ),
        (good.replace(SOAP11, "http://www.w3.org/2003/05/soap-envelope"), None, "VersionMismatch"),
        (envelope("<ns:DeleteEverything/>"), Some("\"x\"".into()), "no operation"),
        (
            good.clone(),
            Some(format!(
                "\"{SVC}/ICorrespondenceAgencyExternalBasic/GetCorrespondenceStatusHistoryBasic\""
            )),
            "does not match",
        ),
        (envelope(""), None, "no element"),
    ];
    for (xml, action, needle) in cases {
        let (status, text) = call(&u, AGENCY, action.as_deref(), xml).await;
        assert_eq!(status, 500, "{text}");
        assert!(text.contains(needle), "{needle}: {text}");
        assert!(text.contains("Fault>"), "{text}");
    }
    // Not SOAP at all, an unknown service, another method: still SOAP faults.
    let res =
        u.s.http
            .post(u.s.url(AGENCY))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("s:Client"));
    let res =
        u.s.http
            .post(u.s.url("/altinn/soap/Nothing.svc"))
            .header("Content-Type", "text/xml")
            .body(good.clone())
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
    assert!(res.text().await.unwrap().contains("CorrespondenceAgencyExternalBasic.svc"));
    let res = u.s.http.delete(u.s.url(AGENCY)).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.text().await.unwrap().contains("<faultcode>"));
    let big = insert(
        &user,
        &password,
        "r",
        "974760673",
        &format!("<ns1:MessageBody>{}</ns1:MessageBody>", "x".repeat(2 * 1024 * 1024)),
    );
    let res =
        u.s.http
            .post(u.s.url(AGENCY))
            .header("Content-Type", "text/xml")
            .body(big)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("body_limit_bytes"));
    u.s.stop().await;
}

#[tokio::test]
async fn the_served_wsdl_is_the_committed_one_and_names_every_operation_served() {
    let u = setup().await;
    for svc in fjellport_api_altinn::soap::SERVICES {
        let committed = std::fs::read_to_string(format!(
            "{}/../api-altinn/wsdl/{}.wsdl",
            env!("CARGO_MANIFEST_DIR"),
            svc.name
        ))
        .unwrap();
        let address = u.s.url(&format!("/altinn/soap/{}", svc.path));
        for query in ["?wsdl", "?singleWsdl"] {
            let served =
                u.s.get(&format!("/altinn/soap/{}{query}", svc.path)).send().await.unwrap();
            assert_eq!(served.status(), 200);
            assert_eq!(served.text().await.unwrap(), committed.replace("{{ADDRESS}}", &address));
        }
        for (op, _) in svc.operations {
            let action = format!("soapAction=\"{}\"", svc.action(op));
            assert!(committed.contains(&action), "{}: {action}", svc.name);
        }
        let in_wsdl = committed.matches("<soap:operation ").count()
            + committed.matches("<soap12:operation ").count();
        assert_eq!(in_wsdl, svc.operations.len(), "{}: the WSDL and the server disagree", svc.name);
        // WCF's binding names: BasicHttpBinding for the Basic services, WSHttpBinding for WS.
        let binding = if svc.version.media_type() == "text/xml" {
            "BasicHttpBinding"
        } else {
            "WSHttpBinding"
        };
        assert!(committed.contains(&format!("name=\"{binding}_I{}\"", svc.name)), "{}", svc.name);
    }
    u.s.stop().await;
}

const BOX: &str = "/altinn/soap/ServiceEngineExternal/CorrespondenceExternalBasic.svc";

/// An end-user system's call for `person` (the test password) on `element`.
fn enduser_call(
    op: &str,
    system: &(String, String),
    person: &str,
    param: &str,
    element: i64,
) -> String {
    envelope(&format!(
        "<ns:{op}><ns:systemUserName>{}</ns:systemUserName><ns:systemPassword>{}\
         </ns:systemPassword><ns:userSSN>{person}</ns:userSSN><ns:userPassword>Test1234\
         </ns:userPassword><ns:{param}>{element}</ns:{param}></ns:{op}>",
        system.0, system.1
    ))
}

async fn box_call(u: &EndUsers, op: &str, xml: String) -> (u16, String) {
    let action = format!("\"{SVC}/ICorrespondenceExternalBasic/{op}\"");
    call(u, BOX, Some(&action), xml).await
}

#[tokio::test]
async fn an_end_user_system_reads_and_deletes_over_soap_and_rest_sees_it() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let agency = system(&u._db.1, &["--service-owner", "SKD"]);
    let eus = system(&u._db.1, &["--end-user-system", "Fagsystem"]);
    let sent = |reportee: &str| insert(&agency.0, &agency.1, "ref-e", reportee, BODY);
    let (_, to_org) = call(&u, AGENCY, None, sent(&orgnr)).await;
    let (_, to_person) = call(&u, AGENCY, None, sent(&nin)).await;
    let org_id: i64 = text_of(&to_org, "ReceiptId").unwrap().parse().unwrap();
    let own_id: i64 = text_of(&to_person, "ReceiptId").unwrap().parse().unwrap();

    // Reading over SOAP marks it read, as REST then shows.
    let get = "GetCorrespondenceForEndUserSystemBasicV2";
    let (status, text) =
        box_call(&u, get, enduser_call(get, &eus, &nin, "correspondenceID", org_id)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "CorrespondenceStatus"), Some("Read"), "{text}");
    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get(&format!("/{orgnr}/messages"), &holder)).await;
    assert_eq!(list["_embedded"]["messages"][0]["Status"], "Lest", "{list}");

    // Someone who may not act for the organization cannot read it; the system's own
    // credentials are not a person's.
    let (_, text) =
        box_call(&u, get, enduser_call(get, &eus, &u.loner, "correspondenceID", org_id)).await;
    assert_eq!(error_id(&text), Some(0), "{text}");
    let (_, text) =
        box_call(&u, get, enduser_call(get, &agency, &nin, "correspondenceID", org_id)).await;
    assert_eq!(error_id(&text), Some(5), "{text}");

    // Altinn's limitation: an organization's correspondence is not deleted over SOAP…
    let delete = "DeleteCorrespondenceBasic";
    let (status, text) =
        box_call(&u, delete, enduser_call(delete, &eus, &nin, "reporteeElementID", org_id)).await;
    assert_eq!((status, error_id(&text)), (500, Some(40009)), "{text}");
    // …a person's is, into the REST trash.
    let (status, text) =
        box_call(&u, delete, enduser_call(delete, &eus, &nin, "reporteeElementID", own_id)).await;
    assert_eq!(status, 200, "{text}");
    let trash: Value = crate::support::json(u.get("/my/messages/trashbin", &holder)).await;
    assert_eq!(trash["_embedded"]["messages"][0]["MessageId"], format!("a{own_id}"), "{trash}");
    u.s.stop().await;
}

/// A correspondence with a `VisibleDateTime` ahead of the server's clock is stored and its
/// sender finds it, but no recipient sees it until then (REST list, REST read, SOAP list).
#[tokio::test]
async fn a_correspondence_is_hidden_from_its_recipients_until_its_visible_date() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    // The test clock stands at 2026-09-01.
    let later = insert(&user, &password, "ref-later", &orgnr, BODY)
        .replace("2026-01-01T00:00:00", "2026-12-24T08:00:00");
    let (status, text) = call(&u, AGENCY, None, later).await;
    assert_eq!((status, text_of(&text, "ReceiptStatusCode")), (200, Some("OK")), "{text}");
    let id: i64 = text_of(&text, "ReceiptId").unwrap().parse().unwrap();
    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get(&format!("/{orgnr}/messages"), &holder)).await;
    assert_eq!(list["_embedded"]["messages"], serde_json::json!([]), "{list}");
    let res = u.get(&format!("/{orgnr}/messages/a{id}"), &holder).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let eus = system(&u._db.1, &["--end-user-system", "Fagsystem"]);
    let elements = envelope(&format!(
        "<ns:GetReporteeElementListBasicV2 xmlns:ns=\"http://www.altinn.no/services/ServiceEngine/ReporteeElementList/2010/10\" \
         xmlns:q=\"http://schemas.altinn.no/services/ServiceEngine/ReporteeElementList/2010/10\">\
         <ns:systemUserName>{}</ns:systemUserName><ns:systemPassword>{}</ns:systemPassword>\
         <ns:userSSN>{nin}</ns:userSSN><ns:userPassword>Test1234</ns:userPassword>\
         <ns:Search><q:Reportee>{orgnr}</q:Reportee></ns:Search></ns:GetReporteeElementListBasicV2>",
        eus.0, eus.1
    ));
    let action = "\"http://www.altinn.no/services/ServiceEngine/ReporteeElementList/2010/10/IReporteeElementListExternalBasic/GetReporteeElementListBasicV2\"";
    let path = "/altinn/soap/ServiceEngineExternal/ReporteeElementListExternalBasic.svc";
    let (status, text) = call(&u, path, Some(action), elements).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains(&format!(">{id}<")), "{text}");
    // Its sender still follows it.
    let details = envelope(&format!(
        "<ns:GetCorrespondenceStatusDetailsBasicV3><ns:systemUserName>{user}</ns:systemUserName>\
         <ns:systemPassword>{password}</ns:systemPassword><ns:filterCriteria \
         xmlns:f=\"http://schemas.altinn.no/services/ServiceEngine/Correspondence/2016/02\">\
         <f:SendersReference>ref-later</f:SendersReference><f:ServiceCode>5528</f:ServiceCode>\
         <f:ServiceEditionCode>1</f:ServiceEditionCode></ns:filterCriteria>\
         </ns:GetCorrespondenceStatusDetailsBasicV3>"
    ));
    let (_, text) = call(&u, AGENCY, None, details).await;
    assert_eq!(text_of(&text, "CorrespondenceID"), Some(id.to_string().as_str()), "{text}");
    u.s.stop().await;
}
