//! Form tasks submitted over SOAP (`IntermediaryInboundBasic`): what an end-user system sends
//! is a FormTask in the REST message box and archive, in the state Altinn's rules give it, and
//! its status can be asked for by receipt; every wrong input is a fault or a failed receipt
//! that leaves nothing behind.

use base64::Engine;
use serde_json::Value;

use crate::altinn_enduser::{EndUsers, setup, token};
use crate::altinn_soap::{call, error_id, system, text_of};

const PATH: &str = "/altinn/soap/IntermediaryExternal/IntermediaryInboundBasic.svc";
const SVC: &str = "http://www.altinn.no/services/Intermediary/Shipment/IntermediaryInbound/2009/10";
const DATA: &str = "http://schemas.altinn.no/services/Intermediary/Shipment/2009/10";
const FORM: &str = "<Skjema skjemanummer=\"4419\"><Omsetning>120000</Omsetning></Skjema>";

/// How the person logs in: the test password or a PIN.
#[derive(Clone, Copy)]
enum Login {
    Password,
    Pin,
}

fn envelope(op: &str, system: &(String, String), person: &str, login: Login, rest: &str) -> String {
    let login = match login {
        Login::Password => "<ns:userPassword>Test1234</ns:userPassword>".to_owned(),
        Login::Pin => {
            "<ns:userPinCode>12345</ns:userPinCode><ns:authMethod>AltinnPin</ns:authMethod>"
                .to_owned()
        }
    };
    format!(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:ns=\"{SVC}\" xmlns:d=\"{DATA}\"><s:Body><ns:{op}><ns:systemUserName>{}\
         </ns:systemUserName><ns:systemPassword>{}</ns:systemPassword><ns:userSSN>{person}\
         </ns:userSSN>{login}{rest}</ns:{op}></s:Body></s:Envelope>",
        system.0, system.1
    )
}

/// A shipment of one form (`completed` or not) and one attachment for `reportee`.
fn shipment(reportee: &str, service: &str, completed: bool, form: &str) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 vedlegg");
    format!(
        "<ns:formTaskShipment><d:Attachments><d:Attachment><d:AttachmentData>{data}\
         </d:AttachmentData><d:AttachmentTypeName>Annet</d:AttachmentTypeName>\
         <d:FileName>vedlegg.pdf</d:FileName><d:Name>Vedlegg</d:Name></d:Attachment>\
         </d:Attachments><d:ExternalShipmentReference>ship-{completed}</d:ExternalShipmentReference>\
         <d:FormTasks><d:Forms><d:Form><d:Completed>{completed}</d:Completed>\
         <d:DataFormatId>4419</d:DataFormatId><d:DataFormatVersion>1</d:DataFormatVersion>\
         <d:EndUserSystemReference>form-1</d:EndUserSystemReference>\
         <d:FormData><![CDATA[{form}]]></d:FormData></d:Form></d:Forms>\
         <d:ServiceCode>{service}</d:ServiceCode><d:ServiceEdition>1</d:ServiceEdition>\
         </d:FormTasks><d:Reportee>{reportee}</d:Reportee></ns:formTaskShipment>"
    )
}

async fn soap(u: &EndUsers, op: &str, xml: String) -> (u16, String) {
    let action = format!("\"{SVC}/IIntermediaryInboundBasic/{op}\"");
    call(u, PATH, Some(&action), xml).await
}

#[tokio::test]
async fn a_form_task_submitted_over_soap_is_in_the_rest_archive_and_its_status_follows_it() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let eus = system(&u._db.1, &["--end-user-system", "Regnskap"]);
    let submit = |login, completed| {
        envelope(
            "SubmitFormTaskBasic",
            &eus,
            &nin,
            login,
            &shipment(&orgnr, "4419", completed, FORM),
        )
    };

    // Completed and signed with a PIN: archived at once.
    let (status, text) = soap(&u, "SubmitFormTaskBasic", submit(Login::Pin, true)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "ReceiptStatusCode"), Some("OK"), "{text}");
    assert_eq!(text_of(&text, "ReceiptTypeName"), Some("FormTask"), "{text}");
    let signed: i64 = text_of(&text, "ReceiptId").unwrap().parse().unwrap();
    assert!(text.contains(&format!("<a:ReferenceValue>AR{signed}</a:ReferenceValue>")), "{text}");
    assert!(text.contains("<a:ReferenceValue>ship-true</a:ReferenceValue>"), "{text}");

    // A password login does not sign; an incomplete form is still being filled in.
    let (_, text) = soap(&u, "SubmitFormTaskBasic", submit(Login::Password, true)).await;
    let unsigned: i64 = text_of(&text, "ReceiptId").unwrap().parse().unwrap();
    let (_, text) = soap(&u, "SubmitFormTaskBasic", submit(Login::Pin, false)).await;
    let draft: i64 = text_of(&text, "ReceiptId").unwrap().parse().unwrap();

    // REST sees all three, with the form and attachment as sent.
    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get(&format!("/{orgnr}/messages"), &holder)).await;
    let status_of = |id: i64| {
        list["_embedded"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["MessageId"] == format!("a{id}"))
            .map(|m| m["Status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(signed).as_deref(), Some("Sendt og arkivert"), "{list}");
    assert_eq!(status_of(unsigned).as_deref(), Some("Signering"), "{list}");
    assert_eq!(status_of(draft).as_deref(), Some("Utfylling"), "{list}");
    let data = u
        .get(&format!("/{orgnr}/messages/a{signed}/forms/1/formdata"), &holder)
        .send()
        .await
        .unwrap();
    assert_eq!(data.text().await.unwrap(), FORM);
    let file =
        u.get(&format!("/{orgnr}/messages/a{signed}/attachments/1"), &holder).send().await.unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4 vedlegg");

    // Their status by receipt; what the user cannot see is NotFound, not someone's data.
    let ask = |person: &str, ids: &[i64]| {
        let items: String = ids
            .iter()
            .map(|id| {
                format!(
                    "<d:SubmissionStatusRequest><d:ReceiptId>{id}</d:ReceiptId>\
                     </d:SubmissionStatusRequest>"
                )
            })
            .collect();
        envelope(
            "GetAltinnSubmissionStatusBasic",
            &eus,
            person,
            Login::Password,
            &format!("<ns:submissionStatusRequestList>{items}</ns:submissionStatusRequestList>"),
        )
    };
    let (status, text) =
        soap(&u, "GetAltinnSubmissionStatusBasic", ask(&nin, &[signed, unsigned, draft, 999_999]))
            .await;
    assert_eq!(status, 200, "{text}");
    let statuses: Vec<&str> =
        text.split("<a:Status>").skip(1).map(|s| &s[..s.find('<').unwrap()]).collect();
    assert_eq!(statuses, ["Archived", "Signing", "FormFilling", "NotFound"], "{text}");
    assert!(text.contains(&format!("<a:ArchiveReference>AR{signed}</a:ArchiveReference>")));
    let (_, text) = soap(&u, "GetAltinnSubmissionStatusBasic", ask(&u.loner, &[signed])).await;
    assert_eq!(text_of(&text, "Status"), Some("NotFound"), "{text}");
    assert!(!text.contains(&orgnr), "{text}");
    u.s.stop().await;
}

#[tokio::test]
async fn wrong_submissions_are_faults_or_failed_receipts_and_store_nothing() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let eus = system(&u._db.1, &["--end-user-system", "Regnskap"]);
    let owner = system(&u._db.1, &["--service-owner", "SKD"]);
    let submit =
        |system: &(String, String), person: &str, reportee: &str, service: &str, form: &str| {
            envelope(
                "SubmitFormTaskBasic",
                system,
                person,
                Login::Pin,
                &shipment(reportee, service, true, form),
            )
        };
    let cases = [
        (submit(&eus, &u.loner, &orgnr, "4419", FORM), 30001, "someone without a role there"),
        (submit(&eus, &nin, &orgnr, "5528", FORM), 30003, "a correspondence service"),
        (submit(&eus, &nin, &orgnr, "9999", FORM), 30003, "a service not in the catalogue"),
        (submit(&eus, &nin, "974760674", "4419", FORM), 50008, "an invalid organization number"),
        (submit(&owner, &nin, &orgnr, "4419", FORM), 5, "a service owner's system"),
        (
            submit(&(eus.0.clone(), "wrong".into()), &nin, &orgnr, "4419", FORM),
            989,
            "a wrong password",
        ),
    ];
    for (xml, id, why) in cases {
        let (status, text) = soap(&u, "SubmitFormTaskBasic", xml).await;
        assert_eq!((status, error_id(&text)), (500, Some(id)), "{why}: {text}");
    }
    // A form that is not XML is a business error: a receipt, not a fault.
    let (status, text) =
        soap(&u, "SubmitFormTaskBasic", submit(&eus, &nin, &orgnr, "4419", "<Skjema>")).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text_of(&text, "ReceiptStatusCode"), Some("ValidationFailed"), "{text}");
    assert_eq!(text_of(&text, "ReceiptId"), Some("0"), "{text}");

    let holder = token(&u.s, &nin, "altinn:enduser").await;
    let list: Value = crate::support::json(u.get(&format!("/{orgnr}/messages"), &holder)).await;
    assert_eq!(list["_embedded"]["messages"], serde_json::json!([]), "{list}");
    u.s.stop().await;
}
