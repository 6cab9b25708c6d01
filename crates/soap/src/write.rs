//! Writing XML answers: elements opened and closed in order, text and attribute values
//! escaped here and nowhere else.

/// An XML text being written. Names are written as given (the caller's prefixes); text is
/// escaped.
#[derive(Debug, Default)]
pub struct Xml {
    out: String,
    open: Vec<String>,
}

/// Appends `text` to `out`, escaped for element content or attribute values.
pub fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\r']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#xD;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// `text`, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// Opens `<name attr="value"…>`.
    pub fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attributes {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
        self.open.push(name.to_owned());
        self
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
        }
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]);
        escape_into(&mut self.out, text);
        self.close()
    }

    /// `<name>text</name>`, or `<name i:nil="true"/>` (the prefix `i` bound to XML Schema
    /// instance by an ancestor) without a value.
    pub fn leaf_or_nil(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        match text {
            Some(t) => self.leaf(name, t),
            None => self.nil(name),
        }
    }

    /// `<name i:nil="true"/>`.
    pub fn nil(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" i:nil=\"true\"/>");
        self
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str("/>");
        self
    }

    /// Text (escaped) in the open element.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    /// Markup written by the caller, unescaped.
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// The text, with every element closed.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}
