//! One parsed XML element: its namespace and local name, attributes, text and children.

/// An attribute, by namespace and local name (`xsi:nil` is `(XSI, "nil")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub ns: Option<String>,
    pub name: String,
    pub value: String,
}

/// An element of the envelope. Text is the concatenation of the element's own character data
/// (entities and character references resolved, CDATA as written); mixed content is not kept
/// apart, since SOAP data contracts have none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The namespace URI, `None` for an unqualified name.
    pub ns: Option<String>,
    pub name: String,
    pub attributes: Vec<Attribute>,
    pub text: String,
    pub children: Vec<Element>,
}

/// The XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

impl Element {
    /// Is this `{ns}name`?
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child `{ns}name`, in order.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The items of a list child, as .NET data contracts write lists: every `{item_ns}item`
    /// inside the first `{ns}list` (none when the list is absent).
    pub fn items<'a>(
        &'a self,
        ns: &str,
        list: &str,
        item_ns: &'a str,
        item: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.child(ns, list).into_iter().flat_map(move |l| l.children_named(item_ns, item))
    }

    /// The attribute `{ns}name` (`ns` `None`: an unqualified attribute).
    pub fn attribute(&self, ns: Option<&str>, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name && a.ns.as_deref() == ns)
            .map(|a| a.value.as_str())
    }

    /// `xsi:nil="true"`.
    pub fn is_nil(&self) -> bool {
        matches!(self.attribute(Some(XSI), "nil"), Some("true" | "1"))
    }

    /// The trimmed text of child `{ns}name`, `None` when it is absent, nil or empty.
    pub fn text_of(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name)
            .filter(|c| !c.is_nil())
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// `{ns}name` as written by the client, for messages.
    pub fn qualified(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.name),
            None => self.name.clone(),
        }
    }
}
