//! The generated population, measured: determinism, identity numbers, family consistency,
//! households, addresses, and the age distribution against Norway's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

mod simulate;

use fjellport_nin::{Date, Nin, Synthetic};
use fjellport_population::{Options, Person, generate, pyramid};

const TODAY: Date = Date { year: 2026, month: 9, day: 1 };

static POP: LazyLock<Vec<Person>> = LazyLock::new(|| {
    generate(&Options { seed: 7, persons: 20_000, today: TODAY, addresses: None }).unwrap()
});

fn by_nin() -> BTreeMap<&'static str, &'static Person> {
    POP.iter().map(|p| (p.nin(), p)).collect()
}

fn age(p: &Person) -> u16 {
    fjellport_population::generate::age_on(Date::parse(p.birth_date()).unwrap(), TODAY)
}

#[test]
fn the_same_seed_gives_the_same_population_byte_for_byte() {
    let opts = Options { seed: 11, persons: 2_000, today: TODAY, addresses: None };
    let a = serde_json::to_string(&generate(&opts).unwrap()).unwrap();
    let b = serde_json::to_string(&generate(&opts).unwrap()).unwrap();
    assert_eq!(a, b);
    let other =
        serde_json::to_string(&generate(&Options { seed: 12, ..opts.clone() }).unwrap()).unwrap();
    assert_ne!(a, other);
    assert_eq!(generate(&opts).unwrap().len(), 2_000, "exactly the size asked for");
}

#[test]
fn each_run_takes_its_own_address_book() {
    use fjellport_population::addresses::AddressBook;
    let book = |street: &str| {
        let csv = format!(
            "lokalid;kommunenummer;kommunenavn;adressetype;adressenavn;nummer;bokstav;postnummer;\
             poststed\n1;0301;OSLO;vegadresse;{street};1;;0150;OSLO\n"
        );
        std::sync::Arc::new(AddressBook::from_kartverket_csv(&csv).unwrap())
    };
    // Two runs in one process, each with its book: the second is not ignored.
    for street in ["Fjellportgata", "Testveien"] {
        let opts = Options { seed: 3, persons: 3_000, today: TODAY, addresses: Some(book(street)) };
        let oslo: Vec<String> = generate(&opts)
            .unwrap()
            .iter()
            .filter_map(|p| p.address())
            .filter(|a| a.municipality_number == "0301")
            .map(|a| a.address_name.clone())
            .collect();
        assert!(oslo.len() > 50, "{street}: {} in Oslo", oslo.len());
        assert!(oslo.iter().all(|name| name == street), "{street}: {oslo:?}");
    }
}

#[test]
fn every_person_has_a_unique_valid_test_norge_number_matching_birth_and_gender() {
    let mut seen = BTreeSet::new();
    for p in POP.iter() {
        let (_, info) = Nin::parse(p.nin()).unwrap_or_else(|e| panic!("{}: {e}", p.nin()));
        assert_eq!(info.synthetic, Some(Synthetic::TestNorge), "{}", p.nin());
        assert_eq!(info.birth_date.map(|d| d.to_string()).as_deref(), Some(p.birth_date()));
        let sex = if p.gender() == "Female" {
            fjellport_nin::Sex::Female
        } else {
            fjellport_nin::Sex::Male
        };
        assert_eq!(info.sex, Some(sex), "{}", p.nin());
        assert!(seen.insert(p.nin().to_owned()), "duplicate {}", p.nin());
        assert!(seen.insert(p.id.clone()), "duplicate id {}", p.id);
    }
}

#[test]
fn family_links_exist_on_both_sides_with_matching_roles_and_plausible_ages() {
    let index = by_nin();
    let mut children_with_two_parents = 0;
    for p in POP.iter() {
        for r in &p.family_relation {
            let other = index
                .get(r.related_person.as_str())
                .unwrap_or_else(|| panic!("{} → missing {}", p.nin(), r.related_person));
            let back = other
                .family_relation
                .iter()
                .find(|b| b.related_person == p.nin())
                .unwrap_or_else(|| panic!("{} ↔ {}: one-sided", p.nin(), other.nin()));
            assert_eq!(back.related_persons_role, r.my_role_for_related_person);
            assert_eq!(back.my_role_for_related_person, r.related_persons_role);
            if r.related_persons_role == "Mother" || r.related_persons_role == "Father" {
                let gap = i32::from(age(other)) - i32::from(age(p));
                assert!((15..=50).contains(&gap), "parent {} is {gap} years older", other.nin());
                let want = if r.related_persons_role == "Mother" { "Female" } else { "Male" };
                assert_eq!(other.gender(), want);
            }
        }
        let parents = p
            .family_relation
            .iter()
            .filter(|r| matches!(r.related_persons_role.as_str(), "Mother" | "Father"))
            .count();
        children_with_two_parents += usize::from(parents == 2);
        // Minors have someone with parental responsibility.
        if parents > 0 && age(p) < 18 {
            assert!(
                p.parental_responsibility.iter().any(|r| r.subject_of_responsibility == p.nin()),
                "{}",
                p.nin()
            );
        }
    }
    assert!(children_with_two_parents > POP.len() / 10, "{children_with_two_parents}");
}

#[test]
fn marital_status_is_consistent_married_pairs_divorced_pairs_and_widows_of_the_deceased() {
    let index = by_nin();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut died_married = 0;
    for p in POP.iter() {
        let current: Vec<_> = p.marital_status.iter().filter(|m| m.meta.is_valid).collect();
        assert_eq!(current.len(), 1, "{}: one current marital status", p.nin());
        let m = current[0];
        *counts.entry(m.status.as_str()).or_default() += 1;
        match m.status.as_str() {
            "Married" => {
                let spouse = index[m.related_by_marital_status.as_deref().unwrap()];
                let theirs = spouse.marital_status.iter().find(|s| s.meta.is_valid).unwrap();
                // FREG keeps a deceased person's status; the survivor becomes a widow(er).
                let want = if p.status() == "Deceased" { "WidowOrWidower" } else { "Married" };
                assert_eq!(theirs.status, want, "{}", p.nin());
                if let Some(death) = &p.death {
                    // Married before the day of death, never on it.
                    let wed = m.status_date.as_deref().unwrap();
                    assert!(
                        wed < death.deceased_date.as_str(),
                        "{}: wed {wed}, died {}",
                        p.nin(),
                        death.deceased_date
                    );
                    died_married += 1;
                }
                assert_eq!(theirs.related_by_marital_status.as_deref(), Some(p.nin()));
            }
            "WidowOrWidower" => {
                let spouse = index[m.related_by_marital_status.as_deref().unwrap()];
                assert_eq!(spouse.status(), "Deceased", "a widow's spouse is deceased");
                assert!(spouse.death.is_some());
            }
            "Divorced" => {
                let ex = index[m.related_by_marital_status.as_deref().unwrap()];
                assert_eq!(
                    ex.marital_status.iter().find(|s| s.meta.is_valid).unwrap().status,
                    "Divorced"
                );
                assert!(p.marital_status.len() >= 3, "history kept: unmarried, married, divorced");
            }
            _ => {}
        }
    }
    for status in ["Unmarried", "Married", "Divorced", "WidowOrWidower"] {
        assert!(counts.get(status).copied().unwrap_or(0) > 100, "{status}: {counts:?}");
    }
    assert!(died_married > 500, "{died_married} died married");
}

#[test]
fn households_share_a_real_address_and_postal_codes_belong_to_their_municipality() {
    let index = by_nin();
    let municipalities: BTreeMap<&str, &fjellport_population::data::Municipality> =
        fjellport_population::data::municipalities()
            .iter()
            .map(|m| (m.number.as_str(), m))
            .collect();
    let mut oslo = 0usize;
    let mut residents = 0usize;
    for p in POP.iter() {
        let Some(a) = p.address() else {
            assert!(matches!(p.status(), "Deceased" | "Emigrated"), "{} has no address", p.nin());
            continue;
        };
        residents += 1;
        oslo += usize::from(a.municipality_number == "0301");
        let m = municipalities[a.municipality_number.as_str()];
        assert!(
            m.postal_codes.iter().any(|(c, _)| *c == a.city.postal_code),
            "{} not in {}",
            a.city.postal_code,
            m.name
        );
        // Children live with at least one parent.
        if age(p) < 18 {
            let parents: Vec<_> = p
                .family_relation
                .iter()
                .filter(|r| {
                    r.related_persons_role != "SpouseOrPartner"
                        && r.my_role_for_related_person == "Child"
                })
                .collect();
            if !parents.is_empty() {
                assert!(
                    parents.iter().any(|r| index[r.related_person.as_str()].address() == Some(a)),
                    "{} lives alone",
                    p.nin()
                );
            }
        }
    }
    // Oslo holds about 13 % of Norway's population.
    let share = oslo as f64 / residents as f64;
    assert!((0.09..0.17).contains(&share), "Oslo share {share}");
}

#[test]
fn the_age_distribution_is_close_to_norways() {
    let n = POP.len() as f64;
    let share =
        |lo: u16, hi: u16| POP.iter().filter(|p| (lo..hi).contains(&age(p))).count() as f64 / n;
    for (lo, hi) in [(0, 18), (18, 67), (67, 120)] {
        let want = pyramid::share(lo, hi);
        let got = share(lo, hi);
        assert!((got - want).abs() < 0.05, "ages {lo}–{hi}: {got:.3} vs SSB {want:.3}");
    }
    let women = POP.iter().filter(|p| p.gender() == "Female").count() as f64 / n;
    assert!((0.46..0.54).contains(&women), "women {women}");
}

#[test]
fn d_number_holders_emigrants_and_the_deceased_are_there() {
    let count = |f: &dyn Fn(&Person) -> bool| POP.iter().filter(|p| f(p)).count();
    let d =
        count(&|p| p.norwegian_identification_number[0].identification_number_type == "DNumber");
    // D-number holders (foreign workers): a few per cent of the resident population.
    assert!(d > POP.len() * 25 / 1000, "D-numbers: {d}");
    for p in POP
        .iter()
        .filter(|p| p.norwegian_identification_number[0].identification_number_type == "DNumber")
    {
        assert_ne!(p.citizenship[0].country_code, "NOR");
        assert_eq!(p.residence_permit.len(), 1);
    }
    assert!(count(&|p| p.status() == "Emigrated") > 20);
    assert!(count(&|p| p.status() == "Deceased") > 100);
    // Test-Norge names are adjective + noun; e-mail addresses are on .test domains; mobile
    // numbers are +47 and eight digits in the unassigned 01 series, for most KRR entries.
    let (mut krr, mut phones) = (0, 0);
    for p in POP.iter() {
        if let Some(k) = &p.common_contact_register_information {
            let c = &k.contact_information;
            assert!(c.email.ends_with(".test"), "{}", c.email);
            krr += 1;
            if let Some(phone) = &c.phone_number {
                phones += 1;
                let national = phone.strip_prefix("+47").unwrap_or_default();
                assert!(
                    national.len() == 8
                        && national.starts_with("01")
                        && national.bytes().all(|b| b.is_ascii_digit()),
                    "{phone}"
                );
                assert_eq!(c.phone_number_last_updated.as_ref(), Some(&c.email_last_updated));
                assert_eq!(c.phone_number_last_verified, c.email_last_verified);
            } else {
                assert!(c.phone_number_last_updated.is_none());
                assert!(c.phone_number_last_verified.is_none());
            }
            // Confirmed within the last six months, never before the last change.
            let verified = c.email_last_verified.as_deref().unwrap();
            assert!(
                verified >= c.email_last_updated.as_str(),
                "{verified} {}",
                c.email_last_updated
            );
            assert!(("2026-03-01".."2026-09-02").contains(&verified), "{verified}");
        }
    }
    assert!(krr > POP.len() / 2, "KRR entries: {krr}");
    assert!(phones * 100 > krr * 88 && phones * 100 < krr * 98, "phones: {phones} of {krr}");
}

#[test]
fn ordinary_names_for_reserved_persons_come_from_ssb_lists() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let names: Vec<_> = (0..200)
        .map(|_| fjellport_population::ordinary_name(&mut rng, fjellport_nin::Sex::Female))
        .collect();
    assert!(
        names
            .iter()
            .any(|(g, _)| ["Anne", "Inger", "Kari", "Marit", "Ingrid"].contains(&g.as_str())),
        "{names:?}"
    );
}

#[test]
fn most_residents_have_a_gp_in_their_area_and_some_adults_are_health_personnel() {
    use fjellport_population::Generator;
    use fjellport_population::registers::RESIDENTS_PER_GP;
    let persons = 30_000;
    let mut generator = Generator::new(Options { seed: 5, persons, today: TODAY, addresses: None });
    let mut all = Vec::new();
    loop {
        let batch = generator.next_registered(7_000).unwrap();
        if batch.is_empty() {
            break;
        }
        all.extend(batch);
    }
    assert_eq!(all.len(), persons);
    let gps: BTreeMap<&str, &Person> = all
        .iter()
        .filter(|(_, r)| r.is_gp)
        .map(|(p, r)| (r.hpr.as_ref().unwrap().hpr_number.as_str(), p))
        .collect();
    assert_eq!(gps.len(), persons.div_ceil(RESIDENTS_PER_GP), "one GP per 1,100 persons");
    for (p, r) in all.iter().filter(|(_, r)| r.is_gp) {
        let hpr = r.hpr.as_ref().unwrap();
        assert_eq!(hpr.authorizations[0].category, "LE", "a GP is a doctor");
        assert_eq!(hpr.specialities, ["Allmennmedisin"]);
        assert!((30..=67).contains(&age(p)), "working age: {}", age(p));
        assert_eq!(
            hpr.gp_municipality_number.as_deref(),
            p.address().map(|a| a.municipality_number.as_str()),
            "practises where they live"
        );
    }
    let residents: Vec<_> = all.iter().filter(|(p, _)| p.status() == "Resident").collect();
    let listed: Vec<_> = residents.iter().filter(|(_, r)| r.gp.is_some()).collect();
    let share = listed.len() as f64 / residents.len() as f64;
    assert!((0.95..0.99).contains(&share), "about 97 % of residents have a GP: {share}");
    assert!(all.iter().filter(|(p, _)| p.status() != "Resident").all(|(_, r)| r.gp.is_none()));
    let mut list_sizes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut same_county = 0;
    for (p, r) in &listed {
        let gp = r.gp.as_deref().unwrap();
        let doctor = gps.get(gp).expect("every GP link points at a GP");
        assert_ne!(doctor.nin(), p.nin(), "nobody is their own GP");
        *list_sizes.entry(gp).or_default() += 1;
        if doctor.address().map(|a| &a.county_number) == p.address().map(|a| &a.county_number) {
            same_county += 1;
        }
        let since = Date::parse(r.gp_since.as_deref().unwrap()).unwrap();
        assert!(since <= TODAY && since >= Date::parse(p.birth_date()).unwrap());
    }
    assert!(list_sizes.values().all(|&n| n <= RESIDENTS_PER_GP * 13 / 10), "lists are capped");
    assert!(
        same_county * 10 >= listed.len() * 6,
        "mostly a GP of their own county: {same_county}/{}",
        listed.len()
    );
    // Health personnel: about 7 % of adults 23–70, mostly nurses and health workers.
    let adults =
        all.iter().filter(|(p, _)| (23..=70).contains(&age(p)) && p.status() == "Resident").count();
    let personnel = all.iter().filter(|(_, r)| r.hpr.is_some() && !r.is_gp).count();
    let share = personnel as f64 / adults as f64;
    assert!((0.05..0.09).contains(&share), "health personnel share {share}");
    let numbers: BTreeSet<&str> =
        all.iter().filter_map(|(_, r)| r.hpr.as_ref()).map(|h| h.hpr_number.as_str()).collect();
    assert_eq!(numbers.len(), personnel + gps.len(), "HPR numbers are unique");
}

#[test]
fn organizations_have_valid_numbers_forms_and_roles_held_by_adults_of_the_population() {
    use fjellport_nin::orgnr::OrgNumber;
    use fjellport_population::Generator;
    let mut generator =
        Generator::new(Options { seed: 9, persons: 20_000, today: TODAY, addresses: None });
    let mut persons = Vec::new();
    let mut orgs = Vec::new();
    loop {
        let batch = generator.next_batch(5_000).unwrap();
        if batch.is_empty() {
            break;
        }
        persons.extend(batch);
        orgs.extend(generator.take_organizations());
    }
    let by_nin: BTreeMap<&str, &Person> = persons.iter().map(|p| (p.nin(), p)).collect();
    let adults =
        persons.iter().filter(|p| p.status() == "Resident" && (25..=75).contains(&age(p))).count();
    let share = orgs.len() as f64 / adults as f64;
    assert!((0.10..0.14).contains(&share), "about 12 % of adults found one: {share}");
    let numbers: BTreeSet<&str> = orgs.iter().map(|o| o.organization_number.as_str()).collect();
    assert_eq!(numbers.len(), orgs.len(), "unique numbers");
    let count = |form: &str| orgs.iter().filter(|o| o.organization_form.code == form).count();
    assert!(count("ENK") * 100 / orgs.len() >= 35 && count("AS") * 100 / orgs.len() >= 35);
    for o in &orgs {
        let n: OrgNumber = o.organization_number.parse().expect("a valid organization number");
        assert!(n.to_string().starts_with('3'), "synthetic range");
        assert!(!o.organization_form.description.is_empty());
        assert!(o.industry_code.code.contains('.'), "an SN2025 subclass: {}", o.industry_code.code);
        assert!(o.registered_date.as_str() <= "2026-09-01");
        let codes: Vec<&str> = o.roles.iter().map(|r| r.role.as_str()).collect();
        match o.organization_form.code.as_str() {
            "ENK" => assert_eq!(codes, ["INNH"]),
            "AS" | "ASA" | "NUF" | "SA" => assert_eq!(codes[0], "DAGL"),
            _ => assert!(!codes.is_empty()),
        }
        for r in &o.roles {
            let p =
                by_nin.get(r.nin.as_str()).expect("roles are held by persons of the population");
            assert_eq!(p.id, r.person_id);
            assert!(age(p) >= 25, "role holders are adults");
        }
    }
}

/// Every generated name, street and contact passes the rules an edit must pass: an edit that
/// only changes one member must not fail on what the generator put in another.
#[test]
fn every_generated_name_street_and_contact_passes_the_registers_rules() {
    use fjellport_population::text_rules::{email, person_name, phone, street_name};
    for p in POP.iter() {
        let n = p.current_name().unwrap();
        let parts = [Some(&n.given_name), n.middle_name.as_ref(), Some(&n.family_name)];
        for part in parts.into_iter().flatten() {
            assert_eq!(person_name(part).as_deref(), Ok(part.as_str()), "{part:?}");
        }
        if let Some(a) = p.address() {
            let street = &a.address_name;
            assert_eq!(street_name(street).as_deref(), Ok(street.as_str()), "{street:?}");
        }
        if let Some(k) = &p.common_contact_register_information {
            let c = &k.contact_information;
            if !c.email.is_empty() {
                assert_eq!(email(&c.email, false), Ok(()), "{}", c.email);
            }
            if let Some(number) = &c.phone_number {
                assert_eq!(phone(number, false), Ok(()), "{number}");
            }
        }
    }
}
