//! The authorization administration over SOAP 1.2 with WS-Security (`AdministrationExternal`):
//! a service owner's system, named in a `UsernameToken`, asks whom a person may act for and
//! which roles they hold; every wrong credential, header or version is a SOAP 1.2 fault.

use crate::altinn_enduser::{EndUsers, setup};
use crate::altinn_soap::{error_id, system, text_of};

const PATH: &str = "/altinn/soap/AuthorizationExternal/AdministrationExternal.svc";
const SVC: &str = "http://www.altinn.no/services/Authorization/Administration/2010/10";
const DATA: &str = "http://schemas.altinn.no/services/Authorization/Administration/2009/10";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

/// A `wsse:Security` header for `user`/`password`, of password type `kind`.
fn security(user: &str, password: &str, kind: &str) -> String {
    format!(
        "<wsse:Security xmlns:wsse=\"{WSSE}\" s:mustUnderstand=\"true\"><wsse:UsernameToken>\
         <wsse:Username>{user}</wsse:Username><wsse:Password Type=\"{kind}\">{password}\
         </wsse:Password></wsse:UsernameToken></wsse:Security>"
    )
}

fn envelope(header: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"{SOAP12}\" xmlns:ns=\"{SVC}\" \
         xmlns:d=\"{DATA}\"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// Posts `xml` as SOAP 1.2 for `op` (the action in the media type, as SOAP 1.2 sends it).
async fn call(u: &EndUsers, op: &str, media: &str, xml: String) -> (u16, String) {
    let ct = format!("{media}; charset=utf-8; action=\"{SVC}/IAdministrationExternal/{op}\"");
    let res =
        u.s.http.post(u.s.url(PATH)).header("Content-Type", ct).body(xml).send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let text = res.text().await.unwrap();
    assert!(ct.starts_with("application/soap+xml"), "a SOAP 1.2 answer, not {ct}: {text}");
    (status, text)
}

fn reportees(ssn: &str, extra: &str) -> String {
    format!("<ns:GetReportees><ns:userSSN>{ssn}</ns:userSSN>{extra}</ns:GetReportees>")
}

fn roles(search: &str) -> String {
    format!("<ns:GetRoles><ns:roleSearchBE>{search}</ns:roleSearchBE></ns:GetRoles>")
}

#[tokio::test]
async fn a_service_owner_looks_up_reportees_and_roles_with_a_username_token() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    let header = security(&user, &password, TEXT);

    let (status, text) =
        call(&u, "GetReportees", "application/soap+xml", envelope(&header, &reportees(&nin, "")))
            .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(&format!("<a:SSN>{nin}</a:SSN>")), "the person themselves: {text}");
    assert!(
        text.contains(&format!("<a:OrganizationNumber>{orgnr}</a:OrganizationNumber>")),
        "the organization where they hold a role: {text}"
    );
    assert_eq!(text.matches("<a:ExternalReporteeBE>").count(), 2, "{text}");
    let (_, one) = call(
        &u,
        "GetReportees",
        "application/soap+xml",
        envelope(&header, &reportees(&nin, "<ns:maximumReporteeCount>1</ns:maximumReporteeCount>")),
    )
    .await;
    assert_eq!(one.matches("<a:ExternalReporteeBE>").count(), 1, "{one}");

    // The role the register gives them there (the setup's holder is DAGL or INNH, both key
    // roles that SKD's Mva-melding takes), and nothing for another organization.
    let search = format!(
        "<d:CoveredByUser>{nin}</d:CoveredByUser><d:OfferedByParty>{orgnr}</d:OfferedByParty>"
    );
    let (status, text) =
        call(&u, "GetRoles", "application/soap+xml", envelope(&header, &roles(&search))).await;
    assert_eq!(status, 200, "{text}");
    let code = text_of(&text, "RoleCode").unwrap();
    assert!(["DAGL", "INNH"].contains(&code), "{text}");
    assert_eq!(text_of(&text, "OfferedBy"), Some(orgnr.as_str()), "{text}");
    assert_eq!(text_of(&text, "CoveredBy"), Some(nin.as_str()), "{text}");
    assert!(text.contains("<a:DelegatedBy i:nil=\"true\"/>"), "{text}");
    let filtered = format!("{search}<d:RoleCodeFilter>REVI</d:RoleCodeFilter>");
    let (_, text) =
        call(&u, "GetRoles", "application/soap+xml", envelope(&header, &roles(&filtered))).await;
    assert!(!text.contains("ExternalRoleBE"), "{text}");
    let (_, text) = call(
        &u,
        "GetRoles",
        "application/soap+xml",
        envelope(&header, &roles(&format!("<d:CoveredByUser>{}</d:CoveredByUser>", u.loner))),
    )
    .await;
    // Someone without register roles holds only PRIV, for themselves.
    assert_eq!(text.matches("<a:ExternalRoleBE>").count(), 1, "{text}");
    assert_eq!(text_of(&text, "RoleCode"), Some("PRIV"), "{text}");
    assert_eq!(text_of(&text, "OfferedBy"), Some(u.loner.as_str()), "{text}");
    u.s.stop().await;
}

#[tokio::test]
async fn wrong_tokens_headers_and_versions_are_soap_1_2_faults() {
    let u = setup().await;
    let (nin, _) = u.holder.clone();
    let (user, password) = system(&u._db.1, &["--service-owner", "SKD"]);
    let eus = system(&u._db.1, &["--end-user-system", "Fagsystem"]);
    let ok = security(&user, &password, TEXT);
    let body = reportees(&nin, "");
    let digest = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
    let cases = [
        (envelope("", &body), Some(989), "no UsernameToken"),
        (envelope(&security(&user, "wrong", TEXT), &body), Some(989), "a wrong password"),
        (envelope(&security(&eus.0, &eus.1, TEXT), &body), Some(5), "an end-user system"),
        (envelope(&ok, &reportees("12345678901", "")), Some(40016), "an invalid identity number"),
        (
            envelope(
                &ok,
                &roles(&format!(
                    "<d:CoveredByUser>{nin}</d:CoveredByUser><d:CoveredByParty>974760673</d:CoveredByParty>"
                )),
            ),
            Some(0),
            "both CoveredByUser and CoveredByParty",
        ),
        (envelope(&security(&user, &password, digest), &body), None, "a PasswordDigest"),
    ];
    for (xml, id, why) in cases {
        let op = if xml.contains("<ns:GetRoles>") { "GetRoles" } else { "GetReportees" };
        let (status, text) = call(&u, op, "application/soap+xml", xml).await;
        assert_eq!(status, 500, "{why}: {text}");
        assert!(text.contains("<s:Value>s:Sender</s:Value>"), "{why}: {text}");
        assert_eq!(error_id(&text), id, "{why}: {text}");
    }
    let (_, text) = call(
        &u,
        "GetReportees",
        "application/soap+xml",
        envelope(&security(&user, &password, digest), &body),
    )
    .await;
    assert!(text.contains("PasswordText"), "the fault says what to send: {text}");

    // A header nobody here understands, marked mustUnderstand, is refused; WS-Addressing is
    // understood, and its action must be the operation's.
    let unknown = format!("{ok}<x:Trace xmlns:x=\"urn:x\" s:mustUnderstand=\"1\">1</x:Trace>");
    let (_, text) =
        call(&u, "GetReportees", "application/soap+xml", envelope(&unknown, &body)).await;
    assert!(text.contains("s:MustUnderstand"), "{text}");
    let wsa = |action: &str| {
        format!(
            "{ok}<a:Action xmlns:a=\"http://www.w3.org/2005/08/addressing\" \
             s:mustUnderstand=\"1\">{SVC}/IAdministrationExternal/{action}</a:Action>"
        )
    };
    let (status, text) =
        call(&u, "GetReportees", "application/soap+xml", envelope(&wsa("GetReportees"), &body))
            .await;
    assert_eq!(status, 200, "{text}");
    let (status, text) =
        call(&u, "GetReportees", "application/soap+xml", envelope(&wsa("GetRoles"), &body)).await;
    assert_eq!(status, 500, "{text}");
    assert!(text.contains("wsa:Action"), "{text}");

    // A SOAP 1.1 request to this SOAP 1.2 endpoint.
    let res =
        u.s.http
            .post(u.s.url(PATH))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{SVC}/IAdministrationExternal/GetReportees\""))
            .body(envelope(&ok, &body).replace(SOAP12, "http://schemas.xmlsoap.org/soap/envelope/"))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 500);
    assert!(res.text().await.unwrap().contains("VersionMismatch"));
    u.s.stop().await;
}
