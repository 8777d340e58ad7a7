//! Which elements of a Response carry a verified enveloped signature by the IdP.
//!
//! The cryptography and canonicalization are bergshamra's, a third-party XML-DSig library: this
//! module shares no code with idgate's signer (`crate::saml`), so a canonicalization bug there
//! cannot be mirrored here. What this module adds is SAML's stricter profile of XML-DSig (SAML
//! core 5.4): one same-document Reference naming the signature's parent, only the enveloped and
//! exclusive-c14n transforms, no weak or keyed algorithms, and the key pinned by configuration.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bergshamra::dsig::verify::verify_all_document;
use bergshamra::keys::loader::{load_hmac_key, load_x509_cert_der, load_x509_cert_pem};
use bergshamra::xml::uppsala::{Document, NodeId};
use bergshamra::{DsigContext, Key, KeysManager, VerifyResult};
use time::OffsetDateTime;

use super::document::{DSIG, SAML, attr, child, child_elements, children, is, text};
use super::{Faults, Rejection};
use crate::fault::Fault;

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
];
const DIGEST_METHODS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// The configured IdP signing keys, parsed once: those of the metadata the SP holds, in order,
/// and those of metadata it held before.
#[derive(Clone)]
pub struct Trust {
    keys: Vec<Result<Key, String>>,
    earlier: Vec<Result<Key, String>>,
    /// The first certificate's PEM text, only ever used as a key under `hmac-keyed-with-cert`.
    cert_pem: String,
}

impl Trust {
    pub fn new(cert_pems: &[String], earlier_pems: &[String]) -> Trust {
        let load = |pem: &String| {
            load_x509_cert_pem(pem.as_bytes())
                .map_err(|e| format!("a configured IdP certificate is unusable: {e}"))
        };
        Trust {
            keys: cert_pems.iter().map(load).collect(),
            earlier: earlier_pems.iter().map(load).collect(),
            cert_pem: cert_pems.first().cloned().unwrap_or_default(),
        }
    }

    /// The keys signatures may verify with: every signing key of the metadata the SP holds (only
    /// the first under `first-signing-key-only`), and the keys of earlier metadata under
    /// `keeps-retired-key`.
    fn trusted(&self, faults: &Faults) -> Result<Vec<Key>, Rejection> {
        let current = match faults.contains(&Fault::FirstSigningKeyOnly) {
            true => &self.keys[..self.keys.len().min(1)],
            false => &self.keys[..],
        };
        let earlier = match faults.contains(&Fault::KeepsRetiredKey) {
            true => &self.earlier[..],
            false => &[],
        };
        let keys = current
            .iter()
            .chain(earlier)
            .cloned()
            .collect::<Result<Vec<Key>, String>>()
            .map_err(Rejection::new)?;
        if keys.is_empty() {
            return Err(Rejection::new("no IdP certificate is configured"));
        }
        Ok(keys)
    }
}

/// One `ds:Signature` the SP recognizes, and whether it is a valid signature by the IdP over
/// exactly its parent element.
#[derive(Debug)]
pub struct Outcome {
    pub parent: NodeId,
    pub result: Result<(), String>,
}

/// Checks every signature in `doc` against the SAML profile, then verifies them all. A
/// signature outside the profile (an XSLT transform, a remote key, SHA-1...) fails the whole
/// message before any of them is verified, so no such transform ever runs.
pub fn verify(
    doc: &Document<'_>,
    trust: &Trust,
    faults: &Faults,
    now: OffsetDateTime,
) -> Result<Vec<Outcome>, Rejection> {
    // Document order, as the verifier reports them.
    let all: Vec<NodeId> = doc
        .descendants(doc.root())
        .into_iter()
        .filter(|id| is(doc, *id, DSIG, "Signature"))
        .collect();
    if all.is_empty() {
        return Ok(Vec::new());
    }
    for sig in &all {
        profile(doc, *sig, faults)
            .map_err(|e| Rejection::new(format!("signature refused: {e}")))?;
        if !faults.contains(&Fault::AcceptsExpiredIdpCert) {
            certificates_in_validity(doc, *sig, now)
                .map_err(|e| Rejection::new(format!("signature refused: {e}")))?;
        }
    }
    // A fault: a Signature anywhere below an Assertion counts as the Assertion's own, as a
    // lookup by `.//ds:Signature` makes it.
    let anywhere = faults.contains(&Fault::SignatureFoundAnywhere);
    let covers_anything = faults.contains(&Fault::SignatureCoversAnything) || anywhere;
    let ctx = DsigContext::new(keys(doc, &all, trust, faults)?)
        .with_trusted_keys_only(true)
        // Strict: a Reference must name the signature's own neighbourhood (XSW defence);
        // the fault lets a signature vouch for any element, as lax verifiers do.
        .with_strict_verification(!covers_anything)
        .with_require_reference_digests(true);
    // A fault: a signature whose Reference names nothing here is checked over its parent, and
    // is never handed to bergshamra, which would look for `assertion.xml` on disk.
    let foreign: Vec<NodeId> = all
        .iter()
        .copied()
        .filter(|sig| {
            faults.contains(&Fault::ForeignReferenceMeansParent)
                && foreign_reference(reference_uri(doc, *sig))
        })
        .collect();
    let verify = |doc: &Document<'_>| {
        verify_all_document(&ctx, doc)
            .map_err(|e| Rejection::new(format!("signature verification failed: {e}")))
    };
    let hide_xml_ids = faults.contains(&Fault::XmlIdAccepted);
    let results = if foreign.len() == all.len() {
        Vec::new()
    } else if foreign.is_empty() && !hide_xml_ids {
        verify(doc)?
    } else {
        verify(&verifier_view(doc, &foreign, hide_xml_ids))?
    };
    if results.len() + foreign.len() != all.len() {
        return Err(Rejection::new(
            "the verifier found a different number of signatures",
        ));
    }
    let mut results = results.into_iter();
    let mut outcomes = Vec::new();
    for sig in all {
        if foreign.contains(&sig) {
            if let Some(parent) = doc.parent(sig) {
                let result = verify_over_parent(doc, sig, parent, trust, faults);
                outcomes.push(Outcome { parent, result });
            }
            continue;
        }
        let Some(result) = results.next() else {
            break;
        };
        // Looked up by prefix, a default-namespace Signature is never found.
        if faults.contains(&Fault::RejectsDsDefaultNamespace)
            && doc
                .element(sig)
                .is_none_or(|e| e.name.prefix.as_deref() != Some("ds"))
        {
            continue;
        }
        let parent = if anywhere {
            enclosing_assertion(doc, sig).or_else(|| doc.parent(sig))
        } else {
            doc.parent(sig)
        };
        let Some(parent) = parent else {
            continue;
        };
        let result = match result {
            VerifyResult::Valid {
                signature_node,
                references,
                ..
            } => {
                // A fault: several References, so long as each is about the parent.
                let several = faults.contains(&Fault::SeveralReferencesAllowed);
                if signature_node != sig {
                    Err("the verifier checked another signature".to_string())
                } else if references.is_empty()
                    || (references.len() != 1 && !several)
                    || references.iter().any(|r| {
                        (r.resolved_node != Some(parent) && !covers_anything) || !r.digest_verified
                    })
                {
                    Err("the signature does not cover the element it sits in".to_string())
                } else {
                    Ok(())
                }
            }
            VerifyResult::Invalid { reason } => Err(reason),
        };
        outcomes.push(Outcome { parent, result });
    }
    Ok(outcomes)
}

/// What the verifier of a faulty SP reads: without the signatures it is never given
/// (`foreign-reference-means-parent`) and, under `xml-id-accepted`, without the xml:id
/// attributes that SP's verifier does not know (only its later lookup does).
fn verifier_view<'x>(doc: &Document<'x>, foreign: &[NodeId], hide_xml_ids: bool) -> Document<'x> {
    let mut view = doc.clone();
    for sig in foreign {
        if let Some(parent) = view.parent(*sig) {
            view.remove_child(parent, *sig);
        }
    }
    if hide_xml_ids {
        for id in view.descendants(view.root()) {
            if let Some(e) = view.element_mut(id) {
                e.attributes.retain(|a| {
                    !(a.name.prefix.as_deref() == Some("xml") && a.name.local_name == "id")
                });
            }
        }
    }
    view
}

/// The nearest Assertion that holds `sig`, however deep.
fn enclosing_assertion(doc: &Document<'_>, sig: NodeId) -> Option<NodeId> {
    let mut at = doc.parent(sig);
    while let Some(node) = at {
        if is(doc, node, SAML, "Assertion") {
            return Some(node);
        }
        at = doc.parent(node);
    }
    None
}

/// The keys signatures may verify with: the pinned IdP certificate, and nothing from the
/// message (unless a fault says otherwise).
fn keys(
    doc: &Document<'_>,
    signatures: &[NodeId],
    trust: &Trust,
    faults: &Faults,
) -> Result<KeysManager, Rejection> {
    let mut manager = KeysManager::new();
    if faults.contains(&Fault::TrustsKeyinfoCert) {
        for sig in signatures {
            for cert in key_info_certificates(doc, *sig) {
                if let Ok(key) = load_x509_cert_der(&cert) {
                    manager.add_key(key);
                }
            }
        }
    }
    if faults.contains(&Fault::HmacKeyedWithCert)
        && let Ok(key) = load_hmac_key(trust.cert_pem.as_bytes())
    {
        manager.add_key(key);
    }
    if !faults.contains(&Fault::TrustsKeyinfoCert) || manager.find_rsa().is_none() {
        for key in trust.trusted(faults)? {
            manager.add_key(key);
        }
    }
    Ok(manager)
}

/// The DER certificates in a signature's `KeyInfo/X509Data`.
fn key_info_certificates(doc: &Document<'_>, sig: NodeId) -> Vec<Vec<u8>> {
    let Some(key_info) = child(doc, sig, DSIG, "KeyInfo") else {
        return Vec::new();
    };
    children(doc, key_info, DSIG, "X509Data")
        .into_iter()
        .flat_map(|data| children(doc, data, DSIG, "X509Certificate"))
        .filter_map(|c| {
            let b64: String = text(doc, c)
                .chars()
                .filter(|ch| !ch.is_ascii_whitespace())
                .collect();
            STANDARD.decode(b64).ok()
        })
        .collect()
}

/// Every certificate the message carries for its key is inside its validity period. The key
/// is pinned by configuration, so the dates are policy (the SAML V2.0 Metadata
/// Interoperability Profile trusts a key whatever its certificate says); this SP holds the stricter
/// policy that Microsoft asks of Entra ID's SPs ("ensure your application can validate the
/// certificate's expiration date"). A certificate that does not parse is left to the verifier.
fn certificates_in_validity(
    doc: &Document<'_>,
    sig: NodeId,
    now: OffsetDateTime,
) -> Result<(), String> {
    use x509_cert::der::Decode;
    for der in key_info_certificates(doc, sig) {
        let Ok(cert) = x509_cert::Certificate::from_der(&der) else {
            continue;
        };
        let validity = &cert.tbs_certificate.validity;
        let at = |t: x509_cert::time::Time| {
            OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64).ok()
        };
        let (from, to) = (at(validity.not_before), at(validity.not_after));
        if to.is_some_and(|to| now > to) {
            return Err(format!(
                "the IdP certificate in KeyInfo expired ({})",
                validity.not_after
            ));
        }
        if from.is_some_and(|from| now < from) {
            return Err(format!(
                "the IdP certificate in KeyInfo is not valid yet ({})",
                validity.not_before
            ));
        }
    }
    Ok(())
}

/// SAML core 5.4 and the XML-DSig best practices, as rules on the signature's shape.
fn profile(doc: &Document<'_>, sig: NodeId, faults: &Faults) -> Result<(), String> {
    let only = |parent: NodeId, local: &str| -> Result<NodeId, String> {
        let found = children(doc, parent, DSIG, local);
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("no {local}")),
            _ => Err(format!("more than one {local}")),
        }
    };
    let algorithm = |id: NodeId| attr(doc, id, "Algorithm").unwrap_or_default().to_string();

    let signed_info = only(sig, "SignedInfo")?;
    let value = only(sig, "SignatureValue")?;
    if text(doc, value).trim().is_empty() {
        return Err("empty SignatureValue".into());
    }
    if let Some(key_info) = child(doc, sig, DSIG, "KeyInfo") {
        if child_elements(doc, key_info).next().is_none() {
            return Err("empty KeyInfo".into());
        }
        if doc
            .descendants(key_info)
            .into_iter()
            .any(|d| is(doc, d, DSIG, "RetrievalMethod"))
        {
            return Err("RetrievalMethod (remote keys are never fetched)".into());
        }
    }

    let c14n = algorithm(only(signed_info, "CanonicalizationMethod")?);
    if c14n != EXC_C14N {
        return Err(format!("CanonicalizationMethod {c14n}"));
    }
    let method_el = only(signed_info, "SignatureMethod")?;
    let method = algorithm(method_el);
    let hmac_allowed = faults.contains(&Fault::HmacKeyedWithCert) && method == HMAC_SHA256;
    if !SIGNATURE_METHODS.contains(&method.as_str()) && !hmac_allowed {
        return Err(format!("SignatureMethod {method}"));
    }
    if child_elements(doc, method_el).next().is_some() {
        return Err("SignatureMethod parameters (HMACOutputLength)".into());
    }

    // A fault: every Reference of several is held to the rules below, none refused for being
    // one of several.
    let references = match faults.contains(&Fault::SeveralReferencesAllowed) {
        true => children(doc, signed_info, DSIG, "Reference"),
        false => vec![only(signed_info, "Reference")?],
    };
    if references.is_empty() {
        return Err("no Reference".into());
    }
    for reference in references {
        let uri = attr(doc, reference, "URI").unwrap_or_default();
        let id = uri.strip_prefix('#').unwrap_or_default();
        let same_document =
            !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c));
        let lax = foreign_reference(uri) && faults.contains(&Fault::ForeignReferenceMeansParent);
        if !same_document && !lax {
            return Err(format!(
                "Reference URI {uri:?} is not a same-document ID reference"
            ));
        }
        if let Some(transforms) = child(doc, reference, DSIG, "Transforms") {
            let list = children(doc, transforms, DSIG, "Transform");
            if list.len() != child_elements(doc, transforms).count() || list.len() > 2 {
                return Err("unexpected Transforms".into());
            }
            for t in list {
                let alg = algorithm(t);
                if alg != ENVELOPED && alg != EXC_C14N {
                    return Err(format!("Transform {alg}"));
                }
            }
        }
        let digest = algorithm(only(reference, "DigestMethod")?);
        if !DIGEST_METHODS.contains(&digest.as_str()) {
            return Err(format!("DigestMethod {digest}"));
        }
    }
    Ok(())
}

/// A Reference URI that names nothing in this document: neither empty (the whole document) nor
/// a `#fragment`.
fn foreign_reference(uri: &str) -> bool {
    !uri.is_empty() && !uri.starts_with('#')
}

/// The URI of a signature's (first) Reference.
fn reference_uri<'d>(doc: &'d Document<'_>, sig: NodeId) -> &'d str {
    child(doc, sig, DSIG, "SignedInfo")
        .and_then(|si| child(doc, si, DSIG, "Reference"))
        .and_then(|r| attr(doc, r, "URI"))
        .unwrap_or_default()
}

/// What a verifier that ignores the Reference URI does (the `foreign-reference-means-parent`
/// fault only): the digest over the element the signature sits in, that element without the
/// signature in exclusive canonical form, then the SignatureValue over SignedInfo with the
/// trusted key. bergshamra's canonicalization and algorithms, never idgate's.
fn verify_over_parent(
    doc: &Document<'_>,
    sig: NodeId,
    parent: NodeId,
    trust: &Trust,
    faults: &Faults,
) -> Result<(), String> {
    use bergshamra::c14n::{C14nMode, canonicalize_doc};
    use bergshamra::crypto::{digest, sign};
    use bergshamra::xml::NodeSet;
    let need = |id: Option<NodeId>, what: &str| id.ok_or_else(|| format!("no {what}"));
    let decode = |id: NodeId| -> Result<Vec<u8>, String> {
        let b64: String = text(doc, id)
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        STANDARD.decode(b64).map_err(|e| e.to_string())
    };
    let signed_info = need(child(doc, sig, DSIG, "SignedInfo"), "SignedInfo")?;
    let reference = need(child(doc, signed_info, DSIG, "Reference"), "Reference")?;
    let digest_uri = need(child(doc, reference, DSIG, "DigestMethod"), "DigestMethod")
        .map(|m| attr(doc, m, "Algorithm").unwrap_or_default())?;
    let expected = decode(need(
        child(doc, reference, DSIG, "DigestValue"),
        "DigestValue",
    )?)?;
    let mut element = NodeSet::tree_without_comments(parent, doc);
    for id in std::iter::once(sig).chain(doc.descendants(sig)) {
        element.remove_id(id);
    }
    let none: &[&str] = &[];
    let bytes = canonicalize_doc(doc, C14nMode::Exclusive, Some(&element), none)
        .map_err(|e| e.to_string())?;
    if digest::digest(digest_uri, &bytes).map_err(|e| e.to_string())? != expected {
        return Err("the digest of the element it sits in does not match".into());
    }
    let method = need(
        child(doc, signed_info, DSIG, "SignatureMethod"),
        "SignatureMethod",
    )
    .map(|m| attr(doc, m, "Algorithm").unwrap_or_default())?;
    let value = decode(need(
        child(doc, sig, DSIG, "SignatureValue"),
        "SignatureValue",
    )?)?;
    let info = NodeSet::tree_without_comments(signed_info, doc);
    let info =
        canonicalize_doc(doc, C14nMode::Exclusive, Some(&info), none).map_err(|e| e.to_string())?;
    let algorithm = sign::from_uri(method).map_err(|e| e.to_string())?;
    for key in trust.trusted(faults).map_err(|r| r.reason)? {
        let key = key
            .to_signing_key()
            .map_err(|e| e.to_string())?
            .ok_or("a trusted key cannot verify")?;
        if algorithm
            .verify(&key, &info, &value)
            .map_err(|e| e.to_string())?
        {
            return Ok(());
        }
    }
    Err("the SignatureValue does not verify with a trusted key".into())
}
