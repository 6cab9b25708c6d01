//! `cargo bench -p fjellport-soap`: envelope parse (and the walk a service does over it) in
//! MB/s on one core, for an `InsertCorrespondenceBasicV2` with a 10 KB body (target ≥ 50 MB/s).

use std::hint::black_box;
use std::time::Instant;

use fjellport_soap::{Limits, Version, envelope};

const SVC: &str = "http://www.altinn.no/services/ServiceEngine/Correspondence/2009/10";
const DATA: &str = "http://schemas.altinn.no/services/ServiceEngine/Correspondence/2010/10";

fn main() {
    let body = "Lorem ipsum dolor sit amet, &amp; consectetur adipiscing elit. ".repeat(160);
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soapenv:Envelope \
         xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"{SVC}\" \
         xmlns:ns1=\"{DATA}\"><soapenv:Header/><soapenv:Body><ns:InsertCorrespondenceBasicV2>\
         <ns:systemUserName>SKD_SYSTEM</ns:systemUserName><ns:systemPassword>s3cret</ns:systemPassword>\
         <ns:SystemUserCode>SKD_SYSTEM</ns:SystemUserCode><ns:ExternalShipmentReference>EXT-1\
         </ns:ExternalShipmentReference><ns:Correspondence><ns1:ServiceCode>4503</ns1:ServiceCode>\
         <ns1:ServiceEdition>2</ns1:ServiceEdition><ns1:Reportee>974760673</ns1:Reportee>\
         <ns1:Content><ns1:LanguageCode>1044</ns1:LanguageCode><ns1:MessageTitle>Vedtak\
         </ns1:MessageTitle><ns1:MessageSummary>Sammendrag</ns1:MessageSummary><ns1:MessageBody>\
         {body}</ns1:MessageBody></ns1:Content><ns1:VisibleDateTime>2026-12-01T10:00:00\
         </ns1:VisibleDateTime></ns:Correspondence></ns:InsertCorrespondenceBasicV2>\
         </soapenv:Body></soapenv:Envelope>"
    );
    let limits = Limits::default();
    let rounds = 20_000;
    let started = Instant::now();
    let mut seen = 0usize;
    for _ in 0..rounds {
        let e = envelope::parse(black_box(xml.as_bytes()), Version::Soap11, &limits)
            .unwrap_or_else(|e| panic!("the bench envelope does not parse: {e}"));
        let c = e.body.child(SVC, "Correspondence").map(|c| c.children.len()).unwrap_or(0);
        seen += black_box(c);
    }
    let secs = started.elapsed().as_secs_f64();
    let mb = (xml.len() * rounds) as f64 / 1e6;
    println!(
        "envelope parse + walk: {} bytes per envelope, {rounds} envelopes in {secs:.2} s = {:.0} MB/s, {:.0} envelopes/s (target >= 50 MB/s) [{seen}]",
        xml.len(),
        mb / secs,
        rounds as f64 / secs
    );
}
