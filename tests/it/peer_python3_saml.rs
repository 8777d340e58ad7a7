//! A real SAML SP nobody here wrote: a small app on python3-saml 1.16.0
//! (`.ci/peers/python3-saml-sp/`), trusting idgate's IdP metadata. `.ci/run`
//! starts it and exports its URLs; run alone, this test starts it itself.
//!
//! Where python3-saml disagrees with the catalogue, the finding is pinned
//! here with the reason (see .ci/peers/python3-saml-sp/findings.md), so a
//! change that loses or invents a finding fails.

use crate::common;
use crate::saml_peer::{SamlPeer, assert_pinned, peer_idp};

use idgate::result::Outcome;

/// Cases where python3-saml 1.16.0 (strict mode) does not do what the catalogue asks.
const FINDINGS: &[&str] = &[
    // The Assertion's signature has an XPath transform that leaves the NameID unsigned;
    // neither python3-saml nor libxmlsec1 restricts transforms, so the forged NameID logs in.
    "saml.transform-xpath",
    // Destination is only compared when present; SAML core makes it required only for signed
    // Responses sent over POST, which this one is.
    "saml.destination-missing",
    // An empty or missing AudienceRestriction skips the audience check.
    "saml.audience-empty",
    "saml.audience-missing",
    // Audiences of all restrictions are merged, so a second restriction for another SP is ignored.
    "saml.audience-second-wrong",
    // Only Issuers that are present are checked, and an Issuer's Format never is.
    "saml.response-issuer-missing",
    "saml.issuer-format-wrong",
    // Bearer SubjectConfirmationData is checked for what it has: without Recipient or
    // NotOnOrAfter, nothing is compared (the profile requires both).
    "saml.confirmation-no-recipient",
    "saml.confirmation-no-not-on-or-after",
    // A SignedInfo with two References (both to the Assertion) verifies: xmlsec checks every
    // Reference, and nothing holds it to the single one SAML core §5.4.2 requires.
    "saml.two-references",
    // Not a finding any more: python3-saml allows no clock drift on SubjectConfirmationData
    // NotOnOrAfter (300 s on Conditions). With the tolerance measured, that strictness is a
    // figure (saml.clock-confirmation-expired: 0 s), and the timing cases sit around it.
];

#[tokio::test(flavor = "multi_thread")]
async fn the_battery_against_python3_saml_reports_the_pinned_findings() {
    // The peer trusts metadata with idgate's default issuer, not the reference SP's.
    let idp = peer_idp();
    let Some(peer) = SamlPeer::start(
        "python3-saml",
        "python3-saml-sp.sh",
        "python3-saml-sp",
        "IDGATE_PEER_PYSAML",
        &idp,
        "apt-get install python3-venv curl, and reach PyPI (or run .ci/run)",
    ) else {
        return;
    };
    let results = [peer.battery(idp).await];
    assert_pinned(&results, FINDINGS, "python3-saml");
    // Policy cases are reported, never counted as passes.
    let reported = common::outcomes(&results, Outcome::Reported).len();
    let report_cases = idgate::saml::cases::all()
        .iter()
        .filter(|c| c.expect == idgate::saml::Expect::Report && c.id != "saml.unsolicited")
        .count();
    assert_eq!(reported, report_cases);
    assert!(common::outcomes(&results, Outcome::Pass).len() + reported >= 100);
}
