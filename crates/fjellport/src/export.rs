//! `population export`: persons or events, JSON lines or CSV, streamed in a stable order (load
//! order; event sequence), so two databases with the same population export the same bytes.

use std::io::Write;

use fjellport_population::Person;
use fjellport_store::{PersonRow, Store, StoredEvent};

use crate::cli::CliError;

/// Events read per round trip.
const EVENT_PAGE: i64 = 5000;

const PERSON_HEADER: &str = "id,nin,identificationNumberType,givenName,familyName,birthDate,\
                             gender,status,maritalStatus,municipalityNumber,postalCode,citizenship";
const EVENT_HEADER: &str = "sequenceNumber,personId,nin,eventType,occurredOn";
const ORGANIZATION_HEADER: &str =
    "organizationNumber,name,organizationForm,industryCode,municipalityNumber,employees,roles";

/// One CSV field: quoted when it holds a comma, a quote or a line break. A value a spreadsheet
/// would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage return:
/// OWASP's CSV-injection rule) is written after a `'`, so it shows as the text it is.
fn field(out: &mut String, value: &str) {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push_str("\"'");
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_line(values: &[&str]) -> String {
    let mut line = String::with_capacity(160);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        field(&mut line, v);
    }
    line.push('\n');
    line
}

fn person_csv(doc: &str) -> std::io::Result<String> {
    let p: Person = serde_json::from_str(doc).map_err(std::io::Error::other)?;
    let r = PersonRow::of(&p, "", None);
    Ok(csv_line(&[
        &r.id,
        &r.nin,
        &r.nin_type,
        &r.given_name,
        &r.family_name,
        &r.birth_date,
        &r.gender,
        &r.status,
        &r.marital_status,
        r.municipality.as_deref().unwrap_or(""),
        r.postal_code.as_deref().unwrap_or(""),
        r.citizenship.as_deref().unwrap_or(""),
    ]))
}

fn organization_csv(doc: &str) -> std::io::Result<String> {
    let o: fjellport_population::organizations::Organization =
        serde_json::from_str(doc).map_err(std::io::Error::other)?;
    let roles: Vec<String> = o.roles.iter().map(|r| format!("{}:{}", r.role, r.nin)).collect();
    Ok(csv_line(&[
        &o.organization_number,
        &o.name,
        &o.organization_form.code,
        &o.industry_code.code,
        &o.business_address.municipality_number,
        &o.employees.to_string(),
        &roles.join(" "),
    ]))
}

fn event_line(e: &StoredEvent, csv: bool) -> String {
    if csv {
        csv_line(&[&e.seq.to_string(), &e.person_id, &e.nin, &e.event_type, &e.occurred_on])
    } else {
        let doc = serde_json::json!({
            "sequenceNumber": e.seq.to_string(),
            "personId": e.person_id,
            "nin": e.nin,
            "eventType": e.event_type,
            "occurredOn": e.occurred_on,
        });
        format!("{doc}\n")
    }
}

/// Buffered standard output that remembers its first failure.
struct Out {
    out: std::io::BufWriter<std::io::Stdout>,
    error: Option<std::io::ErrorKind>,
}

impl Out {
    fn emit(&mut self, text: &str) -> std::io::Result<()> {
        let written = self.out.write_all(text.as_bytes());
        if let Err(e) = &written {
            self.error.get_or_insert(e.kind());
        }
        written
    }
}

/// What `population export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Export {
    Persons,
    Organizations,
    Events,
}

/// How `population export` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

pub(crate) async fn export(
    store: &dyn Store,
    what: Export,
    format: Format,
) -> Result<(), CliError> {
    let csv = format == Format::Csv;
    // `Stdout` (unlike its lock) can cross await points; the buffer keeps writes large.
    let mut w =
        Out { out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()), error: None };
    let header = match (what, csv) {
        (Export::Events, true) => Some(EVENT_HEADER),
        (Export::Persons, true) => Some(PERSON_HEADER),
        (Export::Organizations, true) => Some(ORGANIZATION_HEADER),
        _ => None,
    };
    let mut result: Result<(), CliError> = Ok(());
    if let Some(h) = header {
        let _ = w.emit(&format!("{h}\n"));
    }
    if w.error.is_none() {
        result = if what == Export::Events {
            let mut from = 1;
            loop {
                let page = match store.events(from, &[], EVENT_PAGE).await {
                    Ok(p) => p,
                    Err(e) => break Err(e.into()),
                };
                let Some(last) = page.last() else { break Ok(()) };
                from = last.seq + 1;
                if page.iter().any(|e| w.emit(&event_line(e, csv)).is_err()) {
                    break Ok(());
                }
            }
        } else if what == Export::Organizations {
            store
                .export_organizations(&mut |doc| {
                    let text = if csv { organization_csv(doc)? } else { format!("{doc}\n") };
                    w.emit(&text)
                })
                .await
                .map(|_| ())
                .map_err(CliError::from)
        } else {
            store
                .export_persons(&mut |doc| {
                    let text = if csv { person_csv(doc)? } else { format!("{doc}\n") };
                    w.emit(&text)
                })
                .await
                .map(|_| ())
                .map_err(CliError::from)
        };
    }
    match w.error {
        // The reader went away (`| head`): that is how a pipe ends, not a failure.
        Some(std::io::ErrorKind::BrokenPipe) => Ok(()),
        Some(kind) => Err(CliError::Runtime(format!("cannot write the export: {kind}"))),
        None => {
            result?;
            match w.out.flush() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| CliError::Runtime(format!("cannot write: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn formulas_are_neutralised_and_plain_values_kept() {
        assert_eq!(csv_line(&["Kari", "1980-05-17"]), "Kari,1980-05-17\n");
        assert_eq!(csv_line(&["a,b", "say \"hi\""]), "\"a,b\",\"say \"\"hi\"\"\"\n");
        for (value, want) in [
            ("=HYPERLINK(\"http://evil.test\")", "\"'=HYPERLINK(\"\"http://evil.test\"\")\""),
            ("+1", "\"'+1\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tx", "\"'\tx\""),
            ("\rx", "\"'\rx\""),
        ] {
            assert_eq!(csv_line(&[value]), format!("{want}\n"), "{value}");
        }
    }
}
