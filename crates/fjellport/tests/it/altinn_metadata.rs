//! Altinn's metadata single views, without credentials: one service, the roles it takes,
//! code lists.

use serde_json::Value;

use crate::support::{BEFORE_SUNSET, TestServer, json, problem};

#[tokio::test]
async fn each_service_its_role_requirements_and_the_code_lists_are_served_without_credentials() {
    let s = TestServer::memory(BEFORE_SUNSET).await;
    // Every service the list names resolves through its self link.
    let list: Value = json(s.get("/altinn/api/metadata")).await;
    for svc in list["_embedded"]["metadata"].as_array().unwrap() {
        let href = svc["_links"]["self"]["href"].as_str().unwrap();
        let one: Value = json(s.http.get(href)).await;
        assert_eq!(one["ServiceCode"], svc["ServiceCode"], "{href}");
        assert_eq!(one["ServiceType"], svc["ServiceType"]);
        assert_eq!(one["RestEnabled"], true);
        if svc["ServiceType"] == "FormTask" {
            let steps = one["ProcessSteps"].as_array().unwrap();
            assert_eq!(steps[1]["Name"], "Signering");
            assert_eq!(steps[1]["SecurityLevel"], 3);
        }
    }
    problem(s.get("/altinn/api/metadata/formtask/5528/1").send().await.unwrap(), 404).await;
    problem(s.get("/altinn/api/metadata/correspondence/9999/1").send().await.unwrap(), 404).await;
    problem(s.get("/altinn/api/metadata/correspondence/5528/x").send().await.unwrap(), 400).await;

    // The Mva-melding (DAGL, REGN, INNH) is also given by every key role; the tax return
    // of persons (PRIV) by PRIV alone.
    let vat: Value =
        json(s.get("/altinn/api/metadata/rolerequirements?serviceCode=4419&serviceEditionCode=1"))
            .await;
    let codes: Vec<&str> =
        vat.as_array().unwrap().iter().map(|r| r["RoleDefinitionCode"].as_str().unwrap()).collect();
    for code in ["DAGL", "REGN", "INNH", "LEDE", "DTPR", "DTSO"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    assert!(!codes.contains(&"PRIV") && !codes.contains(&"MEDL"), "{codes:?}");
    let dagl = vat.as_array().unwrap().iter().find(|r| r["RoleDefinitionCode"] == "DAGL").unwrap();
    assert_eq!(dagl["IsDelegable"], true);
    let sign = dagl["Operations"].as_array().unwrap().iter().find(|o| o["Name"] == "Sign").unwrap();
    assert_eq!(sign["AppliesTo"][0]["SecurityLevel"], 3);
    let tax: Value =
        json(s.get("/altinn/api/metadata/rolerequirements?serviceCode=4936&serviceEditionCode=1"))
            .await;
    let codes: Vec<&str> =
        tax.as_array().unwrap().iter().map(|r| r["RoleDefinitionCode"].as_str().unwrap()).collect();
    assert_eq!(codes, ["PRIV"]);
    problem(
        s.get("/altinn/api/metadata/rolerequirements?serviceCode=4419").send().await.unwrap(),
        400,
    )
    .await;
    problem(
        s.get("/altinn/api/metadata/rolerequirements?serviceCode=1&serviceEditionCode=1")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    // Code lists: the municipalities and counties of the reference data.
    let lists: Value = json(s.get("/altinn/api/metadata/codelists")).await;
    let names: Vec<&str> = lists["_embedded"]["codelists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kommuner", "Fylker"]);
    let href = lists["_embedded"]["codelists"][0]["_links"]["self"]["href"].as_str().unwrap();
    let kommuner: Value = json(s.http.get(href)).await;
    let oslo = kommuner["Codes"].as_array().unwrap().iter().find(|c| c["Code"] == "0301").unwrap();
    assert_eq!(oslo["Value1"], "Oslo");
    assert!(kommuner["Codes"].as_array().unwrap().len() > 300, "every municipality");
    problem(s.get("/altinn/api/metadata/codelists/Kommuner/2").send().await.unwrap(), 404).await;
    problem(s.get("/altinn/api/metadata/codelists?lang=x").send().await.unwrap(), 400).await;
    s.stop().await;
}
