//! What an SP declares about itself in its SAML metadata (`--saml-sp-metadata`): its entity
//! ID, its Assertion Consumer Services, and the policy that decides whether a case it
//! refuses is a defect or its declared choice (SAML 2.0 metadata §2.4.4: `WantAssertionsSigned`,
//! `AuthnRequestsSigned`).

use quick_xml::events::{BytesStart, Event};

/// The HTTP-POST binding, the one the battery posts with (SAML 2.0 bindings §3.5).
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The parts of an SP's metadata a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadata {
    /// `EntityDescriptor/@entityID`: the audience of every assertion.
    pub entity_id: String,
    /// HTTP-POST `AssertionConsumerService` locations, the default one first.
    pub acs_urls: Vec<String>,
    /// `SPSSODescriptor/@WantAssertionsSigned`: the SP refuses assertions not signed themselves.
    pub want_assertions_signed: bool,
    /// `SPSSODescriptor/@AuthnRequestsSigned`: the SP signs its AuthnRequests.
    pub authn_requests_signed: bool,
}

impl SpMetadata {
    /// The ACS the battery posts to: the default HTTP-POST one.
    pub fn acs_url(&self) -> Option<&str> {
        self.acs_urls.first().map(String::as_str)
    }

    /// One line for the terminal: what was read.
    pub fn describe(&self) -> String {
        format!(
            "the SP's metadata: entity ID {}, ACS {}, WantAssertionsSigned={}, AuthnRequestsSigned={}",
            self.entity_id,
            self.acs_url()
                .unwrap_or("(none with the HTTP-POST binding)"),
            self.want_assertions_signed,
            self.authn_requests_signed
        )
    }
}

/// Reads metadata XML. A DOCTYPE is refused: metadata needs none, and idgate never expands
/// entities from a document it was handed.
pub fn parse(xml: &str) -> Result<SpMetadata, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut entity_id = None;
    let mut sp_sso = false;
    let mut want = false;
    let mut authn_signed = false;
    // (isDefault, index, location) of each HTTP-POST ACS.
    let mut acs: Vec<(bool, u32, String)> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("the SP metadata is not well-formed XML: {e}")),
            Ok(Event::Eof) => break,
            Ok(Event::DocType(_)) => return Err("the SP metadata has a DOCTYPE".into()),
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"EntityDescriptor" if entity_id.is_none() => entity_id = attr(&e, "entityID"),
                b"SPSSODescriptor" => {
                    sp_sso = true;
                    want = is_true(attr(&e, "WantAssertionsSigned"));
                    authn_signed = is_true(attr(&e, "AuthnRequestsSigned"));
                }
                b"AssertionConsumerService"
                    if attr(&e, "Binding").as_deref() == Some(HTTP_POST) =>
                {
                    if let Some(location) = attr(&e, "Location") {
                        let index = attr(&e, "index").and_then(|i| i.parse().ok()).unwrap_or(0);
                        acs.push((is_true(attr(&e, "isDefault")), index, location));
                    }
                }
                _ => {}
            },
            Ok(_) => {}
        }
    }
    let entity_id = entity_id.ok_or("the SP metadata has no EntityDescriptor with an entityID")?;
    if !sp_sso {
        return Err("the SP metadata has no SPSSODescriptor: is it an IdP's metadata?".into());
    }
    // The default first (metadata §2.2.3: isDefault, else the lowest index).
    acs.sort_by_key(|(default, index, _)| (!default, *index));
    Ok(SpMetadata {
        entity_id,
        acs_urls: acs.into_iter().map(|(_, _, l)| l).collect(),
        want_assertions_signed: want,
        authn_requests_signed: authn_signed,
    })
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// xs:boolean: `true` or `1`.
fn is_true(value: Option<String>) -> bool {
    matches!(value.as_deref().map(str::trim), Some("true" | "1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.test/meta">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="1"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.test/art" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs2" index="2"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs1" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn the_declared_policy_and_the_post_acs_are_read() {
        let m = parse(METADATA).unwrap();
        assert_eq!(m.entity_id, "https://sp.example.test/meta");
        assert_eq!(m.acs_url(), Some("https://sp.example.test/acs1"));
        assert_eq!(m.acs_urls.len(), 2, "the artifact ACS is not posted to");
        assert!(m.want_assertions_signed);
        assert!(!m.authn_requests_signed);
        let default = METADATA.replace("index=\"2\"", "index=\"2\" isDefault=\"true\"");
        assert_eq!(
            parse(&default).unwrap().acs_url(),
            Some("https://sp.example.test/acs2")
        );
    }

    #[test]
    fn what_is_not_sp_metadata_is_refused_with_the_reason() {
        let idp = METADATA.replace("SPSSODescriptor", "IDPSSODescriptor");
        assert!(parse(&idp).unwrap_err().contains("IdP's metadata"));
        let dtd = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"http://127.0.0.1:9/\">]>{METADATA}");
        assert!(
            parse(&dtd.replace("<?xml version=\"1.0\"?>", ""))
                .unwrap_err()
                .contains("DOCTYPE")
        );
        assert!(parse("<html>").unwrap_err().contains("entityID"));
    }
}
