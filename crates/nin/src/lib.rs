//! Norwegian identity numbers, without I/O.
//!
//! - [`Nin`]: an 11-digit fødselsnummer, D-number, H-number or FH-number, with the synthetic
//!   groups Test-Norge (month + 80) and NHN reserved (month + 65), under the classic rule or the
//!   rule for numbers issued from 1 January 2032 (Skatteetaten, `nyttfnr2032.md` in
//!   `Skatteetaten/folkeregisteret-api-dokumentasjon`);
//! - [`alloc::Allocator`]: unique numbers per birth date, sex, kind and group;
//! - [`orgnr::OrgNumber`]: 9-digit organization numbers (Enhetsregisteret, mod 11).

pub mod alloc;
mod date;
mod nin;
pub mod orgnr;

pub use date::{Date, days_in_month, is_leap};
pub use nin::{Kind, Nin, NinError, NinInfo, Rule, Sex, Synthetic};
