//! Kartverket address files come from users: any bytes must give an address book or an
//! error that names the line, never a panic; what is read keeps the shape homes need.
#![no_main]

use fjellport_population::addresses::AddressBook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(book) = AddressBook::read(data) {
        assert!(!book.is_empty());
        assert!(book.municipalities() >= 1 && book.municipalities() <= book.len());
    }
});
