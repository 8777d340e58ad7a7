//! The IdP's SAML metadata, and the values an SP administrator types in by hand instead.

use std::fmt;

use super::canonical::Canonical;
use super::keys::IdpKey;
use super::response::NAMEID_EMAIL;

/// The HTTP-Redirect binding.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The HTTP-POST binding.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// `md:EntityDescriptor` for the IdP `entity_id`: its signing certificate, the e-mail NameID
/// format, and single sign-on at `sign_in_url` over HTTP-Redirect and HTTP-POST. Canonical, and
/// with an `ID` (`id`) so it can be signed like any SAML element.
pub fn idp_metadata(entity_id: &str, sign_in_url: &str, idp: &IdpKey, id: &str) -> String {
    idp_metadata_keys(entity_id, sign_in_url, &[idp], id)
}

/// As [`idp_metadata`], with a signing `KeyDescriptor` for each of `keys`, in order: how an IdP
/// announces a certificate rotation (the key it signs with, and the one it moves to), each of
/// which an SP given this metadata trusts.
pub fn idp_metadata_keys(entity_id: &str, sign_in_url: &str, keys: &[&IdpKey], id: &str) -> String {
    let mut w = Canonical::new();
    w.start(
        "md:EntityDescriptor",
        &[("ID", id), ("entityID", entity_id)],
    );
    w.start(
        "md:IDPSSODescriptor",
        &[
            ("WantAuthnRequestsSigned", "false"),
            ("protocolSupportEnumeration", PROTOCOL),
        ],
    );
    for key in keys {
        w.start("md:KeyDescriptor", &[("use", "signing")]);
        w.start("ds:KeyInfo", &[]);
        w.start("ds:X509Data", &[]);
        w.leaf("ds:X509Certificate", &[], &key.cert_base64());
        w.end();
        w.end();
        w.end();
    }
    // Schema order: NameIDFormat (from SSODescriptorType) before SingleSignOnService.
    w.leaf("md:NameIDFormat", &[], NAMEID_EMAIL);
    for binding in [BINDING_REDIRECT, BINDING_POST] {
        w.leaf(
            "md:SingleSignOnService",
            &[("Binding", binding), ("Location", sign_in_url)],
            "",
        );
    }
    w.end();
    w.end();
    w.finish()
}

/// What an SP's SAML settings page asks for when metadata cannot be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpAdminValues {
    /// The IdP entity ID (called "Issuer", "IdP Entity ID" or "Identifier").
    pub entity_id: String,
    /// Where the SP sends users to sign in ("SSO URL", "Login URL").
    pub sign_in_url: String,
    /// The IdP's signing certificate as PEM.
    pub cert_pem: String,
}

impl SpAdminValues {
    /// The values for `idp` at `entity_id` and `sign_in_url`.
    pub fn new(entity_id: &str, sign_in_url: &str, idp: &IdpKey) -> SpAdminValues {
        SpAdminValues {
            entity_id: entity_id.into(),
            sign_in_url: sign_in_url.into(),
            cert_pem: idp.cert_pem(),
        }
    }
}

impl fmt::Display for SpAdminValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "IdP entity ID: {}", self.entity_id)?;
        writeln!(f, "Sign-in URL:   {}", self.sign_in_url)?;
        write!(f, "Certificate:\n{}", self.cert_pem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::canonical::{DSIG, MD};

    fn idp() -> IdpKey {
        crate::saml::keys::test_key("idp")
    }

    #[test]
    fn metadata_names_the_certificate_and_both_bindings() {
        let key = idp();
        let xml = idp_metadata(
            "https://idp.example/",
            "https://idp.example/sso",
            &key,
            "_m",
        );
        assert!(xml.starts_with(&format!(
            "<md:EntityDescriptor xmlns:md=\"{MD}\" ID=\"_m\" entityID=\"https://idp.example/\">"
        )));
        assert!(xml.contains(&format!(
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"{DSIG}\"><ds:X509Data>\
             <ds:X509Certificate>{}</ds:X509Certificate>",
            key.cert_base64()
        )));
        assert!(xml.contains(&format!(
            "<md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat>"
        )));
        for b in [BINDING_REDIRECT, BINDING_POST] {
            assert!(xml.contains(&format!(
                "<md:SingleSignOnService Binding=\"{b}\" Location=\"https://idp.example/sso\">"
            )));
        }
        crate::saml::splice::elements(&xml).expect("well-formed");
    }

    #[test]
    fn rotation_metadata_lists_each_signing_key_in_order() {
        let (key, next) = (idp(), crate::saml::keys::test_key("next"));
        let xml = idp_metadata_keys("e", "u", &[&key, &next], "_m");
        let first = xml.find(&key.cert_base64()).unwrap();
        let second = xml.find(&next.cert_base64()).unwrap();
        assert!(first < second);
        assert_eq!(xml.matches("<md:KeyDescriptor use=\"signing\">").count(), 2);
        crate::saml::splice::elements(&xml).expect("well-formed");
    }

    #[test]
    fn admin_values_print_the_pem() {
        let key = idp();
        let v = SpAdminValues::new("e", "u", &key);
        let shown = v.to_string();
        assert!(shown.contains("IdP entity ID: e"));
        assert!(shown.contains("-----BEGIN CERTIFICATE-----"));
        assert!(!shown.contains("PRIVATE"));
    }
}
