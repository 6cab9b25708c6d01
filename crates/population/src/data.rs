//! Reference data (see `data/SOURCES.md`), embedded in the binary and parsed once.

use std::sync::LazyLock;

use rand::RngExt;

/// Items with cumulative weights, for weighted draws by binary search.
#[derive(Debug)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T> Weighted<T> {
    fn new(pairs: impl IntoIterator<Item = (T, u64)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total += weight;
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    pub(crate) fn pick(&self, rng: &mut impl rand::Rng) -> &T {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        &self.items[i.min(self.items.len() - 1)]
    }

    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }
}

/// CSV rows of a small embedded file (header skipped; quoted fields with commas handled).
fn rows(text: &'static str) -> impl Iterator<Item = Vec<String>> {
    text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(split_csv)
}

pub(crate) fn split_csv(line: &str) -> Vec<String> {
    split_fields(line, ',')
}

/// One line's fields, split at `sep` outside double quotes (`""` inside quotes is a quote).
pub(crate) fn split_fields(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (c, false) if c == sep => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

#[derive(Debug, Clone)]
pub struct Municipality {
    pub number: String,
    pub name: String,
    pub county_number: String,
    pub county_name: String,
    pub population: u64,
    /// Postal codes with street addresses (categories G and S).
    pub postal_codes: Vec<(String, String)>,
}

pub(crate) struct Tables {
    pub(crate) municipalities: Weighted<Municipality>,
    pub(crate) female_names: Weighted<String>,
    pub(crate) male_names: Weighted<String>,
    pub(crate) family_names: Weighted<String>,
    pub(crate) adjectives: Vec<String>,
    pub(crate) nouns: Vec<String>,
}

pub(crate) static TABLES: LazyLock<Tables> = LazyLock::new(load);

fn load() -> Tables {
    let mut postal: Vec<(String, String, String)> = rows(include_str!("../data/postal_codes.csv"))
        .filter(|r| r.len() >= 5 && matches!(r[4].as_str(), "G" | "S"))
        .map(|r| (r[2].clone(), r[0].clone(), r[1].to_uppercase()))
        .collect();
    postal.sort();
    let municipalities = Weighted::new(
        rows(include_str!("../data/municipalities.csv"))
            .filter(|r| r.len() >= 6)
            .map(|r| {
                let codes: Vec<(String, String)> = postal
                    .iter()
                    .filter(|(m, _, _)| *m == r[0])
                    .map(|(_, code, place)| (code.clone(), place.clone()))
                    .collect();
                let population = r[5].parse().unwrap_or(0);
                (
                    Municipality {
                        number: r[0].clone(),
                        name: r[1].clone(),
                        county_number: r[3].clone(),
                        county_name: r[4].clone(),
                        population,
                        postal_codes: codes,
                    },
                    population,
                )
            })
            .filter(|(m, _)| !m.postal_codes.is_empty()),
    );
    let names = |sex: &str| {
        Weighted::new(
            rows(include_str!("../data/given_names.csv"))
                .filter(|r| r.len() >= 3 && r[1] == sex)
                .map(|r| (r[0].clone(), r[2].parse().unwrap_or(0))),
        )
    };
    let words = |text: &'static str| -> Vec<String> {
        rows(text).filter_map(|r| r.into_iter().next()).filter(|w| !w.is_empty()).collect()
    };
    Tables {
        municipalities,
        female_names: names("F"),
        male_names: names("M"),
        family_names: Weighted::new(
            rows(include_str!("../data/family_names.csv"))
                .filter(|r| r.len() >= 2)
                .map(|r| (r[0].clone(), r[1].parse().unwrap_or(0))),
        ),
        adjectives: words(include_str!("../data/adjectives.csv")),
        nouns: words(include_str!("../data/nouns.csv")),
    }
}

/// Municipalities with their weights, for tests and statistics.
pub fn municipalities() -> &'static [Municipality] {
    TABLES.municipalities.items()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_with_real_rows() {
        let t = &*TABLES;
        assert!(
            t.municipalities.items().len() > 300,
            "357 municipalities, nearly all with street codes"
        );
        let oslo = t.municipalities.items().iter().find(|m| m.number == "0301").unwrap();
        assert!(oslo.postal_codes.iter().any(|(c, _)| c == "0150"));
        assert!(t.female_names.items().len() > 900 && t.male_names.items().len() > 800);
        assert!(t.adjectives.len() > 400 && t.nouns.len() > 1000);
        assert_eq!(split_csv(r#"A,"Jordbruk, skogbruk",x"#), vec!["A", "Jordbruk, skogbruk", "x"]);
    }
}
