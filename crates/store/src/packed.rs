//! Person documents as SQLite stores them: LZ4-compressed.
//!
//! A person's JSON is about 2.5 kB and shrinks to about 1 kB; a 1.2-million population is then
//! a file of about half the size, which is what a load mostly pays for (every page is written
//! twice, to the WAL and then to the file). LZ4 packs a document in ~3 µs and unpacks it in
//! under 1 µs, far below a read's cost. PostgreSQL compresses large values itself (TOAST) and
//! keeps plain text.
//!
//! A packed value is a BLOB: one marker byte, the length as LZ4's 4-byte prefix, the block.
//! Plain JSON text (documents written before packing, or by hand) starts with `{` and is read
//! as it is, so old databases need no rewrite.

use crate::{Result, StoreError};

const MARKER: u8 = 0x01;
/// No document is anywhere near this; a larger length prefix means a damaged value.
const MAX_DOC: usize = 16 << 20;

/// Packs a JSON document for storage: compressed straight into the value it returns (a load
/// packs every person, so no intermediate buffer).
pub(crate) fn pack(doc: &str) -> Vec<u8> {
    let input = doc.as_bytes();
    let mut out = vec![0u8; 1 + 4 + lz4_flex::block::get_maximum_output_size(input.len())];
    out[0] = MARKER;
    out[1..5].copy_from_slice(&(input.len() as u32).to_le_bytes());
    let written = lz4_flex::block::compress_into(input, &mut out[5..])
        .expect("the buffer has room for LZ4's worst case");
    out.truncate(5 + written);
    out
}

/// Reads a stored document back, packed or plain.
pub(crate) fn unpack(stored: Vec<u8>) -> Result<String> {
    let bytes = match stored.split_first() {
        Some((&MARKER, rest)) => {
            let len = rest.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            if len.is_none_or(|n| n as usize > MAX_DOC) {
                return Err(StoreError::Corrupt("a stored document has a bad length".into()));
            }
            lz4_flex::decompress_size_prepended(rest)
                .map_err(|e| StoreError::Corrupt(format!("a stored document is damaged: {e}")))?
        }
        _ => stored,
    };
    String::from_utf8(bytes)
        .map_err(|_| StoreError::Corrupt("a stored document is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_plain_text() {
        let doc = r#"{"id":"ab","name":[{"givenName":"Ærlig","familyName":"Ørn"}]}"#.repeat(20);
        let packed = pack(&doc);
        assert!(packed.len() < doc.len() / 2, "a repetitive document shrinks");
        assert_eq!(unpack(packed).unwrap(), doc);
        assert_eq!(unpack(doc.clone().into_bytes()).unwrap(), doc);
        assert_eq!(unpack(pack("")).unwrap(), "");
        // The same bytes LZ4's own size-prepending form gives, behind the marker.
        assert_eq!(pack(&doc)[1..], lz4_flex::compress_prepend_size(doc.as_bytes())[..]);
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let mut packed = pack(&"{\"a\":1}".repeat(50));
        packed.truncate(packed.len() - 3);
        assert!(matches!(unpack(packed), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            unpack(vec![MARKER, 0xff, 0xff, 0xff, 0x7f]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(unpack(vec![MARKER]), Err(StoreError::Corrupt(_))));
        assert!(matches!(unpack(vec![0xc3]), Err(StoreError::Corrupt(_))));
    }
}
