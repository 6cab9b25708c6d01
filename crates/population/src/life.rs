//! Life events on persons already made: birth, death, moving, marriage, divorce, emigration.
//! Each keeps the family graph consistent on both sides and history real (the current item
//! ends, a new one starts). No I/O: the caller picks the persons and stores the result.

use fjellport_nin::alloc::Allocator;
use fjellport_nin::{Date, Kind, Nin, Sex, Synthetic};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::addresses::AddressBook;
use crate::generate::{Gen, Responsibility, ts};
use crate::model::{Death, MaritalStatus, Meta, Person, PersonStatus, ResidentialAddress};

/// Statuses that bind two persons (the spouse link holds while they do).
pub const BOUND: [&str; 4] = ["Married", "RegisteredPartner", "Separated", "SeparatedPartner"];

/// The spouse of a current binding marital status.
pub fn bound_spouse(p: &Person) -> Option<String> {
    let m = p.marital_status.iter().find(|m| m.meta.is_valid)?;
    BOUND.contains(&m.status.as_str()).then(|| m.related_by_marital_status.clone()).flatten()
}

/// Starts a new marital status `on` (ending the current one).
pub fn set_marital(p: &mut Person, status: &str, spouse: Option<String>, on: Date, source: &str) {
    if let Some(m) = p.marital_status.iter_mut().find(|m| m.meta.is_valid) {
        m.meta.end(on);
    }
    p.marital_status.push(MaritalStatus {
        meta: Meta::starting(on, source),
        status: status.to_owned(),
        status_date: Some(ts(on)),
        related_by_marital_status: spouse,
    });
}

/// Ends `p`'s current spouse relation to `other`.
pub fn end_spouse_link(p: &mut Person, other: &str, on: Date) {
    for r in p.family_relation.iter_mut().filter(|r| {
        r.meta.is_valid && r.related_persons_role == "SpouseOrPartner" && r.related_person == other
    }) {
        r.meta.end(on);
    }
}

fn set_status(p: &mut Person, status: &str, on: Date, source: &str) {
    if p.status() == status {
        return;
    }
    if let Some(s) = p.status.iter_mut().find(|s| s.meta.is_valid) {
        s.meta.end(on);
    }
    p.status.push(PersonStatus { meta: Meta::starting(on, source), status: status.to_owned() });
}

/// Records a death `on`: death, status, the address ended. Returns the spouse to widow.
pub fn die(p: &mut Person, on: Date, source: &str) -> Option<String> {
    let spouse = bound_spouse(p);
    p.death = Some(Death { meta: Meta::starting(on, source), deceased_date: ts(on) });
    set_status(p, "Deceased", on, source);
    for a in p.residential_address.iter_mut().filter(|a| a.meta.is_valid) {
        a.meta.end(on);
    }
    if let Some(krr) = &mut p.common_contact_register_information {
        krr.status = "Deleted".to_owned();
    }
    spouse
}

/// The surviving spouse of `deceased`: widowed (or surviving partner), the link ended.
pub fn widow(spouse: &mut Person, deceased: &str, on: Date, source: &str) {
    let status = if spouse.marital_status() == "RegisteredPartner" {
        "SurvivingPartner"
    } else {
        "WidowOrWidower"
    };
    set_marital(spouse, status, Some(deceased.to_owned()), on, source);
    end_spouse_link(spouse, deceased, on);
}

/// Undoes a death recorded in error: alive and resident again (the address is not restored).
pub fn undo_death(p: &mut Person, on: Date, source: &str) {
    if p.death.take().is_some() {
        set_status(p, "Resident", on, source);
    }
}

/// Moves `p` to `address` on `on`.
pub fn move_to(p: &mut Person, address: &crate::model::StreetAddress, on: Date, source: &str) {
    for a in p.residential_address.iter_mut().filter(|a| a.meta.is_valid) {
        a.meta.end(on);
    }
    p.residential_address.push(ResidentialAddress {
        meta: Meta::starting(on, source),
        street_address: address.clone(),
        address_confidentiality: "Unclassified".to_owned(),
        move_date: ts(on),
    });
}

/// A new family name from `on` (the old name stays in the history).
pub fn rename(p: &mut Person, family: &str, on: Date, source: &str) {
    let Some(current) = p.name.iter_mut().find(|n| n.meta.is_valid) else { return };
    if current.family_name == family {
        return;
    }
    current.meta.end(on);
    let renamed = crate::model::PersonName {
        meta: Meta::starting(on, source),
        given_name: current.given_name.clone(),
        middle_name: current.middle_name.clone(),
        family_name: family.to_owned(),
    };
    p.name.push(renamed);
}

/// A Test-Norge family name (a noun, as the population's names are), drawn from `seed`.
pub fn new_family_name(seed: u64) -> String {
    // Names do not depend on the day; any day will do.
    let day = Date { year: 2000, month: 1, day: 1 };
    with_gen(Vec::new(), seed, day, &[], None, |g| g.family_name()).1
}

/// Leaves Norway on `on`.
pub fn emigrate(p: &mut Person, on: Date, source: &str) {
    set_status(p, "Emigrated", on, source);
    for a in p.residential_address.iter_mut().filter(|a| a.meta.is_valid) {
        a.meta.end(on);
    }
}

/// A new home somewhere in Norway (a real municipality and postal code).
pub fn new_home(
    seed: u64,
    today: Date,
    addresses: Option<&AddressBook>,
) -> crate::model::StreetAddress {
    with_gen(Vec::new(), seed, today, &[], addresses, |g| g.home(30).address).1
}

/// Runs `f` on a generator holding `persons` (indexes 0, 1, …) and returns them, changed, with
/// any persons `f` added after them.
fn with_gen<T>(
    persons: Vec<Person>,
    seed: u64,
    today: Date,
    taken: &[Nin],
    addresses: Option<&AddressBook>,
    f: impl FnOnce(&mut Gen<'_>) -> T,
) -> (Vec<Person>, T) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut alloc = Allocator::new();
    for &n in taken {
        alloc.mark_taken(n);
    }
    let mut out = persons;
    let t = {
        let mut g = Gen {
            rng: &mut rng,
            alloc: &mut alloc,
            today,
            out: &mut out,
            group: Synthetic::TestNorge,
            force_home: None,
            addresses,
        };
        f(&mut g)
    };
    (out, t)
}

/// Marries `a` and `b` on `today`; `b` moves to `a`'s address. Returns them.
pub fn marry(a: Person, b: Person, today: Date) -> (Person, Person) {
    let (mut out, ()) = with_gen(vec![a, b], 0, today, &[], None, |g| g.marry(0, 1, today));
    if let Some(home) = out[0].address().cloned() {
        move_to(&mut out[1], &home, today, "Skatteetaten");
    }
    match <[Person; 2]>::try_from(out) {
        Ok([a, b]) => (a, b),
        Err(_) => unreachable!("two persons in, two out"),
    }
}

/// Divorces `a` and `b` on `today`.
pub fn divorce(a: &mut Person, b: &mut Person, today: Date) {
    let (an, bn) = (a.nin().to_owned(), b.nin().to_owned());
    leave_marriage(a, &bn, "Divorced", today, "Skatteetaten");
    leave_marriage(b, &an, "Divorced", today, "Skatteetaten");
}

/// One side of a marriage's end by divorce: `p` becomes `status` (`Divorced`,
/// `DivorcedPartner`) toward `other` `on` that day, unless it is already, and the spouse link
/// ends. The simulator and the SyntPop PATCH of a reserved person both end marriages so.
pub fn leave_marriage(p: &mut Person, other: &str, status: &str, on: Date, source: &str) {
    let current = p.marital_status.iter().find(|m| m.meta.is_valid);
    let already = current.is_some_and(|m| {
        m.status == status && m.related_by_marital_status.as_deref() == Some(other)
    });
    if !already {
        set_marital(p, status, Some(other.to_owned()), on, source);
    }
    end_spouse_link(p, other, on);
}

/// One side of a marriage: `p` is bound to `other` in `status` (`Married`,
/// `RegisteredPartner`, …) from `on`, unless it is already, and they are linked as spouses.
pub fn join_marriage(p: &mut Person, other: &str, status: &str, on: Date, source: &str) {
    if p.marital_status() != status || bound_spouse(p).as_deref() != Some(other) {
        set_marital(p, status, Some(other.to_owned()), on, source);
    }
    if !p.related("SpouseOrPartner").any(|r| r.related_person == other) {
        p.family_relation.push(crate::model::FamilyRelation {
            meta: Meta::starting(on, source),
            related_person: other.to_owned(),
            related_persons_role: "SpouseOrPartner".to_owned(),
            my_role_for_related_person: "SpouseOrPartner".to_owned(),
        });
    }
}

/// A child born `today` to `mother` (and `father`, if known), at the mother's address, with a
/// Test-Norge number not in `taken`: returns `[mother, father?, child]`.
pub fn birth(
    mother: Person,
    father: Option<Person>,
    today: Date,
    seed: u64,
    taken: &[Nin],
) -> Result<Vec<Person>, fjellport_nin::alloc::AllocError> {
    let has_father = father.is_some();
    let family = mother.current_name().map(|n| n.family_name.clone()).unwrap_or_default();
    let home_address = mother.address().cloned();
    let persons: Vec<Person> = std::iter::once(mother).chain(father).collect();
    let (out, made) = with_gen(persons, seed, today, taken, None, |g| {
        let sex = if g.rng.random_bool(0.51) { Sex::Male } else { Sex::Female };
        let (given, _) = crate::generate::ordinary_name(g.rng, sex);
        let home = home_address.map(|address| crate::generate::Home { address, move_date: today });
        let child = g.person_born(today, sex, (given, None, &family), home.as_ref(), Kind::Fnr)?;
        g.link_parent(0, child, Responsibility::Joint);
        if has_father {
            g.link_parent(1, child, Responsibility::Joint);
        }
        Ok(())
    });
    made.map(|()| out)
}

/// Every number a newborn of `today` could get (both sexes): what the caller must check for
/// being taken before [`birth`].
pub fn birth_candidates(today: Date) -> Vec<String> {
    let mut out = Vec::new();
    for sex in [Sex::Female, Sex::Male] {
        let mut alloc = Allocator::new();
        let request = fjellport_nin::alloc::Request {
            birth_date: today,
            sex,
            kind: Kind::Fnr,
            synthetic: Some(Synthetic::TestNorge),
            rule: crate::generate::rule_for(today),
        };
        while let Ok(nin) = alloc.allocate(request) {
            out.push(nin.to_string());
        }
    }
    out
}
