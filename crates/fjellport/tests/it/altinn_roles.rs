//! Roles and rights derived from the registers, as the user sees them and as a service owner
//! asks about them (its own services only).

use serde_json::{Value, json};

use crate::altinn_enduser::{setup, token};
use crate::support::problem;

fn codes(rights: &Value) -> Vec<String> {
    let mut out: Vec<String> = rights
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ServiceCode"].as_str().unwrap().to_owned())
        .collect();
    out.dedup();
    out
}

async fn serviceowner(
    u: &crate::altinn_enduser::EndUsers,
    org: &str,
    path: &str,
) -> reqwest::Response {
    let (_, key) = u.s.key(json!({"api": "altinn-serviceowner", "type": "other"})).await;
    let minted: Value = crate::support::json(u.s.http.post(u.s.url("/maskinporten/test-token")).json(
        &json!({"claims": {"scope": "altinn:serviceowner/rolesandrights altinn:serviceowner/organizations",
                           "consumer": {"authority": "iso6523-actorid-upis", "ID": format!("0192:{org}")}}}),
    ))
    .await;
    u.s.get(&format!("/altinn/api/serviceowner{path}"))
        .header("ApiKey", key)
        .bearer_auth(minted["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_holds_the_basisrolle_and_the_registers_roles_and_their_rights() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let t = token(&u.s, &nin, "altinn:enduser").await;
    let mine: Value = crate::support::json(u.get("/my/authorization/roles", &t)).await;
    let ids: Vec<&Value> = mine["_embedded"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["RoleDefinitionId"])
        .collect();
    assert_eq!(ids, [&json!(89), &json!(82)], "Basisrolle and PRIV: {mine}");
    assert!(mine["_embedded"]["roles"][0].get("RoleId").is_none(), "the Basisrolle has no RoleId");
    let at_org: Value =
        crate::support::json(u.get(&format!("/{orgnr}/authorization/roles"), &t)).await;
    let code = at_org["_embedded"]["roles"][1]["RoleName"].as_str().unwrap().to_owned();
    assert!(["Daglig leder", "Innehaver"].contains(&code.as_str()), "{at_org}");
    // Own rights: the services for private persons; at the organization (a key role): every
    // organization service, delegable.
    let own: Value = crate::support::json(u.get("/my/authorization/rights", &t)).await;
    assert_eq!(codes(&own["_embedded"]["rights"]), ["4936", "5528", "5252"]);
    let org: Value =
        crate::support::json(u.get(&format!("/{orgnr}/authorization/rights"), &t)).await;
    let org_rights = &org["_embedded"]["rights"];
    assert_eq!(codes(org_rights), ["4419", "5528", "5562", "5252", "4640", "5621"]);
    assert!(
        org_rights
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["IsDelegatable"] == true && r["RightSourceType"] == "RoleTypeRights")
    );
    let actions: Vec<&str> = org_rights
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ServiceCode"] == "4419")
        .map(|r| r["Action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["Read", "Write", "Sign", "ArchiveRead"]);
    // Role definitions: for a reportee, and as metadata without any credentials.
    let defs: Value = crate::support::json(u.get("/my/authorization/RoleDefinitions", &t)).await;
    let public: Value = crate::support::json(u.s.get("/altinn/api/metadata/roledefinitions")).await;
    assert_eq!(
        defs["_embedded"]["roledefinitions"].as_array().unwrap().len(),
        public["_embedded"]["roledefinitions"].as_array().unwrap().len()
    );
    assert!(
        public["_embedded"]["roledefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["RoleDefinitionCode"] == "PRIV" && d["RoleDefinitionId"] == 82)
    );
    // Someone else's organization: 403; a narrow token: 401.
    let other = token(&u.s, &u.loner, "altinn:enduser").await;
    problem(u.get(&format!("/{orgnr}/authorization/rights"), &other).send().await.unwrap(), 403)
        .await;
    let narrow = token(&u.s, &nin, "altinn:reportees").await;
    problem(u.get("/my/authorization/roles", &narrow).send().await.unwrap(), 401).await;
    u.s.stop().await;
}

#[tokio::test]
async fn a_service_owner_sees_a_subjects_rights_on_its_own_services_only() {
    let u = setup().await;
    let (nin, orgnr) = u.holder.clone();
    let q = format!("?subject={nin}&reportee={orgnr}");
    let skd: Value = serviceowner(&u, "974761076", &format!("/authorization/rights{q}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(skd["Subject"]["SocialSecurityNumber"], nin.as_str());
    assert_eq!(skd["Reportee"]["OrganizationNumber"], orgnr.as_str());
    assert_eq!(codes(&skd["Rights"]), ["4419", "5528"], "Skatteetaten's services: {skd}");
    assert!(skd.get("_embedded").is_none(), "the flat shape");
    let nav: Value = serviceowner(&u, "889640782", &format!("/authorization/rights{q}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(codes(&nav["Rights"]), ["5562", "5252"]);
    let roles: Value = serviceowner(&u, "974761076", &format!("/authorization/roles{q}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(roles["_embedded"]["roles"].as_array().unwrap().len(), 2, "{roles}");
    let own: Value = serviceowner(
        &u,
        "974761076",
        &format!("/authorization/rights?subject={nin}&reportee={nin}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(codes(&own["Rights"]), ["4936", "5528"]);
    for (path, status) in [
        (format!("/authorization/rights?subject={nin}"), 400),
        (format!("/authorization/rights?subject=123&reportee={orgnr}"), 400),
        (format!("/authorization/rights?subject={}&reportee={orgnr}", u.loner), 404),
        ("/organizations/974760674/officialcontacts".to_owned(), 400),
    ] {
        problem(serviceowner(&u, "974761076", &path).await, status).await;
    }
    // An organization that owns no service may not ask.
    problem(serviceowner(&u, &orgnr, &format!("/authorization/rights{q}")).await, 403).await;
    let contacts: Value =
        serviceowner(&u, "974761076", &format!("/organizations/{orgnr}/officialcontacts"))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(contacts["_embedded"]["officialcontacts"], json!([]));
    u.s.stop().await;
}
