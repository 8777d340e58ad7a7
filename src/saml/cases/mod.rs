//! The battery: every response the test IdP posts to an SP, and what a correct SP does with it.
//!
//! The cases follow the catalogue in `saml-attacks.md` (groups A to H). Each is built from the
//! valid response by a small change; wrapping and duplication variants move or copy signed bytes
//! unchanged (never a re-serialized copy), so the signatures in them still verify and only the
//! SP's choice of element decides the outcome.
//!
//! This file holds the types and the metadata table (`CASES`: id, group, expectation, title,
//! changes, citation). Each group's builders live in a file of their own (`a_signature` to
//! `h_accept`), registered by id in that file's `BUILDERS`; `build` holds what several groups
//! share.

use time::{Duration, OffsetDateTime};

use super::error::{Result, SamlError};
use super::keys::IdpKey;
use super::response::ResponseSpec;

mod a_signature;
mod b_wrapping;
mod build;
mod c_keys;
mod d_parser;
mod e_xml;
mod f_protocol;
mod g_replay;
mod h_accept;

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

/// Builds one case from the context.
pub type Builder = fn(&CaseContext<'_>) -> Result<BuiltCase>;

/// Every builder with its id and the group whose file registers it, A to H, in table order.
pub fn builders() -> impl Iterator<Item = (Group, &'static str, Builder)> {
    [
        (Group::A, a_signature::BUILDERS),
        (Group::B, b_wrapping::BUILDERS),
        (Group::C, c_keys::BUILDERS),
        (Group::D, d_parser::BUILDERS),
        (Group::E, e_xml::BUILDERS),
        (Group::F, f_protocol::BUILDERS),
        (Group::G, g_replay::BUILDERS),
        (Group::H, h_accept::BUILDERS),
    ]
    .into_iter()
    .flat_map(|(group, list)| list.iter().map(move |&(id, make)| (group, id, make)))
}

/// Builds case `case_id` from `ctx`.
pub fn build(case_id: &str, ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let (_, _, make) = builders()
        .find(|&(_, id, _)| id == case_id)
        .ok_or_else(|| SamlError::UnknownCase(case_id.into()))?;
    make(ctx)
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
) -> Case {
    Case {
        id,
        group,
        title,
        changes,
        expect,
        cite,
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
        "SAML 2.0 profiles 4.1 (Web Browser SSO)"),
    case("saml.response-signed-only", A, Accept, "Only the Response signed",
        "The Response is signed, the Assertion inside it is not.",
        "SAML 2.0 profiles 4.1.3.5 with errata E26 (either signature protects the assertion)"),
    case("saml.assertion-signed-only", A, Accept, "Only the Assertion signed",
        "The Assertion is signed, the Response around it is not.",
        "SAML 2.0 profiles 4.1.3.5"),
    case("saml.unsigned", A, Reject, "No signature at all",
        "Every Signature removed; the subject is the forged identity.",
        "SAML Raider; CVE-2020-12676 (FusionAuth)"),
    case("saml.tampered", A, Reject, "Edited after signing",
        "NameID and e-mail claims changed to the forged identity after both signatures were made.",
        "XML-DSig core validation (reference digest)"),
    case("saml.reference-elsewhere", A, Reject, "Reference names another element",
        "The Assertion's signature is valid but its Reference names the Response, not the Assertion it sits in.",
        CORE_542),
    case("saml.reference-empty", A, Reject, "Empty Reference URI",
        "The Assertion's signature has Reference URI=\"\" (the whole document).",
        CORE_542),
    case("saml.signature-misplaced", A, Reject, "Signature outside the signed element",
        "The Assertion's signature moved out of the Assertion into the Response (still a valid detached signature).",
        "SAML 2.0 core 5.4.1 (enveloped signatures)"),
    case("saml.foreign-signed-document", A, Reject, "IdP-signed metadata carried along",
        "The IdP's signed metadata sits in samlp:Extensions; Response and Assertion are unsigned and forged.",
        "CVE-2024-6800 (GitHub Enterprise Server)"),
    case("saml.broken-signature-value", A, Reject, "Corrupt SignatureValue",
        "One base64 character of the Assertion's SignatureValue changed.",
        "XML-DSig core validation; must not crash"),
    case("saml.broken-empty-signature-value", A, Reject, "Empty SignatureValue",
        "The Assertion's SignatureValue is empty.",
        "XML-DSig core validation; must not crash"),
    case("saml.broken-no-signedinfo", A, Reject, "No SignedInfo",
        "The Assertion's signature has no SignedInfo.",
        "XML-DSig schema; must not crash"),
    case("saml.broken-empty-keyinfo", A, Reject, "Empty KeyInfo",
        "The Assertion's signature has an empty KeyInfo element (the schema requires a child).",
        "XML-DSig schema; must not crash"),
    // B. Wrapping and selection.
    case("saml.xsw1", B, AcceptOriginalOnly, "XSW1: signed Response cloned into its Signature",
        "Response-signed message edited, it and its Assertion given new IDs; the original Response, unsigned, inside the Signature.",
        SAML_RAIDER),
    case("saml.xsw2", B, AcceptOriginalOnly, "XSW2: signed Response cloned before its Signature",
        "As XSW1, the original Response placed just before the Signature.",
        SAML_RAIDER),
    case("saml.xsw3", B, AcceptOriginalOnly, "XSW3: forged Assertion before the signed one",
        "A forged copy of the signed Assertion, new ID, no signature, placed before it.",
        SAML_RAIDER),
    case("saml.xsw4", B, AcceptOriginalOnly, "XSW4: signed Assertion inside a forged one",
        "A forged Assertion with a new ID holds the signed original as its last child.",
        SAML_RAIDER),
    case("saml.xsw5", B, AcceptOriginalOnly, "XSW5: edited in place, clean copy at the end",
        "The signed Assertion edited and renamed (signature kept); an unsigned copy with the original ID at the end of the Response.",
        SAML_RAIDER),
    case("saml.xsw6", B, AcceptOriginalOnly, "XSW6: edited in place, clean copy in the Signature",
        "As XSW5, the clean copy inside the edited Assertion's Signature.",
        SAML_RAIDER),
    case("saml.xsw7", B, AcceptOriginalOnly, "XSW7: forged copy in Extensions",
        "A namespace-less Extensions element before the signed Assertion holds a forged copy with the same ID.",
        SAML_RAIDER),
    case("saml.xsw7-ns", B, AcceptOriginalOnly, "XSW7 with samlp:Extensions",
        "As XSW7 in a schema-valid samlp:Extensions after the Issuer, so schema validation does not drop it.",
        SAML_RAIDER),
    case("saml.xsw8", B, AcceptOriginalOnly, "XSW8: clean copy in an Object",
        "The signed Assertion edited with the same ID; an unsigned clean copy in a namespace-less Object inside its Signature.",
        SAML_RAIDER),
    case("saml.xsw8-ns", B, AcceptOriginalOnly, "XSW8 with ds:Object",
        "As XSW8 with a schema-valid ds:Object.",
        SAML_RAIDER),
    case("saml.multiple-assertions-forged-first", B, AcceptOriginalOnly, "Two assertions, forged first",
        "A forged Assertion signed with the attacker's key, then the genuine signed one.",
        "CVE-2022-41912 (crewjam/saml)"),
    case("saml.multiple-assertions-forged-last", B, AcceptOriginalOnly, "Two assertions, forged last",
        "The genuine signed Assertion, then an unsigned forged one.",
        "CVE-2022-41912 (crewjam/saml)"),
    case("saml.duplicate-ids", B, AcceptOriginalOnly, "Duplicate assertion IDs",
        "After the signed Assertion, an unsigned forged one with the same ID.",
        "CVE-2025-23369 (GitHub Enterprise Server)"),
    case("saml.id-decoy-lowercase", B, AcceptOriginalOnly, "Decoy with id= the signed ID",
        "A forged Assertion (own ID) carrying id=\"<signed ID>\" placed before the signed one.",
        "ID attribute confusion (XML-DSig ID resolution)"),
    case("saml.id-decoy-mixedcase", B, AcceptOriginalOnly, "Decoy with Id= the signed ID",
        "As the lowercase decoy, with Id=\"<signed ID>\".",
        "ID attribute confusion (XML-DSig ID resolution)"),
    case("saml.assertion-in-advice", B, AcceptOriginalOnly, "Signed Assertion hidden in Advice",
        "A forged unsigned Assertion whose saml:Advice holds the genuine signed one.",
        "SAML 2.0 core 2.6.1 (Advice); signature wrapping"),
    case("saml.two-root-elements", B, Reject, "Two root elements",
        "A forged unsigned Response followed by the genuine signed one in the same document (not well-formed).",
        "CVE-2022-39299 (passport-saml)"),
    case("saml.extra-signedinfo", B, AcceptOriginalOnly, "Second SignedInfo",
        "The consumed Assertion is forged; its Signature has the genuine SignedInfo (pointing at a hidden original) and a second, unsigned SignedInfo with the forged digest.",
        "CVE-2025-29774 (xml-crypto)"),
    case("saml.comment-in-digestvalue", B, Reject, "Comment inside DigestValue",
        "The Assertion edited; DigestValue begins with a comment holding the edited Assertion's digest.",
        "CVE-2025-29775 (xml-crypto)"),
    case("saml.encrypted-assertion-plain", B, Reject, "Plain Assertion inside EncryptedAssertion",
        "An unsigned forged Assertion, not encrypted, inside saml:EncryptedAssertion; the Response is unsigned.",
        "saml-attacks.md B (EncryptedAssertion confusion)"),
    // C. Keys and algorithms.
    case("saml.attacker-key", C, Reject, "Signed with the attacker's key",
        "Forged identity, both signatures by the attacker's key with its certificate in KeyInfo.",
        "CVE-2015-5372, CVE-2021-21239"),
    case("saml.cloned-cert", C, Reject, "Cloned certificate",
        "Forged identity signed by a key whose certificate copies the IdP certificate's subject, serial and extensions.",
        "Certificate cloning (trust by name, not key)"),
    case("saml.hmac-with-idp-cert", C, Reject, "HMAC keyed with the IdP certificate",
        "Forged identity, SignatureMethod hmac-sha256 keyed with the IdP certificate's PEM text.",
        "Key confusion: a public certificate used as an HMAC secret"),
    case("saml.hmac-truncated", C, Reject, "HMAC truncated to 8 bits",
        "Forged identity, hmac-sha1 with HMACOutputLength 8, keyed with the IdP certificate's PEM text.",
        "CVE-2009-0217"),
    case("saml.alg-rsa-sha1", C, Report, "RSA-SHA1 signature",
        "Both signatures use rsa-sha1 (digests SHA-256).",
        "RFC 9231 / NIST SP 800-131A (SHA-1 signatures deprecated)"),
    case("saml.digest-sha1", C, Report, "SHA-1 digest",
        "Both references use the SHA-1 DigestMethod.",
        "RFC 9231 (SHA-1 digests deprecated)"),
    case("saml.digest-md5", C, Report, "MD5 digest",
        "Both references use the MD5 DigestMethod.",
        "RFC 6151, RFC 9231 (MD5 not for signatures)"),
    case("saml.alg-unknown-uri", C, Reject, "Unknown SignatureMethod",
        "SignatureMethod Algorithm is an unknown URI (the value is RSA-SHA256).",
        "XML-DSig 4.4.2 (SignatureMethod)"),
    case("saml.alg-mismatch", C, Reject, "Mismatched SignatureMethod",
        "SignatureMethod says rsa-sha512; the value was computed with rsa-sha256.",
        "XML-DSig 4.4.2 (SignatureMethod)"),
    case("saml.transform-xslt", C, Reject, "XSLT transform",
        "An XSLT transform calling document() on the canary URL, between the standard transforms.",
        "SAML 2.0 core 5.4.4 (transforms); XML-DSig best practices 2.1.3"),
    case("saml.transform-xpath", C, Reject, "XPath transform leaving out the NameID",
        "The Assertion's signature has an XPath filter excluding NameID, so the NameID was edited to the forged identity.",
        "SAML 2.0 core 5.4.4 (transforms)"),
    case("saml.retrieval-method", C, Reject, "Remote key via RetrievalMethod",
        "Forged identity signed by the attacker; KeyInfo is a RetrievalMethod pointing at the canary URL.",
        "XML-DSig best practices 2.1.4 (RetrievalMethod); saml-attacks.md C"),
    case("saml.idp-cert-expired", C, Report, "Expired IdP certificate in KeyInfo",
        "Signed by the IdP key; KeyInfo carries a certificate for that key that expired a year ago.",
        "saml-attacks.md C (certificate validity is policy)"),
    case("saml.idp-cert-not-yet-valid", C, Report, "Not-yet-valid IdP certificate in KeyInfo",
        "Signed by the IdP key; KeyInfo carries a certificate for that key valid only from next year.",
        "saml-attacks.md C (certificate validity is policy)"),
    // D. Parser differentials.
    case("saml.comment-in-nameid", D, AcceptOriginalOnly, "Comment splitting the NameID",
        "The IdP vouched for <victim>.evil.test; a comment after <victim> (outside canonical form) keeps the signatures valid.",
        DUO_2018),
    case("saml.pi-in-nameid", D, AcceptOriginalOnly, "Processing instruction in the NameID",
        "NameID text <victim><?idgate?>.evil.test, signed as such.",
        DUO_2018),
    case("saml.cdata-in-nameid", D, AcceptOriginalOnly, "CDATA section in the NameID",
        "NameID text <victim><![CDATA[.evil.test]]> (same canonical form as the signed text).",
        DUO_2018),
    case("saml.charref-in-nameid", D, AcceptOriginalOnly, "Character reference in the NameID",
        "NameID text <victim>&#46;evil.test (same canonical form as the signed text).",
        DUO_2018),
    case("saml.doctype", D, Reject, "DOCTYPE present",
        "The valid response preceded by <!DOCTYPE samlp:Response>.",
        OWASP_XXE),
    case("saml.doctype-differential", D, Reject, "DOCTYPE hiding a forged Response",
        "An internal entity whose value is ]> and a forged Response, before the valid response.",
        "CVE-2025-25291, CVE-2025-25292 (ruby-saml parser differential)"),
    case("saml.signature-wrong-namespace", D, Reject, "Signature in the wrong namespace",
        "The Assertion edited; its Signature's ds prefix bound to http://www.w3.org/2000/09/xmldsig (no #).",
        "saml-attacks.md D (ds rebound)"),
    case("saml.reference-xpath-injection", D, Reject, "XPath in the Reference URI",
        "Reference URI #<ID>' or @ID='<ID>: selects the Assertion if pasted into an XPath, names nothing as an ID.",
        CORE_542),
    // E. XML parser attacks.
    case("saml.xxe-external-entity", E, Reject, "External entity",
        "DOCTYPE declares an external entity at the canary URL, used in a ds:Object.",
        OWASP_XXE),
    case("saml.xxe-external-dtd", E, Reject, "External DTD",
        "DOCTYPE with a SYSTEM identifier at the canary URL.",
        OWASP_XXE),
    case("saml.xxe-parameter-entity", E, Reject, "External parameter entity",
        "DOCTYPE declares and uses an external parameter entity at the canary URL.",
        OWASP_XXE),
    case("saml.billion-laughs", E, Reject, "Entity expansion (bounded)",
        "Nested internal entities expanding to 10^4 copies of lol (30 kB), used in a ds:Object.",
        "CWE-776; OWASP XXE Prevention Cheat Sheet"),
    case("saml.xinclude", E, AcceptOriginalOnly, "XInclude",
        "An xi:include of the canary URL in a ds:Object of the Response signature; signatures valid. Must not fetch.",
        "OWASP XXE Prevention Cheat Sheet (XInclude)"),
    case("saml.schema-location", E, AcceptOriginalOnly, "xsi:schemaLocation",
        "The signed Response names the canary URL as its schema location. Must not fetch.",
        "saml-attacks.md E"),
    case("saml.xml-stylesheet", E, AcceptOriginalOnly, "xml-stylesheet",
        "An xml-stylesheet processing instruction pointing at the canary URL before the valid response. Must not fetch.",
        "saml-attacks.md E"),
    case("saml.oversized", E, AcceptOriginalOnly, "Oversized message",
        "The valid response with 2 MiB of text in a ds:Object. Must answer fast.",
        "saml-attacks.md E"),
    // F. Protocol checks.
    case("saml.status-responder", F, Reject, "Status Responder",
        "Top-level StatusCode Responder instead of Success.",
        "SAML 2.0 core 3.2.2.2"),
    case("saml.status-missing", F, Reject, "No Status",
        "The Response has no samlp:Status.",
        "SAML 2.0 core 3.2.2 (Status is required)"),
    case("saml.version-not-2", F, Reject, "Version 1.1",
        "Version=\"1.1\" on the Response and the Assertion.",
        "SAML 2.0 core 4.1.2"),
    case("saml.response-id-missing", F, Reject, "Response without ID",
        "The Response has no ID attribute (so only the Assertion is signed).",
        "SAML 2.0 core 3.2.2 (ID is required)"),
    case("saml.issue-instant-malformed", F, Reject, "Malformed IssueInstant",
        "Response IssueInstant=\"not-a-dateTime\".",
        "SAML 2.0 core 1.3.3 (xs:dateTime in UTC)"),
    case("saml.destination-wrong", F, Reject, "Wrong Destination",
        "Destination is another URL than the ACS.",
        "SAML 2.0 bindings 3.5.5.2"),
    case("saml.destination-empty", F, Reject, "Empty Destination",
        "Destination=\"\".",
        "SAML 2.0 bindings 3.5.5.2"),
    case("saml.destination-missing", F, Reject, "No Destination on a signed Response",
        "The signed Response has no Destination.",
        "SAML 2.0 bindings 3.5.5.2 (required when signed)"),
    case("saml.recipient-wrong", F, Reject, "Wrong Recipient",
        "SubjectConfirmationData Recipient is another URL than the ACS.",
        PROFILE_SUBJECT),
    case("saml.in-response-to-wrong", F, Reject, "InResponseTo names no request",
        "InResponseTo on the Response and the confirmation names a request the SP never sent.",
        PROFILE_SUBJECT),
    case("saml.unsolicited", F, Report, "Unsolicited response",
        "No InResponseTo anywhere (IdP-initiated); acceptable only if the SP allows it.",
        "SAML 2.0 profiles 4.1.5 (unsolicited responses)"),
    case("saml.audience-wrong", F, Reject, "Wrong Audience",
        "The only Audience is another SP's entity ID.",
        "SAML 2.0 core 2.5.1.4"),
    case("saml.audience-empty", F, Reject, "Empty Audience",
        "The only Audience is empty.",
        "SAML 2.0 core 2.5.1.4"),
    case("saml.audience-missing", F, Reject, "No AudienceRestriction",
        "Conditions without an AudienceRestriction.",
        "SAML 2.0 profiles 4.1.4.2 (assertion MUST contain an AudienceRestriction)"),
    case("saml.audience-second-wrong", F, Reject, "Second AudienceRestriction wrong",
        "A second AudienceRestriction naming only another SP (each restriction must hold).",
        "SAML 2.0 core 2.5.1.4"),
    case("saml.assertion-issuer-wrong", F, Reject, "Wrong Assertion Issuer",
        "The Assertion's Issuer is another entity (signed by the IdP key).",
        "SAML 2.0 profiles 4.1.4.2"),
    case("saml.response-issuer-wrong", F, Reject, "Wrong Response Issuer",
        "The Response's Issuer is another entity (signed by the IdP key).",
        "SAML 2.0 profiles 4.1.4.2"),
    case("saml.assertion-issuer-missing", F, Reject, "No Assertion Issuer",
        "The Assertion has no Issuer.",
        "SAML 2.0 core 2.3.3 (Issuer is required)"),
    case("saml.response-issuer-missing", F, Reject, "No Issuer on a signed Response",
        "The signed Response has no Issuer.",
        "SAML 2.0 profiles 4.1.4.2 (required when the Response is signed)"),
    case("saml.not-yet-valid-inside-skew", F, Accept, "NotBefore just inside the skew",
        "Issued and valid from now + skew - margin.",
        "SAML 2.0 core 2.5.1.2; clock skew allowance"),
    case("saml.not-yet-valid-outside-skew", F, Reject, "NotBefore beyond the skew",
        "Issued and valid from now + skew + margin.",
        "SAML 2.0 core 2.5.1.2"),
    case("saml.expired-inside-skew", F, Accept, "Conditions expired within the skew",
        "Conditions NotOnOrAfter = now - skew + margin.",
        "SAML 2.0 core 2.5.1.2; clock skew allowance"),
    case("saml.expired-outside-skew", F, Reject, "Conditions expired beyond the skew",
        "Conditions NotOnOrAfter = now - skew - margin.",
        "SAML 2.0 core 2.5.1.2"),
    case("saml.confirmation-expired-inside-skew", F, Accept, "Confirmation expired within the skew",
        "SubjectConfirmationData NotOnOrAfter = now - skew + margin.",
        "SAML 2.0 core 2.4.1.2; clock skew allowance"),
    case("saml.confirmation-expired-outside-skew", F, Reject, "Confirmation expired beyond the skew",
        "SubjectConfirmationData NotOnOrAfter = now - skew - margin.",
        "SAML 2.0 core 2.4.1.2"),
    case("saml.not-bearer", F, Reject, "Subject confirmation not bearer",
        "SubjectConfirmation Method sender-vouches.",
        PROFILE_SUBJECT),
    case("saml.no-authn-statement", F, Reject, "No AuthnStatement",
        "The Assertion has no AuthnStatement.",
        "SAML 2.0 profiles 4.1.4.2"),
    case("saml.nameid-empty", F, Reject, "Empty NameID",
        "The NameID element is empty.",
        "SAML 2.0 profiles 4.1.4.2"),
    case("saml.nameid-missing", F, Reject, "No NameID",
        "The Subject has no NameID.",
        "SAML 2.0 profiles 4.1.4.2"),
    case("saml.duplicate-attribute", F, Reject, "Duplicate attribute name",
        "A second Attribute with the first one's name carrying the forged identity.",
        "saml-attacks.md F (duplicate Attribute names)"),
    case("saml.assertion-for-other-sp", F, Reject, "Issued for another SP",
        "Audience, Recipient and Destination all name another SP.",
        "SAML 2.0 profiles 4.1.4.3"),
    // G. Replay and binding.
    case("saml.replay-same-response", G, Reject, "Same Response twice",
        "The valid response posted twice; the second post must be refused.",
        "SAML 2.0 profiles 4.1.4.5 (one-time use of bearer assertions)"),
    case("saml.replay-assertion-new-response", G, Reject, "Same Assertion in a new Response",
        "The valid response, then a new unsigned Response (new ID) around the same signed Assertion.",
        "SAML 2.0 profiles 4.1.4.5"),
    case("saml.binding-duplicate-param", G, AcceptOriginalOnly, "Two SAMLResponse parameters",
        "One form with the valid response and a second SAMLResponse holding a forged unsigned one.",
        "HTTP parameter pollution; SAML 2.0 bindings 3.5.4"),
    case("saml.binding-base64-whitespace", G, Accept, "Base64 with line breaks",
        "SAMLResponse base64 wrapped at 76 characters with CRLF, as MIME encoders write it.",
        "SAML 2.0 bindings 3.5.4; RFC 2045 6.8"),
    case("saml.binding-base64-url-safe", G, Report, "URL-safe base64",
        "SAMLResponse in the URL-safe alphabet (- and _).",
        "SAML 2.0 bindings 3.5.4; RFC 4648 5"),
    case("saml.binding-base64-no-padding", G, Report, "Base64 without padding",
        "SAMLResponse without its trailing = padding.",
        "SAML 2.0 bindings 3.5.4; RFC 4648 3.2"),
    // H. Must accept.
    case("saml.pretty-printed", H, Accept, "Pretty-printed",
        "Every element on its own indented line, inside the signed elements too (signed that way).",
        "Exclusive XML Canonicalization 1.0 (whitespace is content)"),
    case("saml.ds-default-namespace", H, Accept, "XML-DSig as the default namespace",
        "Signatures written <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"> without a prefix.",
        "XML Namespaces 1.0"),
    case("saml.inclusive-namespaces", H, Accept, "InclusiveNamespaces PrefixList",
        "AttributeValues typed xs:string; both signatures keep xs with an InclusiveNamespaces PrefixList.",
        "Exclusive XML Canonicalization 1.0 section 3"),
    case("saml.rsa-sha512", H, Accept, "RSA-SHA512",
        "Both signatures rsa-sha512 over SHA-512 digests.",
        "RFC 9231 2.3.4"),
    case("saml.issue-instant-millis", H, Accept, "Times with milliseconds",
        "Every time written with three fractional digits.",
        "SAML 2.0 core 1.3.3 (xs:dateTime)"),
    case("saml.attributes-no-nameformat", H, Accept, "Attributes without NameFormat",
        "No NameFormat on any Attribute (unspecified by default).",
        "SAML 2.0 core 2.7.3.1"),
    case("saml.claims-short-names", H, Accept, "Short claim names only",
        "Only email, firstName and lastName, no namespace URI.",
        "saml-attacks.md H"),
    case("saml.claims-uri-names", H, Accept, "Claim URIs only",
        "Only the schemas.xmlsoap.org claim URIs.",
        "saml-attacks.md H"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::splice;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    use std::collections::HashSet;

    /// The three committed test keys; `ctx()` borrows them. The group files' tests use them too.
    pub(super) struct Keys(IdpKey, IdpKey, IdpKey);

    impl Keys {
        pub(super) fn new() -> Keys {
            use crate::saml::keys::test_key;
            Keys(test_key("idp"), test_key("attacker"), test_key("cloned"))
        }

        pub(super) fn ctx(&self) -> CaseContext<'_> {
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
            let decoded = STANDARD
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
    fn every_table_id_has_exactly_one_builder_and_every_builder_a_row() {
        for c in all() {
            let n = builders().filter(|&(_, id, _)| id == c.id).count();
            assert_eq!(n, 1, "{} has {n} builders", c.id);
        }
        for (_, id, _) in builders() {
            assert!(find(id).is_some(), "builder {id} has no table row");
        }
    }

    #[test]
    fn each_builder_is_registered_in_the_file_of_its_group() {
        for (group, id, _) in builders() {
            if let Some(c) = find(id) {
                assert_eq!(
                    c.group, group,
                    "{id} is registered in group {group:?}'s file"
                );
            }
        }
    }

    #[test]
    fn builders_follow_table_order() {
        let table: Vec<&str> = all().iter().map(|c| c.id).collect();
        let registered: Vec<&str> = builders().map(|(_, id, _)| id).collect();
        assert_eq!(registered, table);
    }
}
