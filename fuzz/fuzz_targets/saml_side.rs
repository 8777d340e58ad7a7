//! The SAML side of idgate on what an SP sends back: the AuthnRequest in a login redirect
//! (base64, deflate, XML), the whoami answer, SP metadata; and the canonical writer's escaping,
//! whose output must parse back to the very text that was written.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = idgate::saml::post::authn_request_id(&text);
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let _ = idgate::saml::post::authn_request_id(&format!(
        "https://idp.test/sso?SAMLRequest={encoded}"
    ));
    let _ = idgate::saml::whoami::WhoamiReader::default().read(&text);
    let _ = idgate::saml::sp_metadata::parse(&text);
    // Escaping round-trips: text and attribute values come back as written.
    if !text.contains('\0')
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        let xml = format!(
            "<a b=\"{}\">{}</a>",
            idgate::saml::canonical::escape_attr(&text),
            idgate::saml::canonical::escape_text(&text)
        );
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Err(e) => panic!("escaped text is not well-formed: {e} in {xml:?}"),
                _ => {}
            }
        }
    }
});
