//! What the index keeps of each person so that a change can take it out of exactly the sets
//! it was in: its value codes, birth day and number of children, at its load-order position.
//!
//! Stored as they were (seventeen 16-bit codes and two 32-bit numbers) that is 44 bytes a
//! person, 53 MB at 1.2 million: more than all the sets together. Most facts have a handful
//! of values, so each field gets only the bits the largest value seen so far needs (about
//! 90 bits a person for a generated population); a value that needs more widens its field
//! and the table is packed again, which happens a few times per fact while the first persons
//! are read and seldom after.

/// The fields of a row: one per fact, then the birth day and the number of children.
pub(crate) const FIELDS: usize = crate::index::FACTS + 2;

/// One person's fields, unpacked. A row whose first field (the origin, which every person
/// has) is 0 is no row.
pub(crate) type Row = [u32; FIELDS];

#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    /// Bits per field, and where in a row each field starts.
    widths: [u8; FIELDS],
    offsets: [u32; FIELDS],
    /// Bits per row (the sum of the widths).
    stride: u32,
    /// Rows `0..len` one after the other, as one string of bits.
    words: Vec<u64>,
    len: usize,
}

/// Bits needed to write `value`.
fn bits_for(value: u32) -> u8 {
    (u32::BITS - value.leading_zeros()) as u8
}

impl Rows {
    /// An empty table of `len` rows with these widths.
    fn laid_out(widths: [u8; FIELDS], len: usize) -> Rows {
        let mut rows = Rows { widths, len, ..Rows::default() };
        for (at, width) in rows.offsets.iter_mut().zip(widths) {
            *at = rows.stride;
            rows.stride += u32::from(width);
        }
        rows.words = vec![0; rows.words_needed()];
        rows
    }

    /// Words that hold rows `0..len`.
    fn words_needed(&self) -> usize {
        (self.len as u64 * u64::from(self.stride)).div_ceil(64) as usize
    }

    /// The row at `seq`, if it has one.
    pub(crate) fn get(&self, seq: u32) -> Option<Row> {
        let seq = seq as usize;
        if seq >= self.len {
            return None;
        }
        let base = seq as u64 * u64::from(self.stride);
        let mut row = [0; FIELDS];
        for (f, value) in row.iter_mut().enumerate() {
            *value = self.read(base + u64::from(self.offsets[f]), self.widths[f]);
        }
        (row[0] != 0).then_some(row)
    }

    /// Writes the row at `seq` (positions between the last and it get no row).
    pub(crate) fn set(&mut self, seq: u32, row: &Row) {
        let needed: [u8; FIELDS] = std::array::from_fn(|f| bits_for(row[f]));
        if needed.iter().zip(&self.widths).any(|(n, w)| n > w) {
            // One more bit than needed: room for twice the values before the next repack.
            self.repack(std::array::from_fn(|f| {
                if needed[f] > self.widths[f] { needed[f] + 1 } else { self.widths[f] }
            }));
        }
        if seq as usize >= self.len {
            self.len = seq as usize + 1;
            let words = self.words_needed();
            if words > self.words.len() {
                // By an eighth at least: new persons come one by one at the end.
                let want = words.max(self.words.len() + self.words.len() / 8);
                self.words.resize(want, 0);
            }
        }
        self.put_fields(seq, row);
    }

    /// Lays every row out again with these widths, into a table of its own (what it takes
    /// beside the old one is the new one's words, not every row unpacked).
    fn repack(&mut self, widths: [u8; FIELDS]) {
        let mut packed = Rows::laid_out(widths, self.len);
        for seq in 0..self.len as u32 {
            if let Some(row) = self.get(seq) {
                packed.put_fields(seq, &row);
            }
        }
        *self = packed;
    }

    fn put_fields(&mut self, seq: u32, row: &Row) {
        let base = u64::from(seq) * u64::from(self.stride);
        for (f, value) in row.iter().enumerate() {
            self.write(base + u64::from(self.offsets[f]), self.widths[f], *value);
        }
    }

    fn read(&self, at: u64, width: u8) -> u32 {
        if width == 0 {
            return 0;
        }
        let (word, bit) = ((at / 64) as usize, (at % 64) as u32);
        let mut value = self.words[word] >> bit;
        if bit + u32::from(width) > 64 {
            value |= self.words[word + 1] << (64 - bit);
        }
        (value & ((1u64 << width) - 1)) as u32
    }

    fn write(&mut self, at: u64, width: u8, value: u32) {
        if width == 0 {
            return;
        }
        let (word, bit) = ((at / 64) as usize, (at % 64) as u32);
        let mask = (1u64 << width) - 1;
        let value = u64::from(value) & mask;
        self.words[word] = self.words[word] & !(mask << bit) | value << bit;
        if bit + u32::from(width) > 64 {
            let shift = 64 - bit;
            self.words[word + 1] = self.words[word + 1] & !(mask >> shift) | value >> shift;
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.words.truncate(self.words_needed());
        self.words.shrink_to_fit();
    }

    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever was written last at a position is read back, however the fields widened
        /// in between, and positions never written have no row.
        #[test]
        fn rows_read_back_as_written(
            writes in proptest::collection::vec(
                (0u32..300, proptest::array::uniform19(0u32..3), 0u32..=u32::MAX, 0u32..24),
                1..200,
            ),
        ) {
            let mut rows = Rows::default();
            let mut want = std::collections::BTreeMap::new();
            for (seq, small, big, shift) in writes {
                // Every fifth field takes large values too, so that fields widen at random.
                let mut row: Row =
                    std::array::from_fn(|f| small[f] + u32::from(f % 5 == 0) * (big >> shift));
                row[0] = row[0].max(1);
                rows.set(seq, &row);
                want.insert(seq, row);
            }
            for seq in 0..310 {
                prop_assert_eq!(rows.get(seq), want.get(&seq).copied());
            }
        }
    }
}
