//! What the SP sends: AuthnRequests over the HTTP-Redirect binding, and its metadata.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SpConfig;

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// A fresh request ID (an xs:ID may not start with a digit).
pub fn new_id() -> String {
    format!("_{}", uuid::Uuid::new_v4().simple())
}

/// The `samlp:AuthnRequest` with `id`, sent to `destination`.
pub fn authn_request(cfg: &SpConfig, id: &str, destination: &str, now: OffsetDateTime) -> String {
    let instant = now
        .replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default();
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"{id}\" \
         Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{dest}\" \
         AssertionConsumerServiceURL=\"{acs}\" ProtocolBinding=\"{BINDING_POST}\">\
         <saml:Issuer>{issuer}</saml:Issuer>\
         <samlp:NameIDPolicy Format=\"{NAMEID_EMAIL}\" AllowCreate=\"true\"/>\
         </samlp:AuthnRequest>",
        id = escape(id),
        dest = escape(destination),
        acs = escape(&cfg.acs_url),
        issuer = escape(&cfg.entity_id),
    )
}

/// The redirect URL: `sign_in_url` with `SAMLRequest` (raw DEFLATE, then base64) and the
/// optional `RelayState` added to its query (SAML bindings 3.4.4.1).
pub fn redirect_url(sign_in_url: &str, request_xml: &str, relay_state: Option<&str>) -> String {
    let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = deflater.write_all(request_xml.as_bytes());
    let deflated = deflater.finish().unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("SAMLRequest", &STANDARD.encode(deflated));
    if let Some(rs) = relay_state {
        query.append_pair("RelayState", rs);
    }
    let sep = if sign_in_url.contains('?') { '&' } else { '?' };
    format!("{sign_in_url}{sep}{}", query.finish())
}

/// The SP's `md:EntityDescriptor`: its entity ID and the HTTP-POST ACS URL.
pub fn metadata(cfg: &SpConfig) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"{MD}\" entityID=\"{entity}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"false\" \
         protocolSupportEnumeration=\"{SAMLP}\">\
         <md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat>\
         <md:AssertionConsumerService Binding=\"{BINDING_POST}\" Location=\"{acs}\" index=\"0\" \
         isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>\n",
        entity = escape(&cfg.entity_id),
        acs = escape(&cfg.acs_url),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::DeflateDecoder;
    use std::io::Read;

    fn cfg() -> SpConfig {
        SpConfig::test("http://127.0.0.1:1/saml/acs")
    }

    #[test]
    fn redirect_carries_the_deflated_request_and_relay_state() {
        let xml = authn_request(
            &cfg(),
            "_r1",
            "https://idp.example/sso?x=1",
            OffsetDateTime::now_utc(),
        );
        let url = redirect_url("https://idp.example/sso?x=1", &xml, Some("/home"));
        assert!(
            url.starts_with("https://idp.example/sso?x=1&SAMLRequest="),
            "{url}"
        );
        let query = url.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs[2], ("RelayState".into(), "/home".into()));
        let deflated = STANDARD.decode(&pairs[1].1).unwrap();
        let mut inflated = String::new();
        DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut inflated)
            .unwrap();
        assert_eq!(inflated, xml);
        assert!(xml.contains("ID=\"_r1\""));
        assert!(xml.contains("Destination=\"https://idp.example/sso?x=1\""));
        assert!(xml.contains("AssertionConsumerServiceURL=\"http://127.0.0.1:1/saml/acs\""));
    }

    #[test]
    fn metadata_names_entity_and_acs() {
        let md = metadata(&cfg());
        assert!(md.contains("entityID=\"https://sp.idgate.test\""));
        assert!(md.contains("Location=\"http://127.0.0.1:1/saml/acs\""));
    }
}
