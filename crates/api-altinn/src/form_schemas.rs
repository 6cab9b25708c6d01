//! Form data against the service's schemas: a form service of the catalogue may name the data
//! formats it takes (`DataFormatId`, `DataFormatVersion`), each with an XML Schema; a form of
//! another format is refused, and form data must meet its format's schema (every violation
//! named with its path). A service that names none takes any well-formed form data. Schemas
//! are checked when the configuration loads; validation is the `xmlschema` crate's (pure Rust).

use fjellport_gateway::Problem;
use fjellport_gateway::input::invalid;
use serde_json::Value;

use crate::catalogue::{FormSchema, Service};

/// Most violations one answer lists.
const LISTED: usize = 10;

/// A schema, parsed (the text says what is wrong with it).
pub(crate) fn parse(xsd: &str) -> Result<xmlschema::Schema, String> {
    xmlschema::parse_schema(xsd).map_err(|e| e.to_string())
}

/// The service's form of this data format, if it names formats and this is one.
fn format_of<'s>(svc: &'s Service, form: &Value) -> Result<Option<&'s FormSchema>, String> {
    if svc.forms.is_empty() {
        return Ok(None);
    }
    let text = |name: &str| match form.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let (id, version) = (text("DataFormatId"), text("DataFormatVersion"));
    svc.forms
        .iter()
        .find(|f| f.data_format_id == id && f.data_format_version == version)
        .map(Some)
        .ok_or_else(|| {
            let taken: Vec<String> = svc
                .forms
                .iter()
                .map(|f| format!("{} version {}", f.data_format_id, f.data_format_version))
                .collect();
            format!(
                "service {} takes the data formats {}, not {id} version {version}",
                svc.code,
                taken.join(", ")
            )
        })
}

/// Checks each form (`field` names the list in errors): its data format is one the service
/// takes, and its form data meets that format's schema.
pub(crate) fn check_forms(svc: &Service, forms: &[Value], field: &str) -> Result<(), Problem> {
    for (i, form) in forms.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let Some(format) = format_of(svc, form).map_err(|why| invalid(&at, why))? else {
            continue;
        };
        let Some(xsd) = &format.xsd else { continue };
        let schema =
            parse(xsd).map_err(|why| Problem::internal(format!("a catalogue XSD: {why}")))?;
        let data = form.get("FormData").and_then(Value::as_str).unwrap_or_default();
        let doc = oxml::parse(data)
            .map_err(|e| invalid(&at, format!("{at}.FormData is not well-formed XML: {e}")))?;
        let report = xmlschema::validate(&doc, &schema);
        if !report.is_valid() {
            let listed: Vec<String> = report
                .violations
                .iter()
                .take(LISTED)
                .map(|v| format!("{}: {}", v.path, v.message))
                .collect();
            let more = report.violations.len().saturating_sub(LISTED);
            let more = if more > 0 { format!(" (and {more} more)") } else { String::new() };
            return Err(invalid(
                &at,
                format!(
                    "{at}.FormData does not meet the schema of data format {} version {}: {}{more}",
                    format.data_format_id,
                    format.data_format_version,
                    listed.join("; ")
                ),
            ));
        }
    }
    Ok(())
}
