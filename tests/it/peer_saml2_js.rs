//! A second real SAML SP nobody here wrote, on another library: saml2-js 4.0.4 (npm) behind a
//! small Node.js shell (`.ci/peers/saml2-js-sp/`), trusting idgate's IdP metadata. `.ci/run`
//! starts it and exports its URL; run alone, this test starts it itself. No `--saml-skew` is
//! given, as a user would run it: the battery measures saml2-js's clock tolerance.
//!
//! Where saml2-js disagrees with the catalogue, the finding is pinned here with the reason
//! (each checked by hand against saml2-js's code: .ci/peers/saml2-js-sp/findings.md), so a
//! change that loses or invents a finding fails.

use crate::saml_peer::{SamlPeer, assert_pinned, peer_idp};

/// Cases where saml2-js 4.0.4 does not do what the catalogue asks.
const FINDINGS: &[&str] = &[
    // Destination is returned to the caller but never compared with the ACS.
    "saml.destination-wrong",
    "saml.destination-empty",
    "saml.destination-missing",
    // SubjectConfirmation and its data are never read: Recipient, Method, NotOnOrAfter.
    "saml.recipient-wrong",
    "saml.not-bearer",
    "saml.clock-confirmation-expired",
    "saml.confirmation-expired-outside-skew",
    // No Issuer is checked anywhere (the IdP object takes no entity ID).
    "saml.assertion-issuer-wrong",
    "saml.response-issuer-wrong",
    "saml.assertion-issuer-missing",
    "saml.response-issuer-missing",
    // IssueInstant is never read; there is no schema validation (Version, Issuer Format).
    "saml.issue-instant-malformed",
    "saml.assertion-version-missing",
    "saml.response-version-missing",
    "saml.issuer-format-wrong",
    // Without Conditions neither time nor audience is checked; malformed times never compare.
    "saml.conditions-missing",
    "saml.not-before-malformed",
    "saml.not-on-or-after-malformed",
    // SubjectConfirmationData is never read, so its absence goes unnoticed too.
    "saml.confirmation-data-missing",
    "saml.subject-confirmation-missing",
    "saml.confirmation-no-not-on-or-after",
    "saml.confirmation-no-recipient",
    // The audience is checked only when an AudienceRestriction exists, and only the first.
    "saml.audience-missing",
    "saml.audience-second-wrong",
    // A missing or empty NameID logs in with an undefined name.
    "saml.nameid-empty",
    "saml.nameid-missing",
    // Attributes of one name overwrite each other: the last (forged) value wins.
    "saml.duplicate-attribute",
    // A Signature child of the Response is accepted whatever its Reference names, and a
    // SignedInfo with two References (xml-crypto checks each; SAML allows one).
    "saml.signature-misplaced",
    "saml.two-references",
    // KeyInfo is ignored: the configured certificate verifies.
    "saml.broken-empty-keyinfo",
    // xmldom accepts a DOCTYPE and skips its internal subset (no fetch, no expansion).
    "saml.doctype",
    "saml.xxe-external-entity",
    "saml.xxe-external-dtd",
    "saml.xxe-parameter-entity",
    "saml.billion-laughs",
];

#[tokio::test(flavor = "multi_thread")]
async fn the_battery_against_saml2_js_reports_the_pinned_findings() {
    let idp = peer_idp();
    let Some(peer) = SamlPeer::start(
        "saml2-js",
        "saml2-js-sp.sh",
        "saml2-js-sp",
        "IDGATE_PEER_SAML2JS",
        &idp,
        "apt-get install nodejs npm, and reach the npm registry (or run .ci/run)",
    ) else {
        return;
    };
    let results = [peer.battery(idp).await];
    assert_pinned(&results, FINDINGS, "saml2-js");
    // Identity and attributes were read from its whoami: no warning.
    assert!(results[0].warnings.is_empty(), "{:?}", results[0].warnings);
}
