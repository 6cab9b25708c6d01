//! The OData `$filter` subset Altinn's message lists take: comparisons of a list member with a
//! literal (`eq`, `ne`, `gt`, `ge`, `lt`, `le`), joined by `and`. Literals are `'text'` (a
//! quote doubled inside), whole numbers, and `DateTime'2018-01-22T00:00:00'` (seconds and a
//! fraction optional; read as UTC, since Altinn writes its times without an offset). Anything
//! else — `or`, `not`, parentheses, functions, an unknown member, a literal of the wrong type —
//! is refused with a message that names it. Member names are case-insensitive.

use chrono::NaiveDateTime;
use fjellport_store::{Comparison, MessageField, MessageValue};

/// One parsed condition.
pub type Condition = (MessageField, Comparison, MessageValue);

/// The longest `$filter` read (a URL carries it).
const MAX_LEN: usize = 2000;
/// The most comparisons in one filter.
const MAX_TERMS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Number(i64),
    DateTime(i64),
}

fn lex(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let (text, next) = quoted(&chars, i)?;
            out.push(Token::Text(text));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text.parse::<i64>().map_err(|_| format!("{text} is not a whole number"))?;
            out.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.eq_ignore_ascii_case("datetime") && chars.get(i) == Some(&'\'') {
                let (text, next) = quoted(&chars, i)?;
                out.push(Token::DateTime(instant(&text)?));
                i = next;
            } else {
                out.push(Token::Word(word));
            }
        } else {
            return Err(format!(
                "unexpected {c:?}: the filter takes comparisons joined by and (no parentheses \
                 or functions)"
            ));
        }
    }
    Ok(out)
}

/// The text of the quoted literal starting at `start`, and where it ends.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err("a quoted literal is not closed".into()),
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                text.push('\'');
                i += 2;
            }
            Some('\'') => return Ok((text, i + 1)),
            Some(c) => {
                text.push(*c);
                i += 1;
            }
        }
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM[:SS[.fff]]`, as UTC.
pub(crate) fn instant(text: &str) -> Result<i64, String> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| format!("DateTime'{text}' is not a date and time like 2018-01-22T00:00:00"))
}

fn field(name: &str) -> Result<MessageField, String> {
    let fields = [
        ("ServiceOwner", MessageField::ServiceOwner),
        ("ServiceCode", MessageField::ServiceCode),
        ("ServiceEdition", MessageField::ServiceEdition),
        ("Status", MessageField::Status),
        ("Type", MessageField::Type),
        ("Subject", MessageField::Subject),
        ("LastChangedDateTime", MessageField::LastChanged),
        ("CreatedDate", MessageField::Created),
    ];
    fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, f)| *f).ok_or_else(|| {
        format!(
            "{name} is not a member the message list filters on: use {}",
            fields.map(|(n, _)| n).join(", ")
        )
    })
}

fn comparison(word: &str) -> Result<Comparison, String> {
    match word.to_ascii_lowercase().as_str() {
        "eq" => Ok(Comparison::Eq),
        "ne" => Ok(Comparison::Ne),
        "gt" => Ok(Comparison::Gt),
        "ge" => Ok(Comparison::Ge),
        "lt" => Ok(Comparison::Lt),
        "le" => Ok(Comparison::Le),
        other => Err(format!("{other} is not a comparison: use eq, ne, gt, ge, lt or le")),
    }
}

/// The value `token` gives `field`, or why it does not fit.
fn value(field: MessageField, name: &str, token: Token) -> Result<MessageValue, String> {
    use MessageField as F;
    match (field, token) {
        (F::LastChanged | F::Created, Token::DateTime(t)) => Ok(MessageValue::Int(t)),
        (F::LastChanged | F::Created, _) => {
            Err(format!("{name} compares with DateTime'yyyy-MM-ddTHH:mm:ss'"))
        }
        (F::ServiceEdition, Token::Number(n)) => Ok(MessageValue::Int(n)),
        (F::ServiceEdition, _) => Err(format!("{name} compares with a whole number")),
        (F::ServiceCode, Token::Number(n)) => Ok(MessageValue::Text(n.to_string())),
        (_, Token::Text(t)) => Ok(MessageValue::Text(t)),
        (_, _) => Err(format!("{name} compares with a quoted text, like '…'")),
    }
}

/// Parses a `$filter`.
pub fn parse(filter: &str) -> Result<Vec<Condition>, String> {
    if filter.len() > MAX_LEN {
        return Err(format!("$filter may be at most {MAX_LEN} characters"));
    }
    let mut tokens = lex(filter)?.into_iter();
    let mut out = Vec::new();
    loop {
        let name = match tokens.next() {
            Some(Token::Word(w)) => w,
            Some(other) => return Err(format!("expected a member name, found {other:?}")),
            None if out.is_empty() => return Err("$filter is empty".into()),
            None => return Err("the filter ends after and".into()),
        };
        let f = field(&name)?;
        let op = match tokens.next() {
            Some(Token::Word(w)) => comparison(&w)?,
            _ => return Err(format!("{name} must be followed by a comparison (eq, ne, gt, …)")),
        };
        let literal = tokens.next().ok_or_else(|| format!("{name} is compared with nothing"))?;
        out.push((f, op, value(f, &name, literal)?));
        if out.len() > MAX_TERMS {
            return Err(format!("a filter may have at most {MAX_TERMS} comparisons"));
        }
        match tokens.next() {
            None => return Ok(out),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => {}
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => {
                return Err("or is not supported: comparisons are joined by and".into());
            }
            Some(other) => return Err(format!("expected and, found {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn altinns_documented_examples_parse() {
        assert_eq!(
            parse("ServiceOwner eq 'Skatteetaten'").unwrap(),
            [(
                MessageField::ServiceOwner,
                Comparison::Eq,
                MessageValue::Text("Skatteetaten".into())
            )]
        );
        let two = parse(
            "CreatedDate gt DateTime'2018-01-22T00:00:00' and ServiceOwner eq 'Asker Kommune'",
        )
        .unwrap();
        assert_eq!(
            two[0],
            (MessageField::Created, Comparison::Gt, MessageValue::Int(1_516_579_200))
        );
        assert_eq!(two[1].2, MessageValue::Text("Asker Kommune".into()));
        let quote = parse("Subject eq 'Kari''s brev' and serviceedition ge 2").unwrap();
        assert_eq!(quote[0].2, MessageValue::Text("Kari's brev".into()));
        assert_eq!(quote[1], (MessageField::ServiceEdition, Comparison::Ge, MessageValue::Int(2)));
        assert_eq!(parse("ServiceCode eq 5528").unwrap()[0].2, MessageValue::Text("5528".into()));
        let ms = parse("LastChangedDateTime lt DateTime'2013-11-11T13:41:01.703'").unwrap();
        assert_eq!(ms[0].2, MessageValue::Int(1_384_177_261));
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for (filter, needle) in [
            ("", "empty"),
            ("Status eq 'Lest' or Status eq 'Ulest'", "or is not supported"),
            ("(Status eq 'Lest')", "no parentheses"),
            ("Sender eq 'x'", "not a member"),
            ("Status like 'x'", "not a comparison"),
            ("Status eq", "compared with nothing"),
            ("Status eq 'open", "not closed"),
            ("ServiceEdition eq 'one'", "whole number"),
            ("CreatedDate gt '2018-01-01'", "DateTime"),
            ("CreatedDate gt DateTime'yesterday'", "not a date"),
            ("Status eq 'Lest' and", "ends after and"),
            ("Status eq 'Lest' Status eq 'Ulest'", "expected and"),
            ("Status eq 99999999999999999999", "whole number"),
        ] {
            let err = parse(filter).unwrap_err();
            assert!(err.contains(needle), "{filter:?}: {err}");
        }
        assert!(parse("Status eq 'x' and ".repeat(21).trim_end_matches(" and ")).is_err());
    }

    proptest! {
        #[test]
        fn any_text_gives_an_answer_never_a_panic(text in "\\PC{0,120}") {
            let _ = parse(&text);
        }

        #[test]
        fn quoted_text_comes_back_as_written(text in "[^\\x00]{0,40}") {
            let filter = format!("Subject eq '{}'", text.replace('\'', "''"));
            let parsed = parse(&filter).unwrap();
            prop_assert_eq!(&parsed[0].2, &MessageValue::Text(text));
        }
    }
}
