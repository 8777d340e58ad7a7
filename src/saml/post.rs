//! The HTTP-POST binding as a browser uses it: a form with `SAMLResponse`
//! posted to the SP's Assertion Consumer Service, then a look at which user,
//! if any, got the session.

use crate::http::{Credential, Request};

/// The form a browser posts to the ACS. Several values send the parameter
/// more than once (a binding attack).
pub fn form_post(
    acs_url: &str,
    values: &[String],
    relay_state: Option<&str>,
    cookies: &[String],
) -> Request {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for v in values {
        form.append_pair("SAMLResponse", v);
    }
    if let Some(r) = relay_state {
        form.append_pair("RelayState", r);
    }
    let mut headers = vec![(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    if !cookies.is_empty() {
        headers.push(("Cookie".to_string(), cookies.join("; ")));
    }
    Request {
        method: "POST".into(),
        path: acs_url.to_string(),
        headers,
        body: Some(form.finish()),
        auth: Credential::None,
    }
}

/// A GET with the session cookies, e.g. of the SP's "who am I" page or its login URL.
pub fn get(url: &str, cookies: &[String]) -> Request {
    let mut headers = Vec::new();
    if !cookies.is_empty() {
        headers.push(("Cookie".to_string(), cookies.join("; ")));
    }
    Request {
        method: "GET".into(),
        path: url.to_string(),
        headers,
        body: None,
        auth: Credential::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_posts_repeat_the_parameter_and_encode_it() {
        let r = form_post(
            "http://127.0.0.1:1/acs",
            &["a+b/=".into(), "c".into()],
            Some("x"),
            &[],
        );
        assert_eq!(
            r.body.unwrap(),
            "SAMLResponse=a%2Bb%2F%3D&SAMLResponse=c&RelayState=x"
        );
    }
}

/// The ID of the AuthnRequest an SP put in its redirect to the IdP
/// (HTTP-Redirect binding: `SAMLRequest` is deflated, then base64, then
/// URL-encoded), so a Response can answer it with InResponseTo.
/// Whether a login redirect carries a signature as the HTTP-Redirect binding writes one (SAML
/// bindings §3.4.4.1): non-empty `SigAlg` and `Signature` query parameters. Only that they are
/// there: the SP's key, which would verify them, is not idgate's to know.
pub fn redirect_signed(location: &str) -> bool {
    let Some((_, query)) = location.split_once('?') else {
        return false;
    };
    let present = |name: &str| {
        form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == name && !v.trim().is_empty())
    };
    present("SigAlg") && present("Signature")
}

/// The ID of the AuthnRequest an HTTP-Redirect login URL carries.
pub fn authn_request_id(location: &str) -> Result<String, String> {
    use base64::Engine as _;
    use std::io::Read as _;
    let query = location
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or_else(|| format!("the login redirect `{location}` has no query"))?;
    let encoded = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "SAMLRequest")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| "the login redirect carries no SAMLRequest".to_string())?;
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| format!("SAMLRequest is not base64: {e}"))?;
    let mut xml = String::new();
    // A bounded read: a hostile SP must not make idgate inflate a bomb.
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(1 << 20)
        .read_to_string(&mut xml)
        .map_err(|e| format!("SAMLRequest does not inflate: {e}"))?;
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == b"AuthnRequest" =>
            {
                for a in e.attributes().flatten() {
                    if a.key.as_ref() == b"ID" {
                        return Ok(String::from_utf8_lossy(&a.value).into_owned());
                    }
                }
                return Err("the AuthnRequest has no ID".into());
            }
            Ok(quick_xml::events::Event::Eof) => {
                return Err("SAMLRequest holds no AuthnRequest".into());
            }
            Err(e) => return Err(format!("SAMLRequest is not XML: {e}")),
            _ => {}
        }
    }
}

#[cfg(test)]
mod login_tests {
    use super::*;
    use base64::Engine as _;
    use std::io::Write as _;

    #[test]
    fn a_redirect_is_signed_only_with_both_sigalg_and_signature() {
        let base = "https://idp.test/sso?SAMLRequest=x";
        assert!(redirect_signed(&format!(
            "{base}&SigAlg=rsa&Signature=c2ln"
        )));
        assert!(!redirect_signed(&format!("{base}&SigAlg=rsa")));
        assert!(!redirect_signed(&format!("{base}&Signature=c2ln")));
        assert!(!redirect_signed(&format!("{base}&SigAlg=rsa&Signature=")));
        assert!(!redirect_signed("https://idp.test/sso"));
    }

    #[test]
    fn reads_the_id_of_a_redirected_authn_request() {
        let xml = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_abc123" Version="2.0"/>"#;
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(xml.as_bytes()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(enc.finish().unwrap());
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLRequest", &b64)
            .finish();
        assert_eq!(
            authn_request_id(&format!("https://idp.test/sso?{q}")).unwrap(),
            "_abc123"
        );
        assert!(authn_request_id("https://idp.test/sso").is_err());
    }
}
