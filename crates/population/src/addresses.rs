//! Real street addresses from a user's copy of Kartverket's address register.
//!
//! No open copy of Matrikkelen's addresses ships with Fjellport (see `data/SOURCES.md`), so
//! homes get plausible synthetic street names in real municipalities and postal codes. A user
//! who has downloaded Kartverket's "Matrikkelen – Adresse" CSV from Geonorge (CC BY 4.0) can hand
//! it over, and homes are then drawn from its street addresses, municipality by municipality;
//! a municipality the file does not cover keeps synthetic streets.
//!
//! The file is read by its header names (`kommunenummer`, `adressenavn`, `nummer`, `bokstav`,
//! `postnummer`, `poststed`; `adressetype` when present), so the column order of Kartverket's
//! different extracts does not matter. Fields are separated by `;`, optionally quoted.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;

use crate::data::split_fields;

/// One street address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealAddress {
    /// Shared by every address of the street (Kartverket's file has ~2.6 million addresses).
    pub street: Arc<str>,
    pub house_number: String,
    pub house_letter: Option<String>,
    pub postal_code: String,
    pub place: Arc<str>,
}

/// Street addresses by municipality number.
#[derive(Debug, Default)]
pub struct AddressBook {
    by_municipality: BTreeMap<String, Vec<RealAddress>>,
    count: usize,
}

/// Why a file could not be read as Kartverket's address CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the address file is empty")]
    Empty,
    #[error("cannot read line {line} of the address file: {what}")]
    Read { line: usize, what: String },
    #[error(
        "the address file has no column {0:?} (expected Kartverket's Matrikkelen address CSV, separated by ';')"
    )]
    MissingColumn(&'static str),
    #[error("line {line} of the address file has {found} fields, the header {expected}")]
    FieldCount { line: usize, found: usize, expected: usize },
    #[error("line {line} of the address file: {what}")]
    BadValue { line: usize, what: String },
    #[error("the address file holds no street addresses")]
    NoStreets,
}

const REQUIRED: [&str; 6] =
    ["kommunenummer", "adressenavn", "nummer", "bokstav", "postnummer", "poststed"];

impl AddressBook {
    /// Reads the text of a Kartverket address CSV (see [`AddressBook::read`]).
    pub fn from_kartverket_csv(text: &str) -> Result<AddressBook, AddressError> {
        AddressBook::read(text.as_bytes())
    }

    /// Reads a Kartverket address CSV a line at a time (the whole register is ~600 MB).
    /// Rows that are not street addresses (a cadastral address has no street name) are
    /// skipped; a malformed row is an error that names its line, so a truncated or wrong file
    /// never half-loads.
    pub fn read(input: impl BufRead) -> Result<AddressBook, AddressError> {
        let mut lines = input
            .lines()
            .enumerate()
            .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()));
        let read_error =
            |i: usize, e: std::io::Error| AddressError::Read { line: i + 1, what: e.to_string() };
        let (i, header) = lines.next().ok_or(AddressError::Empty)?;
        let header = header.map_err(|e| read_error(i, e))?;
        let header = split_fields(header.trim_start_matches('\u{feff}').trim_end(), ';');
        let column = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or(AddressError::MissingColumn(name))
        };
        let [municipality, street, number, letter, postal_code, place] = REQUIRED.map(&column);
        let (municipality, street, number, letter, postal_code, place) =
            (municipality?, street?, number?, letter?, postal_code?, place?);
        let kind = column("adressetype").ok();
        let mut book = AddressBook::default();
        let mut names: BTreeMap<String, Arc<str>> = BTreeMap::new();
        let mut intern = |s: &str| -> Arc<str> {
            if let Some(a) = names.get(s) {
                return a.clone();
            }
            let a: Arc<str> = Arc::from(s);
            names.insert(s.to_owned(), a.clone());
            a
        };
        for (i, line) in lines {
            let line_no = i + 1;
            let line = line.map_err(|e| read_error(i, e))?;
            let fields = split_fields(line.trim_end_matches('\r'), ';');
            if fields.len() != header.len() {
                return Err(AddressError::FieldCount {
                    line: line_no,
                    found: fields.len(),
                    expected: header.len(),
                });
            }
            let field = |c: usize| fields[c].trim();
            if kind.is_some_and(|k| !field(k).eq_ignore_ascii_case("vegadresse"))
                || field(street).is_empty()
            {
                continue;
            }
            let bad = |what: String| AddressError::BadValue { line: line_no, what };
            let m = field(municipality);
            if m.len() != 4 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("kommunenummer {m:?} is not four digits")));
            }
            let code = field(postal_code);
            if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("postnummer {code:?} is not four digits")));
            }
            let house = field(number);
            if house.is_empty() || house.len() > 5 || !house.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("nummer {house:?} is not a house number")));
            }
            let house_letter = Some(field(letter)).filter(|l| !l.is_empty()).map(str::to_owned);
            let address = RealAddress {
                street: intern(field(street)),
                house_number: house.to_owned(),
                house_letter,
                postal_code: code.to_owned(),
                place: intern(&field(place).to_uppercase()),
            };
            book.by_municipality.entry(m.to_owned()).or_default().push(address);
            book.count += 1;
        }
        if book.count == 0 {
            return Err(AddressError::NoStreets);
        }
        Ok(book)
    }

    /// Street addresses read.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Municipalities with at least one street address.
    pub fn municipalities(&self) -> usize {
        self.by_municipality.len()
    }

    pub(crate) fn in_municipality(&self, number: &str) -> Option<&[RealAddress]> {
        self.by_municipality.get(number).map(Vec::as_slice).filter(|a| !a.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "lokalid;kommunenummer;kommunenavn;adressetype;adressenavn;nummer;bokstav;\
                          postnummer;poststed";

    #[test]
    fn reads_street_addresses_by_header_name() {
        let text = format!(
            "\u{feff}{HEADER}\n\
             1;0301;OSLO;vegadresse;Karl Johans gate;22;;0159;Oslo\n\
             2;0301;OSLO;vegadresse;\"Storgata\";7;B;0155;OSLO\r\n\
             3;4601;BERGEN;matrikkeladresse;;;;5003;BERGEN\n\
             \n"
        );
        let book = AddressBook::from_kartverket_csv(&text).unwrap();
        assert_eq!((book.len(), book.municipalities()), (2, 1));
        let oslo = book.in_municipality("0301").unwrap();
        assert_eq!(&*oslo[0].street, "Karl Johans gate");
        assert_eq!(oslo[0].house_letter, None);
        assert_eq!(&*oslo[0].place, "OSLO");
        assert_eq!(oslo[1].house_letter.as_deref(), Some("B"));
        assert!(book.in_municipality("4601").is_none());
    }

    #[test]
    fn a_wrong_file_is_an_error_that_says_where() {
        let parse = AddressBook::from_kartverket_csv;
        assert_eq!(parse("").unwrap_err(), AddressError::Empty);
        assert!(matches!(
            AddressBook::read(&b"kommunenummer\n\xff\n"[..]),
            Err(AddressError::MissingColumn(_))
        ));
        let latin1 = format!("{HEADER}\n")
            .into_bytes()
            .into_iter()
            .chain(*b"1;0301;\xd8;")
            .collect::<Vec<_>>();
        assert!(matches!(AddressBook::read(&latin1[..]), Err(AddressError::Read { line: 2, .. })));
        assert_eq!(
            parse("kommunenummer,adressenavn\n0301,Gata").unwrap_err(),
            AddressError::MissingColumn("kommunenummer")
        );
        let short = format!("{HEADER}\n1;0301;OSLO;vegadresse;Gata;1;;0150\n");
        assert_eq!(
            parse(&short).unwrap_err(),
            AddressError::FieldCount { line: 2, found: 8, expected: 9 }
        );
        let bad = format!("{HEADER}\n1;0301;OSLO;vegadresse;Gata;1;;015;OSLO\n");
        assert!(matches!(parse(&bad), Err(AddressError::BadValue { line: 2, .. })));
        let none = format!("{HEADER}\n3;4601;BERGEN;matrikkeladresse;;;;5003;BERGEN\n");
        assert_eq!(parse(&none).unwrap_err(), AddressError::NoStreets);
    }
}
