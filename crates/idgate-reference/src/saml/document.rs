//! From the posted form value to a parsed tree: base64, the DOCTYPE refusal, and small helpers
//! for reading the tree by namespace and local name (never by prefix).

use std::time::Duration;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bergshamra::xml::uppsala::{self, Document, NodeId, NodeKind};
use quick_xml::Reader;
use quick_xml::events::Event;

use super::Rejection;

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Entity expansion is only ever done under the `resolves-external-entities` fault; even then
/// the expanded document stays below this.
const MAX_EXPANDED: usize = 1024 * 1024;
/// Entity declarations the faulty parser reads before giving up.
const MAX_ENTITIES: usize = 16;

/// The standard alphabet, with or without padding, line breaks removed first (MIME encoders
/// wrap at 76 columns). The URL-safe alphabet is refused.
pub fn decode_base64(value: &str) -> Result<String, Rejection> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = ENGINE
        .decode(compact)
        .map_err(|e| Rejection::new(format!("SAMLResponse is not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| Rejection::new("SAMLResponse is not UTF-8 XML"))
}

/// The DOCTYPE declaration's text when the prolog has one. Reading stops at the root's start
/// tag, so nothing after the prolog is looked at here.
pub fn doctype(xml: &str) -> Result<Option<String>, Rejection> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::DocType(d)) => {
                return Ok(Some(String::from_utf8_lossy(d.as_ref()).into_owned()));
            }
            Ok(Event::Start(_) | Event::Empty(_) | Event::Eof) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(Rejection::new(format!("not well-formed XML: {e}"))),
        }
    }
}

/// Parses `xml`, which must hold no DOCTYPE (see [`doctype`]); one the prolog scan missed is
/// refused here too, so the two parsers cannot disagree about it.
pub fn parse(xml: &str) -> Result<Document<'_>, Rejection> {
    let doc =
        uppsala::parse(xml).map_err(|e| Rejection::new(format!("not well-formed XML: {e}")))?;
    if doc.doctype.is_some() {
        return Err(Rejection::new("DOCTYPE is not allowed"));
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------------
// What an SP that expands entities does (the `resolves-external-entities` fault only).

/// `xml` with its DOCTYPE removed and the entities it declares expanded in the rest. SYSTEM
/// identifiers (the external DTD, external general and parameter entities) are fetched, but
/// only from loopback http URLs (idgate's canary, or any other local service: this fault is
/// for tests), at most 16 of them and never more than the expansion cap.
pub async fn expand_entities(xml: &str) -> Result<String, Rejection> {
    let Some(start) = xml.find("<!DOCTYPE") else {
        return Ok(xml.to_string());
    };
    let end = doctype_end(xml, start)
        .ok_or_else(|| Rejection::new("not well-formed XML: unterminated DOCTYPE"))?;
    let decl = &xml[start..end];
    let mut entities: Vec<(String, String)> = Vec::new();
    let subset_at = decl.find('[');
    let head = &decl[..subset_at.unwrap_or(decl.len())];
    if let Some(url) = system_literal(head) {
        fetch_loopback(&url).await;
    }
    if let Some(open) = subset_at {
        let subset = &decl[open + 1..];
        let mut rest = subset;
        let mut declared = 0;
        while let Some(at) = rest.find("<!ENTITY") {
            // Even the faulty parser stops somewhere: a few entities, each fetched at most once.
            declared += 1;
            if declared > MAX_ENTITIES {
                return Err(Rejection::new("too many entity declarations"));
            }
            rest = &rest[at + "<!ENTITY".len()..];
            let close = declaration_end(rest).unwrap_or(rest.len());
            let body = rest[..close].trim();
            rest = &rest[close.min(rest.len())..];
            let (parameter, body) = match body.strip_prefix('%') {
                Some(b) => (true, b.trim_start()),
                None => (false, body),
            };
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            let definition = body[name.len()..].trim_start();
            let value = if definition.starts_with("SYSTEM") || definition.starts_with("PUBLIC") {
                match system_literal(definition) {
                    Some(url) => escape_text(&fetch_loopback(&url).await),
                    None => String::new(),
                }
            } else {
                first_literal(definition).unwrap_or_default()
            };
            if !parameter {
                entities.push((name, value));
            }
        }
    }
    let mut body = format!("{}{}", &xml[..start], &xml[end..]);
    // Nested entities expand over several rounds; the size cap stops "billion laughs".
    for _ in 0..16 {
        let mut changed = false;
        for (name, value) in &entities {
            let reference = format!("&{name};");
            let uses = body.matches(&reference).count();
            if uses > 0 {
                // Measured before expanding: a bomb must not be built to be refused.
                let grown = body.len() + uses * value.len().saturating_sub(reference.len());
                if grown > MAX_EXPANDED {
                    return Err(Rejection::new("entity expansion too large"));
                }
                body = body.replace(&reference, value);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(body)
}

/// Where the DOCTYPE that starts at `start` ends (one past its `>`): quoted strings and the
/// internal subset may hold `>`.
fn doctype_end(xml: &str, start: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut in_subset = false;
    for (i, c) in xml[start..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => in_subset = true,
            (None, ']') => in_subset = false,
            (None, '>') if !in_subset => return Some(start + i + 1),
            _ => {}
        }
    }
    None
}

/// The index of the `>` closing a markup declaration, outside quotes.
fn declaration_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The first quoted literal in `s`.
fn first_literal(s: &str) -> Option<String> {
    let open = s.find(['"', '\''])?;
    let q = s[open..].chars().next()?;
    let rest = &s[open + 1..];
    let close = rest.find(q)?;
    Some(rest[..close].to_string())
}

/// The system literal after SYSTEM (or the second literal after PUBLIC).
fn system_literal(s: &str) -> Option<String> {
    if let Some(at) = s.find("SYSTEM") {
        return first_literal(&s[at..]);
    }
    let at = s.find("PUBLIC")?;
    let rest = &s[at..];
    let first = rest.find(['"', '\''])?;
    let q = rest[first..].chars().next()?;
    let after = rest[first + 1..].find(q)? + first + 2;
    first_literal(&rest[after..])
}

/// GETs `url` when it is http on a loopback address, with a short timeout; anything else, and
/// any failure, gives an empty string.
async fn fetch_loopback(url: &str) -> String {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return String::new();
    };
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() != "http" || !loopback {
        return String::new();
    }
    let Ok(client) = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return String::new();
    };
    let Ok(mut resp) = client.get(parsed).send().await else {
        return String::new();
    };
    // At most what an expansion may grow to; the rest is never read.
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_EXPANDED {
            body.truncate(MAX_EXPANDED);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------------------------
// Reading the tree.

/// Whether `id` is the element `{ns}local`.
pub fn is(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> bool {
    doc.element(id)
        .is_some_and(|e| e.name.matches(Some(ns), local))
}

/// The child elements of `id`, in order.
pub fn child_elements<'d>(doc: &'d Document<'_>, id: NodeId) -> impl Iterator<Item = NodeId> + 'd {
    doc.children_iter(id)
        .filter(|c| matches!(doc.node_kind(*c), Some(NodeKind::Element(_))))
}

/// The child elements `{ns}local` of `id`.
pub fn children(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
    child_elements(doc, id)
        .filter(|c| is(doc, *c, ns, local))
        .collect()
}

/// The first child element `{ns}local` of `id`.
pub fn child(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    child_elements(doc, id).find(|c| is(doc, *c, ns, local))
}

/// The unqualified attribute `name` of element `id` (a namespaced one of the same local name
/// does not count).
pub fn attr<'d>(doc: &'d Document<'_>, id: NodeId, name: &str) -> Option<&'d str> {
    doc.element(id)?
        .attributes
        .iter()
        .find(|a| {
            a.name.namespace_uri.is_none() && a.name.prefix.is_none() && a.name.local_name == name
        })
        .map(|a| a.value.as_ref())
}

/// The element's whole text: every text and CDATA child joined, comments and processing
/// instructions skipped (they split the text, they do not end it).
pub fn text(doc: &Document<'_>, id: NodeId) -> String {
    let mut out = String::new();
    for c in doc.children_iter(id) {
        if let Some(NodeKind::Text(t) | NodeKind::CData(t)) = doc.node_kind(c) {
            out.push_str(t);
        }
    }
    out
}

/// Only the text before the first non-text child: how a DOM reader that takes
/// `firstChild.nodeValue` sees it.
pub fn first_text(doc: &Document<'_>, id: NodeId) -> String {
    let mut out = String::new();
    for c in doc.children_iter(id) {
        match doc.node_kind(c) {
            Some(NodeKind::Text(t) | NodeKind::CData(t)) => out.push_str(t),
            _ => break,
        }
    }
    out
}

/// The value of the element's first child node alone, as `firstChild.nodeValue` gives it: a
/// comment, processing instruction or CDATA section after it is where it ends.
pub fn first_node_text(doc: &Document<'_>, id: NodeId) -> String {
    match doc.children_iter(id).next().and_then(|c| doc.node_kind(c)) {
        Some(NodeKind::Text(t) | NodeKind::CData(t)) => t.to_string(),
        _ => String::new(),
    }
}

/// Removes every whitespace-only text node: what a "normalizing" SP does before verifying.
pub fn strip_whitespace(doc: &mut Document<'_>) {
    let blank: Vec<(NodeId, NodeId)> = doc
        .descendants(doc.root())
        .into_iter()
        .filter(|id| matches!(doc.node_kind(*id), Some(NodeKind::Text(t)) if t.trim().is_empty()))
        .filter_map(|id| doc.parent(id).map(|p| (p, id)))
        .collect();
    for (parent, id) in blank {
        doc.remove_child(parent, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_line_breaks_and_missing_padding_only() {
        assert_eq!(decode_base64("PGE+\r\nPC9hPg==").unwrap(), "<a></a>");
        assert!(decode_base64("PGE-").is_err());
        assert_eq!(decode_base64("PGI+").unwrap(), "<b>");
        assert_eq!(decode_base64("PGI").unwrap(), "<b");
        assert!(decode_base64("//79").is_err(), "not UTF-8");
    }

    #[test]
    fn doctype_is_found_in_the_prolog_only() {
        assert_eq!(doctype("<?xml version=\"1.0\"?><a/>").unwrap(), None);
        let d = doctype("<?xml version=\"1.0\"?>\n<!-- c --><!DOCTYPE a [<!ENTITY x 'y'>]><a/>")
            .unwrap()
            .unwrap();
        assert!(d.contains("ENTITY"), "{d}");
    }

    #[tokio::test]
    async fn entities_expand_with_quoted_brackets_and_a_size_cap() {
        let xml = "<!DOCTYPE a [<!ENTITY x ']>y'>]><a>&x;</a>";
        assert_eq!(expand_entities(xml).await.unwrap(), "<a>]>y</a>");
        let mut laughs = String::from("<!DOCTYPE a [<!ENTITY l0 \"lollollollol\">");
        for level in 1..=8 {
            laughs.push_str(&format!("<!ENTITY l{level} \""));
            for _ in 0..10 {
                laughs.push_str(&format!("&l{};", level - 1));
            }
            laughs.push_str("\">");
        }
        laughs.push_str("]><a>&l8;</a>");
        assert!(expand_entities(&laughs).await.is_err());
        // Not loopback: never fetched, expands to nothing.
        let xml = "<!DOCTYPE a [<!ENTITY x SYSTEM \"http://192.0.2.1/x\">]><a>&x;</a>";
        assert_eq!(expand_entities(xml).await.unwrap(), "<a></a>");
    }

    #[test]
    fn text_joins_around_comments_and_first_text_stops() {
        let doc = parse("<a>admin@example.com<!---->.evil.test<![CDATA[!]]></a>").unwrap();
        let a = doc.document_element().unwrap();
        assert_eq!(text(&doc, a), "admin@example.com.evil.test!");
        assert_eq!(first_text(&doc, a), "admin@example.com");
    }

    #[test]
    fn attributes_are_unqualified_only() {
        let doc = parse("<a xmlns:x=\"urn:x\" x:ID=\"1\" id=\"2\"/>").unwrap();
        let a = doc.document_element().unwrap();
        assert_eq!(attr(&doc, a, "ID"), None);
        assert_eq!(attr(&doc, a, "id"), Some("2"));
    }
}
