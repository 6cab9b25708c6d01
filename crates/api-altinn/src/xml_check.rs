//! Is a form's data well-formed XML? Altinn keeps `FormData` as a string and refuses data that
//! does not parse; services with a registered schema also validate it (not offered here yet).
//! One root element, matching end tags, well-formed attributes and entity references, nothing
//! but whitespace, comments and processing instructions outside the root.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The largest form data read (Altinn's own limit is not published).
pub const MAX_FORM_DATA: usize = 512 * 1024;

/// `Ok(root element name)` when `text` is one well-formed XML document, else why not.
pub fn well_formed(text: &str) -> Result<String, String> {
    if text.len() > MAX_FORM_DATA {
        return Err(format!("form data may be at most {MAX_FORM_DATA} bytes"));
    }
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut root: Option<String> = None;
    loop {
        let at = reader.buffer_position();
        let event =
            reader.read_event().map_err(|e| format!("not well-formed XML at byte {at}: {e}"))?;
        let mut open =
            |name: &[u8], mut attributes: quick_xml::events::attributes::Attributes<'_>| {
                if depth == 0 && root.is_some() {
                    return Err(format!("more than one root element (at byte {at})"));
                }
                for a in attributes.with_checks(true) {
                    a.map_err(|e| format!("a malformed attribute at byte {at}: {e}"))?;
                }
                if depth == 0 {
                    root = Some(String::from_utf8_lossy(name).into_owned());
                }
                Ok(())
            };
        match event {
            Event::Start(e) => {
                open(e.name().as_ref(), e.attributes())?;
                depth += 1;
            }
            Event::Empty(e) => open(e.name().as_ref(), e.attributes())?,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(t) => {
                let text = t.decode().map_err(|e| format!("bad text at byte {at}: {e}"))?;
                if depth == 0 && !text.trim().is_empty() {
                    return Err(format!("text outside the root element at byte {at}"));
                }
            }
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return Err(format!("an entity reference outside the root at byte {at}"));
                }
                let name = r.decode().map_err(|e| format!("bad reference at byte {at}: {e}"))?;
                let known = matches!(name.as_ref(), "lt" | "gt" | "amp" | "apos" | "quot")
                    || r.resolve_char_ref().ok().flatten().is_some();
                if !known {
                    return Err(format!("unknown entity &{name}; at byte {at}"));
                }
            }
            Event::CData(_) if depth == 0 => {
                return Err(format!("CDATA outside the root element at byte {at}"));
            }
            Event::DocType(_) => {
                return Err("a DOCTYPE is not accepted in form data".into());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err("the document ends before its elements are closed".into());
    }
    root.ok_or_else(|| "no root element".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms_that_parse_are_accepted_and_their_root_named() {
        let ok = "<?xml version=\"1.0\"?>\n<Skjema skjemanummer=\"1\"><a>1 &amp; 2 &#x41;</a><b/><!-- c --></Skjema>\n";
        assert_eq!(well_formed(ok).unwrap(), "Skjema");
        assert_eq!(
            well_formed("<melding xmlns=\"urn:x\"><![CDATA[<x>]]></melding>").unwrap(),
            "melding"
        );
    }

    #[test]
    fn malformed_data_is_refused_with_where() {
        for (xml, needle) in [
            ("", "no root"),
            ("<a><b></a>", "well-formed"),
            ("<a>", "ends before"),
            ("<a/><b/>", "more than one root"),
            ("text<a/>", "outside the root"),
            ("<a x=1/>", "attribute"),
            ("<a x=\"1\" x=\"2\"/>", "attribute"),
            ("<a>&nbsp;</a>", "unknown entity"),
            ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "DOCTYPE"),
        ] {
            let err = well_formed(xml).unwrap_err();
            assert!(err.contains(needle), "{xml:?}: {err}");
        }
        assert!(well_formed(&format!("<a>{}</a>", "x".repeat(MAX_FORM_DATA))).is_err());
    }

    proptest! {
        #[test]
        fn any_text_gives_an_answer_never_a_panic(text in "\\PC{0,200}") {
            let _ = well_formed(&text);
        }

        #[test]
        fn escaped_text_in_an_element_is_always_well_formed(text in "\\PC{0,80}") {
            let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            prop_assert_eq!(well_formed(&format!("<Skjema>{escaped}</Skjema>")), Ok("Skjema".to_owned()));
        }
    }
}
