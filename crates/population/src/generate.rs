//! The deterministic generator: `(seed, size, today)` → the same population, byte for byte.
//!
//! Households come first, then their members, so every family link is made on both sides at
//! once: couples (married or cohabiting) with children, single parents (the other parent lives
//! elsewhere, divorced), singles (some divorced), widows and widowers (the spouse exists,
//! deceased), foreign workers with D-numbers, and emigrants. A household shares one address in a
//! real municipality, at one of its real postal codes, weighted by municipality population.

use fjellport_nin::alloc::{AllocError, Allocator, Request};
use fjellport_nin::{Date, Kind, Rule, Sex, Synthetic, days_in_month};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use std::sync::Arc;

use crate::addresses::AddressBook;
use crate::data::{Municipality, TABLES};
use crate::model::*;
use crate::organizations::{Organization, Registry};
use crate::pyramid::BANDS_THOUSANDS;
use crate::registers::{PersonRegisters, Roster};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub persons: usize,
    /// "Today" by the clock: ages and dates are relative to it.
    pub today: Date,
    /// Real street addresses for homes (Kartverket's file); without them, synthetic street
    /// names in real municipalities. Passed in, never process-wide: one run, one book.
    pub addresses: Option<Arc<AddressBook>>,
}

/// Countries foreign workers with D-numbers come from (ISO alpha-3), weighted roughly by how
/// often they appear among D-number holders in Norway.
const WORKER_COUNTRIES: [(&str, u32); 8] = [
    ("POL", 30),
    ("LTU", 15),
    ("SWE", 12),
    ("ROU", 8),
    ("UKR", 10),
    ("DEU", 6),
    ("LVA", 6),
    ("PHL", 5),
];

const STREET_SUFFIXES: [&str; 10] =
    ["veien", "vegen", "gata", "bakken", "lia", "stien", "tunet", "svingen", "haugen", "åsen"];
const MAIL_DOMAINS: [&str; 3] = ["eksempel.test", "testpost.test", "fjellpost.test"];
const SOURCE: &str = "Skatteetaten";

/// When a person last confirmed their KRR details: up to 180 days before `today` (KRR asks
/// twice a year), never before they last changed them; from the id, like the phone number.
pub(crate) fn krr_verified(id: &str, today: Date, updated: Date) -> Date {
    let bits = id.get(16..32).and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or(0);
    days_before(today, (bits % 181) as u32).max(updated)
}

/// A KRR mobile number for about 93 % of persons, drawn from the person's (random) id rather
/// than the generator's stream, so adding it left every other generated value as it was.
/// Numbers are in the `01` series that Nkom keeps unassigned (see `ContactInformation`).
pub(crate) fn krr_phone(id: &str) -> Option<String> {
    let bits = u64::from_str_radix(id.get(..16)?, 16).ok()?;
    (bits % 100 < 93).then(|| format!("+4701{:06}", (bits >> 8) % 1_000_000))
}

pub(crate) struct Gen<'a> {
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) alloc: &'a mut Allocator,
    pub(crate) today: Date,
    pub(crate) out: &'a mut Vec<Person>,
    /// Test-Norge (+80) for the generated population, reserved (+65) for reservations.
    pub(crate) group: Synthetic,
    /// Where the next household's home must be (a GP's practice municipality).
    pub(crate) force_home: Option<Municipality>,
    /// Real street addresses, when the run has them.
    pub(crate) addresses: Option<&'a AddressBook>,
}

/// Generates a population household by household, in batches, so a large one never has to be
/// held in memory whole. Batches end on household boundaries: every family link in a batch
/// points into the same batch or an earlier one.
#[derive(Debug)]
pub struct Generator {
    rng: ChaCha8Rng,
    alloc: Allocator,
    opts: Options,
    made: usize,
    /// The health registers, drawn from their own stream so they leave households alone.
    registers: ChaCha8Rng,
    roster: Roster,
    gp_households: usize,
    /// Organizations founded so far and not yet taken (see [`Generator::take_organizations`]).
    organizations: Vec<Organization>,
    registry: Registry,
    /// The Enhetsregister's own draws, apart from households and health registers.
    founding: ChaCha8Rng,
}

impl Generator {
    pub fn new(opts: Options) -> Generator {
        let mut registers = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x4850_5246_4c52);
        let roster = Roster::plan(opts.persons, &mut registers);
        Generator {
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            alloc: Allocator::new(),
            made: 0,
            registers,
            roster,
            gp_households: 0,
            organizations: Vec::new(),
            registry: Registry::new(),
            founding: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x454e_4845_5453),
            opts,
        }
    }

    /// The organizations founded by the persons generated so far (each handed out once).
    pub fn take_organizations(&mut self) -> Vec<Organization> {
        std::mem::take(&mut self.organizations)
    }

    /// The next persons, at least `at_least` of them unless the population is complete;
    /// empty once it is.
    pub fn next_batch(&mut self, at_least: usize) -> Result<Vec<Person>, AllocError> {
        Ok(self.next_registered(at_least)?.into_iter().map(|(p, _)| p).collect())
    }

    /// Like [`Generator::next_batch`], with what the health registers hold about each person.
    pub fn next_registered(
        &mut self,
        at_least: usize,
    ) -> Result<Vec<(Person, PersonRegisters)>, AllocError> {
        let mut out = Vec::with_capacity(at_least + 8);
        let mut gp_heads = Vec::new();
        let mut g = Gen {
            rng: &mut self.rng,
            alloc: &mut self.alloc,
            today: self.opts.today,
            out: &mut out,
            group: Synthetic::TestNorge,
            force_home: None,
            addresses: self.opts.addresses.as_deref(),
        };
        while g.out.len() < at_least && self.made + g.out.len() < self.opts.persons {
            let remaining = self.opts.persons - self.made - g.out.len();
            let before = g.out.len();
            // The GPs' households come first, each in its planned municipality.
            if let Some(m) = self.roster.gp_home(self.gp_households) {
                g.force_home = Some(m);
                let age = g.adult_age(30, 66);
                if g.rng.random_bool(0.55) && remaining > 4 {
                    let children = g.rng.random_range(0..=2);
                    g.couple(age, children)?;
                } else {
                    g.single(age)?;
                }
                g.force_home = None;
                if g.out.len() - before > remaining {
                    g.out.truncate(before);
                } else {
                    gp_heads.push(before);
                    self.gp_households += 1;
                    continue;
                }
            }
            g.household()?;
            if g.out.len() - before > remaining {
                // Too big for what is left: drop it and fill with a single adult instead.
                g.out.truncate(before);
                let home = g.home(18);
                let age = g.adult_age(18, 90);
                let sex = if g.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
                let family = g.family_name();
                g.person(age, sex, &family, Some(&home), Kind::Fnr)?;
            }
        }
        self.made += out.len();
        let registers = self.roster.register(&out, &gp_heads, &mut self.registers, self.opts.today);
        let founded = self.registry.found(&out, &mut self.founding, self.opts.today);
        self.organizations.extend(founded);
        Ok(out.into_iter().zip(registers).collect())
    }
}

/// A parent's share of parental responsibility for a minor child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Responsibility {
    Joint,
    Sole,
    None,
}

/// A household's shared address.
pub(crate) struct Home {
    pub(crate) address: StreetAddress,
    pub(crate) move_date: Date,
}

/// The date of one of our date-times (`YYYY-MM-DDT…`), if it has one.
fn date_of(datetime: &str) -> Option<Date> {
    datetime.get(..10).and_then(Date::parse)
}

pub(crate) fn ts(d: Date) -> String {
    format!("{d}T00:00:00")
}

pub(crate) fn meta(from: Date) -> Meta {
    Meta {
        registered_at: format!("{from}T12:00:00Z"),
        is_valid: true,
        source: SOURCE.to_owned(),
        reason: None,
        valid_from: Some(ts(from)),
        valid_to: None,
    }
}

fn ended(from: Date, to: Date) -> Meta {
    Meta { is_valid: false, valid_to: Some(ts(to)), ..meta(from) }
}

fn capitalize(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn ascii_mail(word: &str) -> String {
    word.to_lowercase()
        .chars()
        .flat_map(|c| match c {
            'æ' => "ae".chars().collect::<Vec<_>>(),
            'ø' => vec!['o'],
            'å' => "aa".chars().collect(),
            c if c.is_ascii_alphanumeric() => vec![c],
            _ => vec![],
        })
        .collect()
}

/// Generates the whole population at once (fine for tests and small sizes; large ones should
/// use [`Generator`] batch by batch).
pub fn generate(opts: &Options) -> Result<Vec<Person>, AllocError> {
    let mut generator = Generator::new(opts.clone());
    let mut all = Vec::with_capacity(opts.persons);
    loop {
        let batch = generator.next_batch(10_000)?;
        if batch.is_empty() {
            return Ok(all);
        }
        all.extend(batch);
    }
}

impl Gen<'_> {
    fn household(&mut self) -> Result<(), AllocError> {
        let head_age = self.adult_age(18, 100);
        let roll = self.rng.random_range(0..100u32);
        match head_age {
            _ if roll < 7 => self.foreign_worker(),
            _ if roll < 8 => self.emigrant(head_age),
            18..=29 => match roll {
                8..=59 => self.single(head_age),
                60..=84 => self.couple(head_age, 0),
                _ => {
                    let children = self.rng.random_range(1..=2);
                    self.couple(head_age, children)
                }
            },
            30..=54 => match roll {
                8..=54 => {
                    let children = self.rng.random_range(1..=3);
                    self.couple(head_age, children)
                }
                55..=64 => self.single_parent(head_age),
                65..=84 => self.single(head_age),
                _ => self.couple(head_age, 0),
            },
            55..=69 => match roll {
                8..=59 => self.couple(head_age, 0),
                60..=69 => self.couple(head_age, 1),
                70..=92 => self.single(head_age),
                _ => self.widowed(head_age),
            },
            _ => match roll {
                8..=49 => self.couple(head_age, 0),
                50..=84 => self.widowed(head_age),
                _ => self.single(head_age),
            },
        }
    }

    /// An age in `[min, max]`, drawn from the population pyramid.
    pub(crate) fn adult_age(&mut self, min: u16, max: u16) -> u16 {
        let ages = || {
            BANDS_THOUSANDS
                .iter()
                .flat_map(|&(start, n)| (start..start + 5).map(move |a| (a, n)))
                .filter(move |&(a, _)| a >= min && a <= max)
        };
        let total: u32 = ages().map(|w| w.1).sum();
        let mut x = self.rng.random_range(0..total.max(1));
        for (age, w) in ages() {
            if x < w {
                return age;
            }
            x -= w;
        }
        min
    }

    pub(crate) fn date_years_ago(&mut self, years: u16) -> Date {
        let today = self.today;
        let year = today.year.saturating_sub(years);
        // A birthday somewhere in the year before `today`'s anniversary.
        let offset = self.rng.random_range(0..365u16);
        let d = Date::new(year, today.month, today.day.min(days_in_month(year, today.month)))
            .unwrap_or(Date { year, month: 1, day: 1 });
        days_before(d, u32::from(offset))
    }

    /// A date between today and `max_years` years ago.
    pub(crate) fn up_to_years_ago(&mut self, max_years: u16) -> Date {
        let years = self.rng.random_range(0..=max_years);
        self.date_years_ago(years)
    }

    pub(crate) fn family_name(&mut self) -> String {
        let nouns = &TABLES.nouns;
        capitalize(&nouns[self.rng.random_range(0..nouns.len())])
    }

    fn given_name(&mut self) -> String {
        let adjectives = &TABLES.adjectives;
        capitalize(&adjectives[self.rng.random_range(0..adjectives.len())])
    }

    pub(crate) fn home(&mut self, head_age: u16) -> Home {
        if let Some(m) = self.force_home.take() {
            return self.home_in(head_age, m);
        }
        let m: Municipality = TABLES.municipalities.pick(&mut self.rng).clone();
        self.home_in(head_age, m)
    }

    /// A home in municipality `m`, at one of its postal codes.
    pub(crate) fn home_in(&mut self, head_age: u16, m: Municipality) -> Home {
        let (street, house, letter, postal_code, place) =
            match self.addresses.and_then(|book| book.in_municipality(&m.number)) {
                Some(real) => {
                    let a = real[self.rng.random_range(0..real.len())].clone();
                    (
                        a.street.to_string(),
                        a.house_number,
                        a.house_letter,
                        a.postal_code,
                        a.place.to_string(),
                    )
                }
                None => {
                    let (postal_code, place) =
                        m.postal_codes[self.rng.random_range(0..m.postal_codes.len())].clone();
                    let street = format!(
                        "{}{}",
                        capitalize(&TABLES.nouns[self.rng.random_range(0..TABLES.nouns.len())]),
                        STREET_SUFFIXES[self.rng.random_range(0..STREET_SUFFIXES.len())]
                    );
                    let house =
                        1 + self.rng.random_range(0..40u32) * self.rng.random_range(1..4u32);
                    let letter = self
                        .rng
                        .random_bool(0.1)
                        .then(|| ["A", "B", "C", "D"][self.rng.random_range(0..4)].to_owned());
                    (street, house.to_string(), letter, postal_code, place)
                }
            };
        let years_here = self.rng.random_range(0..=head_age.saturating_sub(18).min(30));
        let move_date = self.date_years_ago(years_here);
        Home {
            address: StreetAddress {
                municipality_number: m.number.clone(),
                municipality_name: m.name.clone(),
                county_number: m.county_number.clone(),
                county_name: m.county_name.clone(),
                address_name: street,
                address_number: AddressNumber { house_number: house, house_letter: letter },
                city: City { city_name: place, postal_code },
            },
            move_date,
        }
    }

    /// Adds one person `age` years old and returns its index.
    fn person(
        &mut self,
        age: u16,
        sex: Sex,
        family: &str,
        home: Option<&Home>,
        kind: Kind,
    ) -> Result<usize, AllocError> {
        let birth = self.date_years_ago(age);
        let given = self.given_name();
        self.person_born(birth, sex, (given, None, family), home, kind)
    }

    /// Adds one person born on `birth`, named `(given, middle, family)`; returns its index.
    pub(crate) fn person_born(
        &mut self,
        birth: Date,
        sex: Sex,
        (given, middle, family): (String, Option<String>, &str),
        home: Option<&Home>,
        kind: Kind,
    ) -> Result<usize, AllocError> {
        let nin = self.alloc.allocate(Request {
            birth_date: birth,
            sex,
            kind,
            synthetic: Some(self.group),
            rule: rule_for(birth),
        })?;
        let age = age_on(birth, self.today);
        let mut id = String::with_capacity(32);
        for _ in 0..4 {
            id.push_str(&format!("{:08x}", self.rng.random::<u32>()));
        }
        let nin_text = nin.to_string();
        let gender = match sex {
            Sex::Female => "Female",
            Sex::Male => "Male",
        };
        let registered = if kind == Kind::DNumber { self.up_to_years_ago(5) } else { birth };
        let krr = (age >= 15).then(|| {
            let phone = krr_phone(&id);
            // Drawn in this order since the start: keep it, so seeds give what they gave.
            let reservation = if self.rng.random_bool(0.04) { "Yes" } else { "No" };
            let email = format!(
                "{}.{}@{}",
                ascii_mail(&given),
                ascii_mail(family),
                MAIL_DOMAINS[self.rng.random_range(0..MAIL_DOMAINS.len())]
            );
            let updated_on = self.up_to_years_ago(4);
            let updated = format!("{updated_on}T09:00:00Z");
            let verified = format!("{}T09:30:00Z", krr_verified(&id, self.today, updated_on));
            CommonContactRegisterInformation {
                reservation: reservation.to_owned(),
                status: "Active".to_owned(),
                notification_status: "CanBeNotified".to_owned(),
                contact_information: ContactInformation {
                    email,
                    phone_number_last_updated: phone.is_some().then(|| updated.clone()),
                    phone_number_last_verified: phone.is_some().then(|| verified.clone()),
                    phone_number: phone,
                    email_last_updated: updated,
                    email_last_verified: Some(verified),
                },
                language: "nb".to_owned(),
            }
        });
        self.out.push(Person {
            id,
            norwegian_identification_number: vec![IdentificationNumber {
                meta: meta(registered),
                identification_number: nin_text,
                identification_number_type: if kind == Kind::DNumber {
                    "DNumber"
                } else {
                    "NationalIdentityNumber"
                }
                .to_owned(),
                status: "InUse".to_owned(),
            }],
            name: vec![PersonName {
                meta: meta(birth),
                given_name: given,
                middle_name: middle,
                family_name: family.to_owned(),
            }],
            birth: vec![Birth {
                meta: meta(birth),
                birth_date: ts(birth),
                birth_year: birth.year.to_string(),
                birth_municipality_number: None,
                birth_municipality_name: None,
                birth_country: "NOR".to_owned(),
            }],
            gender: vec![PersonGender { meta: meta(birth), gender: gender.to_owned() }],
            status: vec![PersonStatus { meta: meta(registered), status: "Resident".to_owned() }],
            death: None,
            family_relation: Vec::new(),
            marital_status: vec![MaritalStatus {
                meta: meta(birth),
                status: "Unmarried".to_owned(),
                status_date: None,
                related_by_marital_status: None,
            }],
            parental_responsibility: Vec::new(),
            residential_address: home
                .map(|h| ResidentialAddress {
                    meta: meta(h.move_date.max(birth)),
                    street_address: h.address.clone(),
                    address_confidentiality: "Unclassified".to_owned(),
                    move_date: ts(h.move_date.max(birth)),
                })
                .into_iter()
                .collect(),
            citizenship: vec![Citizenship {
                meta: meta(birth),
                country_code: "NOR".to_owned(),
                aquired_date: ts(birth),
            }],
            residence_permit: Vec::new(),
            common_contact_register_information: krr,
        });
        Ok(self.out.len() - 1)
    }

    fn nin(&self, i: usize) -> String {
        self.out[i].nin().to_owned()
    }

    fn birth(&self, i: usize) -> Date {
        Date::parse(self.out[i].birth_date()).unwrap_or(self.today)
    }

    /// Parent and child, on both sides; parental responsibility while the child is a minor.
    pub(crate) fn link_parent(
        &mut self,
        parent: usize,
        child: usize,
        responsibility: Responsibility,
    ) {
        let (p, c) = (self.nin(parent), self.nin(child));
        let role = if self.out[parent].gender() == "Female" { "Mother" } else { "Father" };
        let since = self.birth(child);
        self.out[child].family_relation.push(FamilyRelation {
            meta: meta(since),
            related_person: p.clone(),
            related_persons_role: role.to_owned(),
            my_role_for_related_person: "Child".to_owned(),
        });
        self.out[parent].family_relation.push(FamilyRelation {
            meta: meta(since),
            related_person: c.clone(),
            related_persons_role: "Child".to_owned(),
            my_role_for_related_person: role.to_owned(),
        });
        let kind = match responsibility {
            Responsibility::Joint => "Joint",
            Responsibility::Sole => role,
            Responsibility::None => return,
        };
        if age_on(since, self.today) < 18 {
            let item = ParentalResponsibility {
                meta: meta(since),
                responsibility_type: kind.to_owned(),
                subject_of_responsibility: c,
                responsible: p,
            };
            self.out[child].parental_responsibility.push(item.clone());
            self.out[parent].parental_responsibility.push(item);
        }
    }

    /// Marries `a` and `b` on `date`: marital status and spouse relation on both sides.
    pub(crate) fn marry(&mut self, a: usize, b: usize, date: Date) {
        for (me, other) in [(a, b), (b, a)] {
            let spouse = self.nin(other);
            let previous = self.out[me].marital_status.iter_mut().find(|m| m.meta.is_valid);
            if let Some(prev) = previous {
                prev.meta.is_valid = false;
                prev.meta.valid_to = Some(ts(date));
            }
            self.out[me].marital_status.push(MaritalStatus {
                meta: meta(date),
                status: "Married".to_owned(),
                status_date: Some(ts(date)),
                related_by_marital_status: Some(spouse.clone()),
            });
            self.out[me].family_relation.push(FamilyRelation {
                meta: meta(date),
                related_person: spouse,
                related_persons_role: "SpouseOrPartner".to_owned(),
                my_role_for_related_person: "SpouseOrPartner".to_owned(),
            });
        }
    }

    /// Ends `me`'s current marriage with `status` (Divorced, WidowOrWidower) on `date`.
    pub(crate) fn end_marriage(&mut self, me: usize, status: &str, date: Date) {
        let p = &mut self.out[me];
        let mut spouse = None;
        if let Some(m) = p.marital_status.iter_mut().find(|m| m.meta.is_valid) {
            m.meta.is_valid = false;
            m.meta.valid_to = Some(ts(date));
            spouse = m.related_by_marital_status.clone();
        }
        if status == "Divorced"
            && let Some(r) = p
                .family_relation
                .iter_mut()
                .find(|r| r.related_persons_role == "SpouseOrPartner" && r.meta.is_valid)
        {
            r.meta.is_valid = false;
            r.meta.valid_to = Some(ts(date));
        }
        p.marital_status.push(MaritalStatus {
            meta: meta(date),
            status: status.to_owned(),
            status_date: Some(ts(date)),
            related_by_marital_status: spouse,
        });
    }

    fn wedding_date(&mut self, a: usize, b: usize) -> Date {
        let adult = |d: Date| Date { year: d.year + 20, ..d };
        let earliest = adult(self.birth(a)).max(adult(self.birth(b)));
        let years = self.today.year.saturating_sub(earliest.year);
        let back = self.rng.random_range(0..=years);
        self.date_years_ago(back).max(earliest)
    }

    pub(crate) fn couple(&mut self, head_age: u16, children: u32) -> Result<(), AllocError> {
        let home = self.home(head_age);
        let family = self.family_name();
        let same_sex = self.rng.random_bool(0.03);
        let a = self.person(head_age, Sex::Female, &family, Some(&home), Kind::Fnr)?;
        let partner_age =
            (i32::from(head_age) + self.rng.random_range(-4..=6)).clamp(18, 100) as u16;
        let partner_sex = if same_sex { Sex::Female } else { Sex::Male };
        let b = self.person(partner_age, partner_sex, &family, Some(&home), Kind::Fnr)?;
        if self.rng.random_bool(0.6) {
            let date = self.wedding_date(a, b);
            self.marry(a, b, date);
        }
        // Children: the mother (a) is 20–42 years older than each child; living at home ≤ 21.
        let lo = head_age.saturating_sub(42);
        let hi = head_age.saturating_sub(20).min(21);
        for _ in 0..children {
            if lo > hi {
                break;
            }
            let age = self.rng.random_range(lo..=hi);
            let sex = if self.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
            let child = self.person(age, sex, &family, Some(&home), Kind::Fnr)?;
            self.link_parent(a, child, Responsibility::Joint);
            self.link_parent(b, child, Responsibility::Joint);
        }
        Ok(())
    }

    fn single_parent(&mut self, head_age: u16) -> Result<(), AllocError> {
        let home = self.home(head_age);
        let family = self.family_name();
        let mother_keeps = self.rng.random_bool(0.8);
        let (head_sex, other_sex) =
            if mother_keeps { (Sex::Female, Sex::Male) } else { (Sex::Male, Sex::Female) };
        let head = self.person(head_age, head_sex, &family, Some(&home), Kind::Fnr)?;
        let other_age = (i32::from(head_age) + self.rng.random_range(-3..=5)).clamp(20, 90) as u16;
        let other_home = self.home(other_age);
        let other_family = self.family_name();
        let other =
            self.person(other_age, other_sex, &other_family, Some(&other_home), Kind::Fnr)?;
        let married = self.rng.random_bool(0.5);
        if married {
            let date = self.wedding_date(head, other);
            self.marry(head, other, date);
        }
        let lo = head_age.saturating_sub(40);
        let hi = head_age.saturating_sub(20).min(17);
        let count = self.rng.random_range(1..=2);
        let mut youngest_birth = None;
        for _ in 0..count {
            if lo > hi {
                break;
            }
            let age = self.rng.random_range(lo..=hi);
            let sex = if self.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
            let child = self.person(age, sex, &family, Some(&home), Kind::Fnr)?;
            let sole = self.rng.random_bool(0.3);
            let (head_part, other_part) = if sole {
                // The other parent is still the parent, without responsibility.
                (Responsibility::Sole, Responsibility::None)
            } else {
                (Responsibility::Joint, Responsibility::Joint)
            };
            self.link_parent(head, child, head_part);
            self.link_parent(other, child, other_part);
            let b = self.birth(child);
            youngest_birth = Some(youngest_birth.map_or(b, |y: Date| y.max(b)));
        }
        if married {
            let earliest = youngest_birth.unwrap_or(self.today).max(self.marriage_date(head));
            let years = self.today.year.saturating_sub(earliest.year);
            let back = self.rng.random_range(0..=years);
            let date = self.date_years_ago(back).max(earliest);
            self.end_marriage(head, "Divorced", date);
            self.end_marriage(other, "Divorced", date);
        }
        Ok(())
    }

    fn marriage_date(&self, me: usize) -> Date {
        self.out[me]
            .marital_status
            .iter()
            .find(|m| m.meta.is_valid)
            .and_then(|m| m.status_date.as_deref())
            .and_then(date_of)
            .unwrap_or(self.today)
    }

    pub(crate) fn single(&mut self, head_age: u16) -> Result<(), AllocError> {
        let home = self.home(head_age);
        let family = self.family_name();
        let sex = if self.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
        let me = self.person(head_age, sex, &family, Some(&home), Kind::Fnr)?;
        if head_age >= 30 && self.rng.random_bool(0.35) {
            // Divorced: the former spouse exists, elsewhere, divorced too.
            let ex_age = (i32::from(head_age) + self.rng.random_range(-5..=5)).clamp(25, 95) as u16;
            let ex_home = self.home(ex_age);
            let ex_family = self.family_name();
            let ex_sex = if sex == Sex::Female { Sex::Male } else { Sex::Female };
            let ex = self.person(ex_age, ex_sex, &ex_family, Some(&ex_home), Kind::Fnr)?;
            let wed = self.wedding_date(me, ex);
            self.marry(me, ex, wed);
            let years = self.today.year.saturating_sub(wed.year);
            let date = self.up_to_years_ago(years).max(wed);
            self.end_marriage(me, "Divorced", date);
            self.end_marriage(ex, "Divorced", date);
        }
        Ok(())
    }

    fn widowed(&mut self, head_age: u16) -> Result<(), AllocError> {
        let home = self.home(head_age);
        let family = self.family_name();
        let sex = if self.rng.random_bool(0.75) { Sex::Female } else { Sex::Male };
        let me = self.person(head_age, sex, &family, Some(&home), Kind::Fnr)?;
        let spouse_age = (i32::from(head_age) + self.rng.random_range(0..=6)).clamp(40, 105) as u16;
        let other_sex = if sex == Sex::Female { Sex::Male } else { Sex::Female };
        let spouse = self.person(spouse_age, other_sex, &family, Some(&home), Kind::Fnr)?;
        // The death first (within 15 years), then the wedding strictly before it, after both
        // were 20: drawn the other way round, a wedding late in the window was clamped onto
        // the day of death (one in fourteen of those who died married).
        let adult = |d: Date| Date { year: d.year + 20, ..d };
        let earliest = adult(self.birth(me)).max(adult(self.birth(spouse)));
        let window = self.today.year.saturating_sub(earliest.year).clamp(1, 15);
        let died = self.up_to_years_ago(window - 1);
        let married_years = u32::from(died.year.saturating_sub(earliest.year)).max(1);
        let back = self.rng.random_range(1..=married_years * 365);
        let wed = days_before(died, back).max(earliest).min(days_before(died, 1));
        self.marry(me, spouse, wed);
        self.end_marriage(me, "WidowOrWidower", died);
        // The spouse is deceased: status, death, and the address ended on that day.
        let p = &mut self.out[spouse];
        if let Some(s) = p.status.iter_mut().find(|s| s.meta.is_valid) {
            let from = s.meta.valid_from.as_deref().and_then(date_of).unwrap_or(died);
            s.meta = ended(from, died);
        }
        p.status.push(PersonStatus { meta: meta(died), status: "Deceased".to_owned() });
        p.death = Some(Death { meta: meta(died), deceased_date: ts(died) });
        for a in &mut p.residential_address {
            a.meta.is_valid = false;
            a.meta.valid_to = Some(ts(died));
        }
        if let Some(krr) = &mut p.common_contact_register_information {
            krr.status = "Deleted".to_owned();
        }
        Ok(())
    }

    fn foreign_worker(&mut self) -> Result<(), AllocError> {
        let age = self.adult_age(20, 60);
        let home = self.home(age);
        let family = self.family_name();
        let sex = if self.rng.random_bool(0.7) { Sex::Male } else { Sex::Female };
        let me = self.person(age, sex, &family, Some(&home), Kind::DNumber)?;
        self.make_foreign(me);
        Ok(())
    }

    /// A D-number holder: a foreign citizenship and birth country, a temporary residence
    /// permit, and an address from the day of arrival.
    pub(crate) fn make_foreign(&mut self, me: usize) {
        let total: u32 = WORKER_COUNTRIES.iter().map(|c| c.1).sum();
        let mut x = self.rng.random_range(0..total);
        let country = WORKER_COUNTRIES
            .iter()
            .find(|c| {
                if x < c.1 {
                    true
                } else {
                    x -= c.1;
                    false
                }
            })
            .map_or("POL", |c| c.0);
        let arrived = self.out[me].norwegian_identification_number[0]
            .meta
            .valid_from
            .as_deref()
            .and_then(date_of)
            .unwrap_or(self.today);
        let p = &mut self.out[me];
        p.citizenship = vec![Citizenship {
            meta: meta(Date::parse(p.birth_date()).unwrap_or(arrived)),
            country_code: country.to_owned(),
            aquired_date: p.birth[0].birth_date.clone(),
        }];
        p.birth[0].birth_country = country.to_owned();
        p.residence_permit.push(ResidencePermit {
            meta: meta(arrived),
            residence_permit_type: "Temporary".to_owned(),
            stay_from: ts(arrived),
            stay_to: Some(ts(Date { year: arrived.year + 3, ..arrived })),
        });
        for a in &mut p.residential_address {
            a.meta = meta(arrived);
            a.move_date = ts(arrived);
        }
    }

    fn emigrant(&mut self, age: u16) -> Result<(), AllocError> {
        let home = self.home(age);
        let family = self.family_name();
        let sex = if self.rng.random_bool(0.5) { Sex::Female } else { Sex::Male };
        let me = self.person(age.max(20), sex, &family, Some(&home), Kind::Fnr)?;
        let left = self.up_to_years_ago(10);
        let p = &mut self.out[me];
        let left = left.max(Date::parse(p.birth_date()).unwrap_or(left));
        if let Some(s) = p.status.iter_mut().find(|s| s.meta.is_valid) {
            s.meta.is_valid = false;
            s.meta.valid_to = Some(ts(left));
        }
        p.status.push(PersonStatus { meta: meta(left), status: "Emigrated".to_owned() });
        for a in &mut p.residential_address {
            a.meta.is_valid = false;
            a.meta.valid_to = Some(ts(left));
        }
        Ok(())
    }
}

/// The date `n` days before `d`, a month at a time (the generator asks this for every person).
fn days_before(mut d: Date, mut n: u32) -> Date {
    while n >= u32::from(d.day) {
        n -= u32::from(d.day);
        d = if d.month > 1 {
            Date { month: d.month - 1, day: days_in_month(d.year, d.month - 1), ..d }
        } else {
            Date { year: d.year - 1, month: 12, day: 31 }
        };
    }
    Date { day: d.day - n as u8, ..d }
}

/// An ordinary Norwegian name (reserved persons have these; Test-Norge persons have the
/// adjective + noun names), drawn by how common each name is: `(given, family)`.
pub fn ordinary_name(rng: &mut impl rand::Rng, sex: Sex) -> (String, String) {
    let given = match sex {
        Sex::Female => TABLES.female_names.pick(rng),
        Sex::Male => TABLES.male_names.pick(rng),
    };
    (given.clone(), TABLES.family_names.pick(rng).clone())
}

/// The numbering rule in force for a birth date.
pub(crate) fn rule_for(birth: Date) -> Rule {
    if birth.year >= 2032 { Rule::From2032 } else { Rule::Classic }
}

/// Whole years of age on `day` for someone born on `birth`.
pub fn age_on(birth: Date, day: Date) -> u16 {
    let years = day.year.saturating_sub(birth.year);
    if (day.month, day.day) < (birth.month, birth.day) { years.saturating_sub(1) } else { years }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_before_agrees_with_counting_back_one_day_at_a_time() {
        let back_one = |d: Date| {
            Date::new(d.year, d.month, d.day - 1)
                .or_else(|| Date::new(d.year, d.month - 1, days_in_month(d.year, d.month - 1)))
                .unwrap_or(Date { year: d.year - 1, month: 12, day: 31 })
        };
        for start in ["2024-03-01", "2025-01-01", "2026-09-01", "2000-03-31", "2026-12-31"] {
            let start = Date::parse(start).unwrap();
            let mut expected = start;
            for n in 0..800 {
                assert_eq!(days_before(start, n), expected, "{start} - {n}");
                expected = back_one(expected);
            }
        }
    }
}
