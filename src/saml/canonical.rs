//! A writer whose output is already in exclusive canonical form (exc-c14n 1.0 without comments).
//!
//! idgate never canonicalizes a parsed tree: it writes every element that will be signed in the
//! form the verifier's canonicalizer produces, so a digest is taken over exactly the bytes sent.
//! The rules applied (W3C xml-exc-c14n and Canonical XML 1.0, section 2.3 and 4.x): a namespace
//! declaration appears on an element only if the element or one of its attributes uses the prefix
//! (or it is in an InclusiveNamespaces PrefixList) and no output ancestor already declares it with
//! the same URI; declarations come first, the default namespace first and then by prefix;
//! attributes follow, unqualified ones by name, then qualified ones by namespace URI and name;
//! empty elements get an end tag; attribute values use double quotes.

/// SAML 2.0 assertion namespace.
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol namespace.
pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 metadata namespace.
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig namespace.
pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive canonicalization namespace (also its algorithm URI).
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// XML Schema instance namespace (`xsi:type`, `xsi:schemaLocation`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace (`xs:string` in `xsi:type` values).
pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
/// XSLT namespace, for the XSLT-transform attack case.
pub const XSL: &str = "http://www.w3.org/1999/XSL/Transform";

/// The prefixes idgate writes, each always bound to the same URI.
const PREFIXES: &[(&str, &str)] = &[
    ("ds", DSIG),
    ("ec", EXC_C14N),
    ("md", MD),
    ("saml", SAML),
    ("samlp", SAMLP),
    ("xs", XS),
    ("xsi", XSI),
    ("xsl", XSL),
];

fn uri_of(prefix: &str) -> &'static str {
    PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, uri)| *uri)
        .unwrap_or_else(|| panic!("prefix `{prefix}` is not in canonical::PREFIXES"))
}

fn split(qname: &str) -> (&str, &str) {
    qname.split_once(':').unwrap_or(("", qname))
}

/// Escapes character data as Canonical XML writes it: `&`, `<`, `>` and carriage return.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value as Canonical XML writes it: `&`, `<`, `"`, tab, newline, return.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE/U+FFFF) become U+FFFD,
/// because no escape can represent them and a verifier would reject the document outright.
fn xml_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
        c => c,
    }
}

/// One open element: what it declared, so its descendants do not declare it again.
struct Open {
    qname: String,
    rendered: Vec<(String, String)>,
    has_children: bool,
}

/// Writes elements in exclusive canonical form. See the module documentation for the rules.
pub struct Canonical {
    out: String,
    open: Vec<Open>,
    /// Declarations made by elements outside the written fragment (the `ds:Signature` around a
    /// `ds:SignedInfo`); they count as output ancestors.
    context: Vec<(String, String)>,
    /// Namespace of unprefixed element names (`ds` written as the default namespace).
    default_ns: &'static str,
    pretty: bool,
    /// Indentation levels of the elements around the fragment, for pretty output.
    base_depth: usize,
}

impl Canonical {
    /// A writer for a fragment whose top element is the apex of the canonicalized subset.
    pub fn new() -> Self {
        Canonical {
            out: String::new(),
            open: Vec::new(),
            context: Vec::new(),
            default_ns: "",
            pretty: false,
            base_depth: 0,
        }
    }

    /// A writer for a fragment placed inside elements that already declare `context`.
    pub fn inside(context: &[(&str, &str)]) -> Self {
        let mut w = Self::new();
        w.context = context
            .iter()
            .map(|(p, u)| (p.to_string(), u.to_string()))
            .collect();
        w
    }

    /// Unprefixed element names are in `uri` (used for `ds` as the default namespace).
    pub fn default_namespace(mut self, uri: &'static str) -> Self {
        self.default_ns = uri;
        self
    }

    /// Indents child elements with newlines and two spaces. Whitespace between elements is
    /// character data, which canonical form keeps, so the result is still canonical.
    pub fn pretty(mut self, on: bool) -> Self {
        self.pretty = on;
        self
    }

    /// Pretty output of a fragment that will sit `depth` elements deep.
    pub fn indent_from(mut self, depth: usize) -> Self {
        self.base_depth = depth;
        self
    }

    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.base_depth + self.open.len() {
            self.out.push_str("  ");
        }
    }

    /// The URI `prefix` is bound to here (`""` for the default namespace when none is declared).
    fn in_scope(&self, prefix: &str) -> Option<&str> {
        self.open
            .iter()
            .rev()
            .flat_map(|o| o.rendered.iter())
            .chain(self.context.iter())
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
    }

    fn newline(&mut self) {
        if let Some(parent) = self.open.last_mut() {
            parent.has_children = true;
        }
        if self.pretty && !self.out.is_empty() {
            self.indent();
        }
    }

    /// Opens `qname` with `attrs` (never `xmlns` ones: declarations are worked out here).
    pub fn start(&mut self, qname: &str, attrs: &[(&str, &str)]) {
        self.start_including(qname, attrs, &[]);
    }

    /// Opens `qname`, also declaring `inclusive` prefixes as an InclusiveNamespaces PrefixList
    /// would keep them (their use is hidden in content, like `xs` in `xsi:type="xs:string"`).
    pub fn start_including(&mut self, qname: &str, attrs: &[(&str, &str)], inclusive: &[&str]) {
        self.newline();
        let (prefix, _) = split(qname);
        let mut wanted: Vec<(String, String)> = Vec::new();
        let element_uri = if prefix.is_empty() {
            self.default_ns
        } else {
            uri_of(prefix)
        };
        wanted.push((prefix.to_string(), element_uri.to_string()));
        for (name, _) in attrs {
            let (p, _) = split(name);
            if !p.is_empty() {
                wanted.push((p.to_string(), uri_of(p).to_string()));
            }
        }
        for p in inclusive {
            wanted.push((p.to_string(), uri_of(p).to_string()));
        }
        wanted.sort();
        wanted.dedup();
        // An empty default namespace needs `xmlns=""` only to undo a non-empty one above.
        let rendered: Vec<(String, String)> = wanted
            .into_iter()
            .filter(|(p, u)| match self.in_scope(p) {
                Some(current) => current != u,
                None => !(p.is_empty() && u.is_empty()),
            })
            .collect();

        let mut sorted: Vec<(&str, &str, &str, &str)> = attrs
            .iter()
            .map(|(name, value)| {
                let (p, local) = split(name);
                let uri = if p.is_empty() { "" } else { uri_of(p) };
                (uri, local, *name, *value)
            })
            .collect();
        sorted.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

        self.out.push('<');
        self.out.push_str(qname);
        for (p, u) in &rendered {
            if p.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(p);
                self.out.push_str("=\"");
            }
            self.out.push_str(&escape_attr(u));
            self.out.push('"');
        }
        for (_, _, name, value) in sorted {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            self.out.push_str(&escape_attr(value));
            self.out.push('"');
        }
        self.out.push('>');
        self.open.push(Open {
            qname: qname.to_string(),
            rendered,
            has_children: false,
        });
    }

    /// Writes character data.
    pub fn text(&mut self, s: &str) {
        self.out.push_str(&escape_text(s));
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) {
        let open = self.open.pop().expect("end() without an open element");
        if self.pretty && open.has_children {
            self.indent();
        }
        self.out.push_str("</");
        self.out.push_str(&open.qname);
        self.out.push('>');
    }

    /// An element holding only `text` (or nothing).
    pub fn leaf(&mut self, qname: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(qname, attrs);
        self.text(text);
        self.end();
    }

    /// Appends a subtree that is already canonical as an apex (a signed element, kept byte for
    /// byte). Correct only where no open element declares a namespace the subtree uses, which
    /// holds for SAML: `samlp:Response` declares `samlp` only, and assertions use `saml`.
    pub fn raw(&mut self, xml: &str) {
        self.newline();
        self.out.push_str(xml);
    }

    /// The written bytes. Every opened element must have been closed.
    pub fn finish(self) -> String {
        assert!(self.open.is_empty(), "unclosed element in canonical writer");
        self.out
    }
}

impl Default for Canonical {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping_follows_c14n() {
        assert_eq!(
            escape_text("a&b<c>d\re\"f'\tg\n"),
            "a&amp;b&lt;c&gt;d&#xD;e\"f'\tg\n"
        );
    }

    #[test]
    fn attribute_escaping_follows_c14n() {
        assert_eq!(
            escape_attr("a&b<c>d\"e'f\tg\nh\ri"),
            "a&amp;b&lt;c>d&quot;e'f&#x9;g&#xA;h&#xD;i"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(escape_text("a\u{0}b\u{1b}"), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn namespaces_are_declared_where_used_and_not_repeated() {
        let mut w = Canonical::new();
        w.start("samlp:Response", &[("Version", "2.0"), ("ID", "_r")]);
        w.leaf("saml:Issuer", &[], "idp");
        w.start("saml:Assertion", &[("ID", "_a")]);
        w.leaf("saml:Issuer", &[], "idp");
        w.end();
        w.end();
        assert_eq!(
            w.finish(),
            format!(
                "<samlp:Response xmlns:samlp=\"{SAMLP}\" ID=\"_r\" Version=\"2.0\">\
                 <saml:Issuer xmlns:saml=\"{SAML}\">idp</saml:Issuer>\
                 <saml:Assertion xmlns:saml=\"{SAML}\" ID=\"_a\"><saml:Issuer>idp</saml:Issuer>\
                 </saml:Assertion></samlp:Response>"
            )
        );
    }

    #[test]
    fn attributes_sort_unqualified_first_then_by_namespace_uri() {
        let mut w = Canonical::new();
        w.start(
            "saml:AttributeValue",
            &[("xsi:type", "xs:string"), ("b", "2"), ("A", "1")],
        );
        w.end();
        assert_eq!(
            w.finish(),
            format!(
                "<saml:AttributeValue xmlns:saml=\"{SAML}\" xmlns:xsi=\"{XSI}\" A=\"1\" b=\"2\" \
                 xsi:type=\"xs:string\"></saml:AttributeValue>"
            )
        );
    }

    #[test]
    fn inclusive_prefixes_are_declared_once_at_the_top() {
        let mut w = Canonical::new();
        w.start_including("saml:Assertion", &[], &["xs"]);
        w.start_including("saml:Attribute", &[], &["xs"]);
        w.end();
        w.end();
        assert_eq!(
            w.finish(),
            format!(
                "<saml:Assertion xmlns:saml=\"{SAML}\" xmlns:xs=\"{XS}\"><saml:Attribute>\
                 </saml:Attribute></saml:Assertion>"
            )
        );
    }

    #[test]
    fn default_namespace_and_context() {
        let mut w = Canonical::new().default_namespace(DSIG);
        w.start("Signature", &[]);
        w.leaf("SignatureValue", &[], "x");
        w.end();
        assert_eq!(
            w.finish(),
            format!("<Signature xmlns=\"{DSIG}\"><SignatureValue>x</SignatureValue></Signature>")
        );
        let mut w = Canonical::inside(&[("ds", DSIG)]);
        w.leaf("ds:SignedInfo", &[], "");
        assert_eq!(w.finish(), "<ds:SignedInfo></ds:SignedInfo>");
    }

    #[test]
    fn unprefixed_element_without_default_namespace_gets_no_declaration() {
        let mut w = Canonical::new();
        w.leaf("Extensions", &[], "");
        assert_eq!(w.finish(), "<Extensions></Extensions>");
    }

    #[test]
    fn pretty_output_indents_only_between_elements() {
        let mut w = Canonical::new().pretty(true);
        w.start("saml:Subject", &[]);
        w.leaf("saml:NameID", &[], "alice");
        w.end();
        assert_eq!(
            w.finish(),
            format!(
                "<saml:Subject xmlns:saml=\"{SAML}\">\n  <saml:NameID>alice</saml:NameID>\n\
                 </saml:Subject>"
            )
        );
    }
}
