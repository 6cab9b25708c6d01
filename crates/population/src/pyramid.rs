//! Norway's age distribution, for drawing ages.
//!
//! Persons by five-year age group on 1 January 2024, in thousands, rounded from Statistics
//! Norway's StatBank table 07459 (Population, by sex and one-year age groups). The figures are a
//! rounded approximation entered by hand (total ≈ 5.55 million, as SSB gives for 1.1.2024); check
//! them against the table before relying on them for more than test realism.
pub(crate) const BANDS_THOUSANDS: [(u16, u32); 20] = [
    (0, 276),
    (5, 300),
    (10, 318),
    (15, 327),
    (20, 345),
    (25, 372),
    (30, 386),
    (35, 372),
    (40, 356),
    (45, 372),
    (50, 376),
    (55, 361),
    (60, 331),
    (65, 301),
    (70, 281),
    (75, 236),
    (80, 142),
    (85, 76),
    (90, 36),
    (95, 9),
];

/// Share of the population in `[from, to)` years of age, from the table.
pub fn share(from: u16, to: u16) -> f64 {
    let total: u32 = BANDS_THOUSANDS.iter().map(|b| b.1).sum();
    let part: f64 = BANDS_THOUSANDS
        .iter()
        .map(|&(start, n)| {
            let overlap = (to.min(start + 5)).saturating_sub(from.max(start));
            f64::from(n) * f64::from(overlap) / 5.0
        })
        .sum();
    part / f64::from(total)
}
