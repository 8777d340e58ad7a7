//! Enveloped XML signatures (XML-DSig 1.0) over SAML elements.
//!
//! The signed element is already canonical (see `canonical`), so its digest is taken over its
//! bytes as they stand; the enveloped-signature transform removes the signature, which is why the
//! digest is computed before the signature is spliced in. `SignedInfo` is written canonical too:
//! once as the apex of its own subset (the bytes signed, which declare `ds`) and once as it sits
//! inside `ds:Signature` (which declares `ds` for it).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::PKey;

use super::canonical::{Canonical, DSIG, EXC_C14N};
use super::error::{Result, SamlError};
use super::keys::IdpKey;
use super::splice::{self, Element};

/// The enveloped-signature transform.
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// A DigestMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlg {
    /// MD5: broken; only for the weak-algorithm case.
    Md5,
    /// SHA-1: weak; only for the weak-algorithm case.
    Sha1,
    /// SHA-256, the default.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl DigestAlg {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            DigestAlg::Md5 => "http://www.w3.org/2001/04/xmldsig-more#md5",
            DigestAlg::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            DigestAlg::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            DigestAlg::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    fn md(self) -> MessageDigest {
        match self {
            DigestAlg::Md5 => MessageDigest::md5(),
            DigestAlg::Sha1 => MessageDigest::sha1(),
            DigestAlg::Sha256 => MessageDigest::sha256(),
            DigestAlg::Sha512 => MessageDigest::sha512(),
        }
    }

    /// The base64 digest of `data`, as a DigestValue carries it.
    pub fn digest_base64(self, data: &[u8]) -> Result<String> {
        Ok(STANDARD.encode(hash(self.md(), data)?))
    }
}

/// A SignatureMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlg {
    /// RSA with SHA-1: weak; only for the weak-algorithm case.
    RsaSha1,
    /// RSA with SHA-256, the default.
    RsaSha256,
    /// RSA with SHA-512.
    RsaSha512,
    /// HMAC-SHA1, for the truncated-HMAC case.
    HmacSha1,
    /// HMAC-SHA256, for the key-confusion case.
    HmacSha256,
}

impl SignatureAlg {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlg::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlg::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlg::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            SignatureAlg::HmacSha1 => "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
            SignatureAlg::HmacSha256 => "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        }
    }

    fn md(self) -> MessageDigest {
        match self {
            SignatureAlg::RsaSha1 | SignatureAlg::HmacSha1 => MessageDigest::sha1(),
            SignatureAlg::RsaSha256 | SignatureAlg::HmacSha256 => MessageDigest::sha256(),
            SignatureAlg::RsaSha512 => MessageDigest::sha512(),
        }
    }

    fn is_hmac(self) -> bool {
        matches!(self, SignatureAlg::HmacSha1 | SignatureAlg::HmacSha256)
    }
}

/// What goes in `ds:KeyInfo`.
#[derive(Debug, Clone)]
pub enum KeyInfo<'a> {
    /// The signing key's certificate (the usual case).
    SignerCert,
    /// Another certificate than the signer's.
    Cert(&'a IdpKey),
    /// Children written as given (already canonical, `ds` prefix); empty for `<ds:KeyInfo>`
    /// with nothing inside.
    Raw(String),
    /// No KeyInfo at all.
    Omit,
}

/// How to sign. [`SignOptions::new`] gives RSA-SHA256 over SHA-256 with the signer's
/// certificate in KeyInfo; the other fields exist for the test battery's variants.
#[derive(Debug, Clone)]
pub struct SignOptions<'a> {
    /// The RSA key (and certificate) that signs.
    pub key: &'a IdpKey,
    /// The SignatureMethod used to compute the value.
    pub method: SignatureAlg,
    /// The DigestMethod.
    pub digest: DigestAlg,
    /// KeyInfo content.
    pub key_info: KeyInfo<'a>,
    /// HMAC key, for the HMAC methods (which ignore `key`).
    pub hmac_key: Vec<u8>,
    /// HMACOutputLength in bits: the value is truncated to it and the element is written.
    pub hmac_output_bits: Option<usize>,
    /// Write XML-DSig as the default namespace instead of the `ds` prefix.
    pub ds_default_namespace: bool,
    /// InclusiveNamespaces PrefixList of the exc-c14n transform (the element's own declarations
    /// of those prefixes must already be in place: see `ResponseSpec::typed_values`).
    pub inclusive_prefixes: Option<String>,
    /// Indent the Signature's children.
    pub pretty: bool,
    /// SignatureMethod URI written instead of `method`'s (the value is still `method`'s).
    pub method_uri: Option<String>,
    /// DigestMethod URI written instead of `digest`'s.
    pub digest_uri: Option<String>,
    /// A canonical `ds:Transform` element placed between the two standard transforms (the
    /// digest is still taken as if it were not there unless the caller computes it).
    pub extra_transform: Option<String>,
}

impl<'a> SignOptions<'a> {
    /// RSA-SHA256 over SHA-256 with `key`, its certificate in KeyInfo, `ds` prefix, compact.
    pub fn new(key: &'a IdpKey) -> SignOptions<'a> {
        SignOptions {
            key,
            method: SignatureAlg::RsaSha256,
            digest: DigestAlg::Sha256,
            key_info: KeyInfo::SignerCert,
            hmac_key: Vec::new(),
            hmac_output_bits: None,
            ds_default_namespace: false,
            inclusive_prefixes: None,
            pretty: false,
            method_uri: None,
            digest_uri: None,
            extra_transform: None,
        }
    }

    /// The same options with other algorithms.
    pub fn algorithms(mut self, method: SignatureAlg, digest: DigestAlg) -> SignOptions<'a> {
        self.method = method;
        self.digest = digest;
        self
    }

    fn ds(&self, local: &str) -> String {
        if self.ds_default_namespace {
            local.to_string()
        } else {
            format!("ds:{local}")
        }
    }

    /// A writer for a fragment that sits `depth` levels into the Signature (for indentation:
    /// both forms of SignedInfo must carry the same whitespace).
    fn writer(&self, inside_signature: bool, depth: usize) -> Canonical {
        let ns: &[(&str, &str)] = match (inside_signature, self.ds_default_namespace) {
            (false, _) => &[],
            (true, false) => &[("ds", DSIG)],
            (true, true) => &[("", DSIG)],
        };
        let w = Canonical::inside(ns).pretty(self.pretty).indent_from(depth);
        if self.ds_default_namespace {
            w.default_namespace(DSIG)
        } else {
            w
        }
    }
}

/// A `ds:SignedInfo` in its two forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInfo {
    /// Canonical as its own apex, declaring the XML-DSig namespace: the bytes that are signed.
    pub apex: String,
    /// As it is written inside `ds:Signature`, which declares the namespace.
    pub in_signature: String,
}

/// The SignedInfo of one Reference to `uri` whose digest is `digest_value`.
pub fn signed_info(uri: &str, digest_value: &str, opts: &SignOptions<'_>) -> SignedInfo {
    let write = |inside: bool| {
        let mut w = opts.writer(inside, 1);
        let ds = |l: &str| opts.ds(l);
        w.start(&ds("SignedInfo"), &[]);
        w.leaf(
            &ds("CanonicalizationMethod"),
            &[("Algorithm", EXC_C14N)],
            "",
        );
        let method = opts.method_uri.as_deref().unwrap_or(opts.method.uri());
        w.start(&ds("SignatureMethod"), &[("Algorithm", method)]);
        if let Some(bits) = opts.hmac_output_bits {
            w.leaf(&ds("HMACOutputLength"), &[], &bits.to_string());
        }
        w.end();
        w.start(&ds("Reference"), &[("URI", uri)]);
        w.start(&ds("Transforms"), &[]);
        w.leaf(&ds("Transform"), &[("Algorithm", ENVELOPED)], "");
        if let Some(t) = &opts.extra_transform {
            w.raw(t);
        }
        w.start(&ds("Transform"), &[("Algorithm", EXC_C14N)]);
        if let Some(list) = &opts.inclusive_prefixes {
            w.leaf("ec:InclusiveNamespaces", &[("PrefixList", list)], "");
        }
        w.end();
        w.end();
        let digest = opts.digest_uri.as_deref().unwrap_or(opts.digest.uri());
        w.leaf(&ds("DigestMethod"), &[("Algorithm", digest)], "");
        w.leaf(&ds("DigestValue"), &[], digest_value);
        w.end();
        w.end();
        w.finish()
    };
    SignedInfo {
        apex: write(false),
        in_signature: write(true),
    }
}

/// The SignatureValue (base64) of `signed_info_apex` under `opts`.
pub fn signature_value(signed_info_apex: &str, opts: &SignOptions<'_>) -> Result<String> {
    let raw = if opts.method.is_hmac() {
        let key = PKey::hmac(&opts.hmac_key)?;
        let mut signer = openssl::sign::Signer::new(opts.method.md(), &key)?;
        signer.update(signed_info_apex.as_bytes())?;
        let mut mac = signer.sign_to_vec()?;
        if let Some(bits) = opts.hmac_output_bits {
            mac.truncate(bits.div_ceil(8));
        }
        mac
    } else {
        opts.key
            .sign_rsa(opts.method.md(), signed_info_apex.as_bytes())?
    };
    Ok(STANDARD.encode(raw))
}

/// A `ds:Signature` element whose one Reference (`uri`) covers `target`, the canonical bytes
/// of the referenced element as the enveloped transform leaves them (without this signature).
pub fn signature_element(target: &str, uri: &str, opts: &SignOptions<'_>) -> Result<String> {
    let digest = opts.digest.digest_base64(target.as_bytes())?;
    let info = signed_info(uri, &digest, opts);
    let value = signature_value(&info.apex, opts)?;
    Ok(assemble(&info.in_signature, &value, opts))
}

/// `ds:Signature` from a SignedInfo (inside form), a SignatureValue and `opts.key_info`.
pub fn assemble(signed_info_in_signature: &str, value: &str, opts: &SignOptions<'_>) -> String {
    let ds = |l: &str| opts.ds(l);
    let mut w = opts.writer(false, 0);
    w.start(&ds("Signature"), &[]);
    w.raw(signed_info_in_signature);
    w.leaf(&ds("SignatureValue"), &[], value);
    let cert = match &opts.key_info {
        KeyInfo::SignerCert => Some(opts.key.cert_base64()),
        KeyInfo::Cert(other) => Some(other.cert_base64()),
        KeyInfo::Raw(_) | KeyInfo::Omit => None,
    };
    match (&opts.key_info, cert) {
        (_, Some(cert)) => {
            w.start(&ds("KeyInfo"), &[]);
            w.start(&ds("X509Data"), &[]);
            w.leaf(&ds("X509Certificate"), &[], &cert);
            w.end();
            w.end();
        }
        (KeyInfo::Raw(children), None) => {
            w.start(&ds("KeyInfo"), &[]);
            if !children.is_empty() {
                w.raw(children);
            }
            w.end();
        }
        _ => {}
    }
    w.end();
    w.finish()
}

/// `xml` with `signature` placed in `parent`: right after its `Issuer` child when it has one
/// (SAML core 5.4.1 puts the signature there), else as its first child. No whitespace is added,
/// since whitespace inside a signed element would change its digest.
pub fn insert_signature(xml: &str, parent: &Element, signature: &str) -> Result<String> {
    let at = match splice::child(xml, parent, "Issuer")? {
        Some(issuer) => issuer.end,
        None => parent.inner_start,
    };
    Ok(splice::insert(xml, at, signature))
}

/// Signs the element whose `ID` is `id` with an enveloped signature referencing `#id`.
pub fn sign_element(xml: &str, id: &str, opts: &SignOptions<'_>) -> Result<String> {
    let element = splice::by_id(xml, id)?;
    let signature = signature_element(splice::slice(xml, &element), &format!("#{id}"), opts)?;
    insert_signature(xml, &element, &signature)
}

/// Signs the first `saml:Assertion` in `xml` (a Response or a lone Assertion).
pub fn sign_assertion(xml: &str, opts: &SignOptions<'_>) -> Result<String> {
    let assertion = splice::first(xml, "saml:Assertion")?;
    let id = assertion
        .id
        .ok_or_else(|| SamlError::Splice("the assertion has no ID".into()))?;
    sign_element(xml, &id, opts)
}

/// Signs the root `samlp:Response` of `xml`.
pub fn sign_response(xml: &str, opts: &SignOptions<'_>) -> Result<String> {
    let root = splice::root(xml)?;
    if root.local_name() != "Response" {
        return Err(SamlError::Splice(format!(
            "root is <{}>, not a Response",
            root.qname
        )));
    }
    let id = root
        .id
        .ok_or_else(|| SamlError::Splice("the response has no ID".into()))?;
    sign_element(xml, &id, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idp() -> IdpKey {
        crate::saml::keys::test_key("idp")
    }

    #[test]
    fn signed_info_forms_differ_only_in_the_declaration() {
        let key = idp();
        let opts = SignOptions::new(&key);
        let info = signed_info("#_a", "ZGlnZXN0", &opts);
        assert_eq!(
            info.apex,
            info.in_signature.replacen(
                "<ds:SignedInfo>",
                &format!("<ds:SignedInfo xmlns:ds=\"{DSIG}\">"),
                1
            )
        );
        assert_eq!(
            info.in_signature,
            format!(
                "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\">\
                 </ds:CanonicalizationMethod><ds:SignatureMethod \
                 Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\">\
                 </ds:SignatureMethod><ds:Reference URI=\"#_a\"><ds:Transforms><ds:Transform \
                 Algorithm=\"{ENVELOPED}\"></ds:Transform><ds:Transform Algorithm=\"{EXC_C14N}\">\
                 </ds:Transform></ds:Transforms><ds:DigestMethod \
                 Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod>\
                 <ds:DigestValue>ZGlnZXN0</ds:DigestValue></ds:Reference></ds:SignedInfo>"
            )
        );
    }

    #[test]
    fn pretty_signed_info_forms_carry_the_same_whitespace() {
        let key = idp();
        let mut opts = SignOptions::new(&key);
        opts.pretty = true;
        let info = signed_info("#_a", "x", &opts);
        assert!(info.in_signature.contains("\n    <ds:Reference"));
        assert_eq!(
            info.apex,
            info.in_signature.replacen(
                "<ds:SignedInfo>",
                &format!("<ds:SignedInfo xmlns:ds=\"{DSIG}\">"),
                1
            )
        );
    }

    #[test]
    fn default_namespace_and_inclusive_prefixes() {
        let key = idp();
        let mut opts = SignOptions::new(&key);
        opts.ds_default_namespace = true;
        opts.inclusive_prefixes = Some("xs".into());
        let info = signed_info("#_a", "x", &opts);
        assert!(
            info.apex
                .starts_with(&format!("<SignedInfo xmlns=\"{DSIG}\">"))
        );
        assert!(
            info.in_signature
                .starts_with("<SignedInfo><CanonicalizationMethod")
        );
        assert!(info.in_signature.contains(&format!(
            "<ec:InclusiveNamespaces xmlns:ec=\"{EXC_C14N}\" PrefixList=\"xs\"></ec:InclusiveNamespaces>"
        )));
    }

    #[test]
    fn signature_goes_after_the_issuer_and_references_the_id() {
        let key = idp();
        let xml = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a\">\
                   <saml:Issuer>i</saml:Issuer><saml:Subject></saml:Subject></saml:Assertion>";
        let signed = sign_assertion(xml, &SignOptions::new(&key)).unwrap();
        let sig = splice::first(&signed, "ds:Signature").unwrap();
        assert!(signed[..sig.start].ends_with("</saml:Issuer>"));
        assert!(signed[sig.end..].starts_with("<saml:Subject>"));
        assert!(splice::slice(&signed, &sig).contains("URI=\"#_a\""));
        // Taking the signature out gives back the bytes that were digested.
        assert_eq!(splice::remove(&signed, &sig), xml);
        let digest = DigestAlg::Sha256.digest_base64(xml.as_bytes()).unwrap();
        assert!(signed.contains(&format!("<ds:DigestValue>{digest}</ds:DigestValue>")));
    }

    #[test]
    fn signature_value_verifies_over_the_apex_signed_info() {
        let key = idp();
        let opts = SignOptions::new(&key);
        let info = signed_info("#_a", "x", &opts);
        let value = STANDARD
            .decode(signature_value(&info.apex, &opts).unwrap())
            .unwrap();
        let public = key.cert().public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(info.apex.as_bytes()).unwrap();
        assert!(v.verify(&value).unwrap());
    }

    #[test]
    fn truncated_hmac_is_written_with_its_length() {
        let key = idp();
        let mut opts = SignOptions::new(&key).algorithms(SignatureAlg::HmacSha1, DigestAlg::Sha256);
        opts.hmac_key = b"k".to_vec();
        opts.hmac_output_bits = Some(8);
        let info = signed_info("#_a", "x", &opts);
        assert!(
            info.apex
                .contains("<ds:HMACOutputLength>8</ds:HMACOutputLength>")
        );
        let value = signature_value(&info.apex, &opts).unwrap();
        assert_eq!(STANDARD.decode(value).unwrap().len(), 1);
    }

    #[test]
    fn keyinfo_variants() {
        let key = idp();
        let mut opts = SignOptions::new(&key);
        opts.key_info = KeyInfo::Raw(String::new());
        assert!(
            assemble("<ds:SignedInfo></ds:SignedInfo>", "v", &opts)
                .ends_with("<ds:KeyInfo></ds:KeyInfo></ds:Signature>")
        );
        opts.key_info = KeyInfo::Omit;
        assert!(!assemble("", "v", &opts).contains("KeyInfo"));
        opts.key_info = KeyInfo::SignerCert;
        assert!(assemble("", "v", &opts).contains(&key.cert_base64()));
    }
}
