//! Altinn's receipt (`ReceiptExternal`), the answer to a sending or a submission: members in
//! the data contract's (alphabetical) order, as Altinn writes them.

use fjellport_soap::write::Xml;

use crate::messages::altinn_time;

/// `ReceiptStatusCode` values.
pub(super) const OK: &str = "OK";
pub(super) const VALIDATION_FAILED: &str = "ValidationFailed";

#[derive(Debug)]
pub(crate) struct Receipt<'a> {
    pub id: i64,
    pub status: &'a str,
    pub text: &'a str,
    /// `Correspondence`, `FormTask`.
    pub type_name: &'a str,
    pub references: Vec<(&'a str, String)>,
    pub last_changed: i64,
}

impl Receipt<'_> {
    /// Writes `<{element} xmlns:a=… xmlns:i=…>` and the receipt's members as `a:`.
    pub(crate) fn write(&self, x: &mut Xml, element: &str) {
        x.open(
            element,
            &[("xmlns:a", super::ns::RECEIPT), ("xmlns:i", fjellport_soap::element::XSI)],
        );
        x.leaf("a:LastChanged", &altinn_time(self.last_changed));
        x.leaf("a:ParentReceiptId", "0");
        x.leaf(
            "a:ReceiptHistory",
            &format!("{} - {} - {}", altinn_time(self.last_changed), self.status, self.text),
        );
        x.leaf("a:ReceiptId", &self.id.to_string());
        x.leaf("a:ReceiptStatusCode", self.status);
        x.leaf("a:ReceiptText", self.text);
        x.leaf("a:ReceiptTypeName", self.type_name);
        x.open("a:References", &[]);
        for (kind, value) in &self.references {
            x.open("a:Reference", &[]);
            x.leaf("a:ReferenceTypeName", kind);
            x.leaf("a:ReferenceValue", value);
            x.close();
        }
        x.close();
        x.nil("a:SubReceipts");
        x.close();
    }
}
