//! A synthetic Enhetsregister: organizations founded by Test-Norge adults, with valid
//! organization numbers, a form (AS, ENK, …), an industry code (SN2025 subclass), a business
//! address in a real municipality, and roles held by persons of the population — what the Altinn
//! API derives reportees and rights from.
//!
//! Organization numbers here start with 3: real ones start with 8 or 9, so a synthetic number
//! can never name a real entity.

use std::sync::LazyLock;

use fjellport_nin::Date;
use fjellport_nin::orgnr::OrgNumber;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{TABLES, split_csv};
use crate::generate::age_on;
use crate::model::Person;

/// Organizations founded per adult (25–75, resident): Norway has about one registered entity per
/// five inhabitants, most of them sole proprietorships and limited companies.
const FOUNDING: f64 = 0.12;
/// Forms and their rough shares of new registrations (Brønnøysund's statistics, rounded).
const FORMS: [(&str, u32); 9] = [
    ("ENK", 44),
    ("AS", 42),
    ("FLI", 5),
    ("NUF", 3),
    ("DA", 2),
    ("ANS", 1),
    ("SA", 1),
    ("STI", 1),
    ("ASA", 1),
];
/// First eight digits of the first organization number.
const FIRST_BASE: u32 = 30_000_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessAddress {
    pub address_line: String,
    pub postal_code: String,
    pub city: String,
    pub municipality_number: String,
    pub municipality_name: String,
    pub country_code: String,
}

/// A role in an organization, held by a person of the population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Brønnøysund's role code: DAGL (general manager), LEDE (chair), MEDL (board member),
    /// REGN (accountant), REVI (auditor), INNH (sole proprietor), DTPR/DTSO (partners with
    /// proportional/joint liability).
    pub role: String,
    pub description: String,
    pub nin: String,
    pub person_id: String,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub organization_number: String,
    pub name: String,
    pub organization_form: Code,
    pub industry_code: Code,
    pub business_address: BusinessAddress,
    /// `YYYY-MM-DD`.
    pub registered_date: String,
    pub employees: u32,
    pub roles: Vec<Role>,
}

struct Tables {
    forms: Vec<Code>,
    industries: Vec<Code>,
}

static ORG_TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let rows = |text: &'static str| text.lines().skip(1).map(split_csv).collect::<Vec<_>>();
    Tables {
        forms: rows(include_str!("../data/organization_forms.csv"))
            .into_iter()
            .filter(|r| r.len() >= 2)
            .map(|r| Code { code: r[0].clone(), description: r[1].clone() })
            .collect(),
        industries: rows(include_str!("../data/nace_codes.csv"))
            .into_iter()
            .filter(|r| r.len() >= 3 && r[1] == "subclass")
            .map(|r| Code { code: r[0].clone(), description: r[2].clone() })
            .collect(),
    }
});

fn role_name(code: &str) -> &'static str {
    match code {
        "DAGL" => "Daglig leder",
        "LEDE" => "Styrets leder",
        "MEDL" => "Styremedlem",
        "REGN" => "Regnskapsfører",
        "REVI" => "Revisor",
        "INNH" => "Innehaver",
        "DTPR" => "Deltaker med proratarisk ansvar",
        "DTSO" => "Deltaker med solidarisk ansvar",
        _ => "Rolle",
    }
}

/// Founds organizations among the adults of `batch`, numbering them from `next_base` on.
#[derive(Debug)]
pub(crate) struct Registry {
    next_base: u32,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry { next_base: FIRST_BASE }
    }

    fn number(&mut self) -> String {
        loop {
            let base = self.next_base;
            self.next_base += 1;
            if let Some(n) = OrgNumber::from_base(base) {
                return n.to_string();
            }
        }
    }

    pub(crate) fn found(
        &mut self,
        batch: &[Person],
        rng: &mut ChaCha8Rng,
        today: Date,
    ) -> Vec<Organization> {
        let adults: Vec<&Person> = batch
            .iter()
            .filter(|p| p.status() == "Resident")
            .filter(|p| {
                Date::parse(p.birth_date()).is_some_and(|b| (25..=75).contains(&age_on(b, today)))
            })
            .collect();
        let mut out = Vec::new();
        for (i, founder) in adults.iter().enumerate() {
            if !rng.random_bool(FOUNDING) {
                continue;
            }
            let total: u32 = FORMS.iter().map(|f| f.1).sum();
            let mut x = rng.random_range(0..total);
            let form = FORMS
                .iter()
                .find(|f| {
                    if x < f.1 {
                        true
                    } else {
                        x -= f.1;
                        false
                    }
                })
                .map_or("AS", |f| f.0);
            out.push(self.organization(founder, form, rng, today, (&adults, i)));
        }
        out
    }

    fn organization(
        &mut self,
        founder: &Person,
        form: &str,
        rng: &mut ChaCha8Rng,
        today: Date,
        (adults, me): (&[&Person], usize),
    ) -> Organization {
        // Others for the board and partnerships: adults of the same batch.
        let others = |n: usize, rng: &mut ChaCha8Rng| -> Vec<&Person> {
            (0..n)
                .filter_map(|_| {
                    let j = rng.random_range(0..adults.len());
                    (j != me).then(|| adults[j])
                })
                .collect()
        };
        let t = &*ORG_TABLES;
        let industry = t.industries[rng.random_range(0..t.industries.len())].clone();
        let form_code = t
            .forms
            .iter()
            .find(|f| f.code == form)
            .cloned()
            .unwrap_or(Code { code: form.to_owned(), description: form.to_owned() });
        let born = Date::parse(founder.birth_date()).unwrap_or(today);
        let earliest = Date { year: born.year + 20, ..born };
        let years = today.year.saturating_sub(earliest.year).min(30);
        let registered = Date {
            year: today.year - rng.random_range(0..=years),
            month: rng.random_range(1..=12),
            day: rng.random_range(1..=28),
        };
        let registered = registered.max(earliest).min(today);
        let since = registered.to_string();
        let noun = |rng: &mut ChaCha8Rng| {
            let n = &TABLES.nouns[rng.random_range(0..TABLES.nouns.len())];
            let mut c = n.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        };
        let (given, family) = founder
            .current_name()
            .map(|n| (n.given_name.clone(), n.family_name.clone()))
            .unwrap_or_default();
        let name = match form {
            "ENK" => format!("{given} {family} {}", noun(rng)),
            "FLI" => format!("{} {}lag", noun(rng), noun(rng).to_lowercase()),
            "STI" => format!("Stiftelsen {}", noun(rng)),
            _ => format!("{} {} {form}", noun(rng), noun(rng)),
        };
        let home = founder.address();
        let address = match (form, home) {
            ("ENK", Some(h)) => BusinessAddress {
                address_line: format!("{} {}", h.address_name, h.address_number.house_number),
                postal_code: h.city.postal_code.clone(),
                city: h.city.city_name.clone(),
                municipality_number: h.municipality_number.clone(),
                municipality_name: h.municipality_name.clone(),
                country_code: "NO".to_owned(),
            },
            _ => {
                let m = TABLES.municipalities.pick(rng);
                let (postal_code, city) =
                    m.postal_codes[rng.random_range(0..m.postal_codes.len())].clone();
                BusinessAddress {
                    address_line: format!("{}gata {}", noun(rng), rng.random_range(1..120)),
                    postal_code,
                    city,
                    municipality_number: m.number.clone(),
                    municipality_name: m.name.clone(),
                    country_code: "NO".to_owned(),
                }
            }
        };
        let role = |code: &str, p: &Person| {
            let n = p.current_name();
            Role {
                role: code.to_owned(),
                description: role_name(code).to_owned(),
                nin: p.nin().to_owned(),
                person_id: p.id.clone(),
                given_name: n.map(|n| n.given_name.clone()).unwrap_or_default(),
                family_name: n.map(|n| n.family_name.clone()).unwrap_or_default(),
                since: since.clone(),
            }
        };
        let mut roles = Vec::new();
        let employees = match form {
            "ENK" => {
                roles.push(role("INNH", founder));
                rng.random_range(0..=2)
            }
            "DA" | "ANS" => {
                let code = if form == "DA" { "DTPR" } else { "DTSO" };
                roles.push(role(code, founder));
                for p in others(1, rng) {
                    roles.push(role(code, p));
                }
                rng.random_range(0..=5)
            }
            "FLI" | "STI" => {
                roles.push(role("LEDE", founder));
                for p in others(rng.random_range(1..=3), rng) {
                    roles.push(role("MEDL", p));
                }
                rng.random_range(0..=3)
            }
            _ => {
                roles.push(role("DAGL", founder));
                let chair = if rng.random_bool(0.5) { Some(founder) } else { others(1, rng).pop() };
                if let Some(c) = chair {
                    roles.push(role("LEDE", c));
                }
                for p in others(rng.random_range(0..=2), rng) {
                    roles.push(role("MEDL", p));
                }
                if rng.random_bool(0.5)
                    && let Some(p) = others(1, rng).pop()
                {
                    roles.push(role("REGN", p));
                }
                if (form == "ASA" || rng.random_bool(0.2))
                    && let Some(p) = others(1, rng).pop()
                {
                    roles.push(role("REVI", p));
                }
                let big = if form == "ASA" { 2000 } else { 50 };
                rng.random_range(0..=big)
            }
        };
        Organization {
            organization_number: self.number(),
            name,
            organization_form: form_code,
            industry_code: industry,
            business_address: address,
            registered_date: since,
            employees,
            roles,
        }
    }
}
