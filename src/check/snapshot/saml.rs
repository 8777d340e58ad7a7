//! A SAML step's snapshot: the Response idgate posted, one element per line,
//! with what changes on every post (IDs, instants, signatures, the
//! certificate and the ACS URL) redacted.

use crate::http::Exchange;

/// Attributes of a SAML Response that change on every post.
const SAML_ATTRIBUTES: &[&str] = &[
    "ID",
    "IssueInstant",
    "NotBefore",
    "NotOnOrAfter",
    "InResponseTo",
    "SessionIndex",
    "AuthnInstant",
    // A signature's Reference names the ID it covers.
    "URI",
];

/// Elements whose text changes with every signature.
const SAML_ELEMENTS: &[(&str, &str)] = &[
    ("SignatureValue", "[signature]"),
    ("DigestValue", "[digest]"),
    // The IdP key is made per machine, so its certificate is too.
    ("X509Certificate", "[certificate]"),
];

/// A SAML step's snapshot: the Response idgate posted (one element per line,
/// IDs, instants and signature values redacted) under the SP's status, so a
/// change in what is sent shows as a diff like a SCIM body does.
pub fn saml_exchange(acs: &Exchange, posted_xml: &str, acs_url: &str) -> Exchange {
    // The ACS URL carries the port of whatever SP is running.
    // One element per line; an empty element's closing tag stays on its line.
    let mut xml = posted_xml
        .replace("></", "\u{0}")
        .replace("><", ">\n<")
        .replace('\u{0}', "></")
        .replace(acs_url, "[acs-url]");
    for attr in SAML_ATTRIBUTES {
        xml = redact_attribute(&xml, attr);
    }
    for (element, placeholder) in SAML_ELEMENTS {
        xml = redact_element_text(&xml, element, placeholder);
    }
    let mut x = acs.clone();
    x.request.url = "[acs-url]".into();
    x.response.headers = vec![(
        "content-type".into(),
        "application/samlp+xml (posted Response)".into(),
    )];
    x.response.body = xml;
    x
}

/// `xml` with the value of every `attr="..."` replaced by `[attr]`.
fn redact_attribute(xml: &str, attr: &str) -> String {
    let needle = format!(" {attr}=\"");
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find(&needle) {
        let start = i + needle.len();
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('"') else {
            rest = &rest[start..];
            break;
        };
        out.push_str(&format!("[{attr}]"));
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

/// `xml` with the text of every `element` (in any namespace) replaced by `placeholder`.
fn redact_element_text(xml: &str, element: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    // Matches `<ds:SignatureValue>` and `<SignatureValue>` alike.
    while let Some(i) = rest.find(&format!("{element}>")) {
        let start = i + element.len() + 1;
        let is_open = rest[..i].ends_with('<')
            || rest[..i]
                .rsplit('<')
                .next()
                .is_some_and(|p| !p.starts_with('/') && p.ends_with(':'));
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if is_open && let Some(end) = rest.find('<') {
            out.push_str(placeholder);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_values_that_change_every_post_are_redacted() {
        let xml = r#"<samlp:Response ID="_1" IssueInstant="2026-01-01T00:00:00Z"><ds:SignatureValue>abc==</ds:SignatureValue><DigestValue>x</DigestValue><saml:NameID>alice</saml:NameID></samlp:Response>"#;
        let mut v = redact_attribute(xml, "ID");
        v = redact_attribute(&v, "IssueInstant");
        v = redact_element_text(&v, "SignatureValue", "[signature]");
        v = redact_element_text(&v, "DigestValue", "[digest]");
        assert_eq!(
            v,
            r#"<samlp:Response ID="[ID]" IssueInstant="[IssueInstant]"><ds:SignatureValue>[signature]</ds:SignatureValue><DigestValue>[digest]</DigestValue><saml:NameID>alice</saml:NameID></samlp:Response>"#
        );
    }
}
