//! No check that cannot fail: the shipped suite passes on the reference
//! target, and each fault of the target, alone, fails the check that names
//! the rule it breaks. Checks no fault can break are broken by a wiremock
//! stub in `tests/stub_checks.rs`; the coverage test keeps both honest.

use crate::common;

use std::collections::BTreeSet;

use idgate::reference::Fault;
use idgate::result::Outcome;

#[tokio::test]
async fn the_reference_target_passes_every_check() {
    let results = common::run_reference(&[]).await;
    assert!(!results.is_empty());
    // A conditional expectation (`if_status`) the reference's answer does not meet is skipped
    // beside the one that judged that answer: the check still passed at that step.
    let passed = common::outcomes(&results, Outcome::Pass);
    let bad: Vec<String> = [Outcome::Fail, Outcome::Error, Outcome::Skip]
        .into_iter()
        .flat_map(|o| common::outcomes(&results, o))
        .filter(|o| !NOT_OFFERED_BY_REFERENCE.iter().any(|id| o.ends_with(id)))
        .filter(|o| {
            !NOT_FOR_REFERENCE
                .iter()
                .any(|s| o.starts_with(&format!("{s} › ")))
        })
        .filter(|o| !passed.contains(o))
        .collect();
    assert!(bad.is_empty(), "not all passed:\n{}", bad.join("\n"));
    // What the reference does not offer is skipped, and says why.
    for id in NOT_OFFERED_BY_REFERENCE {
        let skipped = common::outcomes(&results, Outcome::Skip);
        assert!(
            skipped.iter().any(|o| o.ends_with(id)),
            "{id} was not skipped"
        );
    }
    let passed = common::outcomes(&results, Outcome::Pass).len();
    assert!(passed > 200, "only {passed} checks ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fault_fails_the_check_it_breaks() {
    let faults: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.area() == "scim")
        .collect();
    let mut missed = Vec::new();
    // Each fault gets a reference target of its own, so a few can run at once.
    for batch in faults.chunks(4) {
        let runs = batch
            .iter()
            .map(|fault| async move { (*fault, common::run_reference(&[*fault]).await) });
        for (fault, results) in futures_util::future::join_all(runs).await {
            let failed: BTreeSet<String> = common::failures(&results)
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            for id in std::iter::once(fault.breaks()).chain(fault.also_breaks().iter().copied()) {
                if !failed.contains(id) {
                    missed.push(format!(
                        "{fault}: expected {id} to fail, failed: {failed:?}"
                    ));
                }
            }
            let errors = common::outcomes(&results, Outcome::Error);
            assert!(errors.is_empty(), "{fault} made steps error: {errors:?}");
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// Checks whose failure is shown by a wiremock stub instead of a fault.
/// Checks of features the reference does not advertise (RFC 7644 §3.7 Bulk): the suite skips
/// them there, and `tests/it/stub_checks.rs` shows them passing and failing.
const NOT_OFFERED_BY_REFERENCE: &[&str] = &[
    "rfc7644.bulk.200",
    // The reference advertises filtering, so the scenario for servers that do not (every step
    // of rfc7644-unadvertised) is skipped; the fault filter-unadvertised-ignored plays it.
    "rfc7644.filter.unadvertised-not-ignored",
];

/// Scenarios written only for targets unlike the reference, skipped there as a whole.
const NOT_FOR_REFERENCE: &[&str] = &["rfc7644/rfc7644-unadvertised"];

pub const BROKEN_BY_STUBS: &[&str] = &[
    "rfc7644.bulk.200",
    "rfc7644.errors.allow-header",
    "scim.schema.user",
    "scim.schema.group",
    "scim.schema.list-response",
    "scim.schema.service-provider-config",
    "scim.schema.resource-type",
    "scim.schema.schema",
    "scim.disable.accepted",
    "scim.patch.update-accepted",
    "scim.patch.replace-applied",
    "saml.seed.email-domain",
    "saml.seed.jit-provisioning",
    "saml.seed.claims-short",
    "saml.seed.claims-uri",
];

#[test]
fn every_scim_check_is_broken_by_a_fault_or_a_stub() {
    let suite = common::suite();
    let by_faults: BTreeSet<&str> = Fault::ALL
        .iter()
        .flat_map(|f| std::iter::once(f.breaks()).chain(f.also_breaks().iter().copied()))
        .collect();
    // The battery's cases are shown failing by the stub SPs of tests/stub_sp.rs,
    // which judge every case (an SP that lets anyone in, one that lets nobody in).
    let uncovered: Vec<&String> = suite
        .checks
        .keys()
        .filter(|id| {
            ["scim.", "saml.", "rfc7644."]
                .iter()
                .any(|p| id.starts_with(p))
        })
        .filter(|id| suite.cases.find(id).is_none())
        .filter(|id| !by_faults.contains(id.as_str()) && !BROKEN_BY_STUBS.contains(&id.as_str()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "checks nothing shows failing: {uncovered:?}"
    );
    for id in BROKEN_BY_STUBS {
        assert!(
            suite.checks.contains_key(*id),
            "{id} is not in the catalogue"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_sp_passes_the_whole_battery() {
    let r = common::run_reference_saml(&[]).await;
    let results = [r];
    // Without a login, what needs one is skipped (every Response is unsolicited); the
    // SP-initiated run below plays it.
    let login: Vec<&str> = idgate::saml::cases::all()
        .iter()
        .filter(|c| c.needs.as_deref() == Some("login"))
        .map(|c| c.id.as_str())
        .collect();
    let bad: Vec<String> = [Outcome::Fail, Outcome::Error, Outcome::Skip]
        .into_iter()
        .flat_map(|o| common::outcomes(&results, o))
        .filter(|o| !login.iter().any(|id| o.ends_with(&format!("› {id}"))))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(common::outcomes(&results, Outcome::Pass).len() >= 60);
}

/// SP-initiated: every Response answers a real AuthnRequest (InResponseTo).
#[tokio::test(flavor = "multi_thread")]
async fn the_reference_sp_passes_the_battery_sp_initiated() {
    let results = [common::run_reference_saml_as(&[], true).await];
    let bad: Vec<String> = [Outcome::Fail, Outcome::Error, Outcome::Skip]
        .into_iter()
        .flat_map(|o| common::outcomes(&results, o))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    // And the fault that ignores InResponseTo shows in this mode too.
    let results = [common::run_reference_saml_as(&[Fault::IgnoresInResponseTo], true).await];
    let failed: Vec<String> = common::failures(&results)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert!(
        failed.contains(&"saml.in-response-to-wrong".to_string()),
        "{failed:?}"
    );
}

/// Each SAML fault fails exactly the cases it names (`breaks` and `also_breaks`): not fewer,
/// so every case has a fault that shows it can fail, and not more, so a fault breaks one rule.
#[tokio::test(flavor = "multi_thread")]
async fn each_sp_fault_fails_exactly_the_cases_it_breaks() {
    let mut wrong = Vec::new();
    for fault in Fault::ALL
        .iter()
        .filter(|f| f.breaks().starts_with("saml."))
    {
        // Under the Entra profile, so that a rule only it requires (an expired IdP certificate
        // refused) is judged as well; a profile only ever makes a case stricter.
        let results = [common::run_reference_saml_under(&[*fault], false, Some("entra")).await];
        let failed: BTreeSet<String> = common::failures(&results)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        let named: BTreeSet<String> = std::iter::once(fault.breaks())
            .chain(fault.also_breaks().iter().copied())
            .map(String::from)
            .collect();
        if failed != named {
            wrong.push(format!(
                "{fault}: failed {:?} it does not name, left {:?} it names",
                failed.difference(&named).collect::<Vec<_>>(),
                named.difference(&failed).collect::<Vec<_>>(),
            ));
        }
        let errors = common::outcomes(&results, Outcome::Error);
        assert!(errors.is_empty(), "{fault} made cases error: {errors:?}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// SAML cases no fault of the reference SP breaks yet: the stub SPs of `tests/it/stub_sp.rs`
/// show each failing (one accepts anyone, one refuses everyone). Policy cases (`report`) are
/// never failed at all. A new case gets a fault, or a line here with the reason.
const CASES_WITHOUT_A_FAULT: &[&str] = &[
    // Cases an SP gets right by accepting: only a fault that refuses good input would break
    // them, and these inputs have none yet.
    "saml.valid",
    "saml.response-signed-only",
    "saml.assertion-signed-only",
    "saml.binding-base64-whitespace",
    "saml.inclusive-namespaces",
    "saml.rsa-sha512",
    "saml.issue-instant-millis",
    "saml.attributes-no-nameformat",
    "saml.claims-short-names",
    "saml.claims-uri-names",
    // Refused by bergshamra itself (a digest, a value, an algorithm, a transform, a duplicate
    // ID, a copy the enveloped transform removes whole): a fault would need a verifier of its
    // own, not a switch in this SP's rules.
    "saml.tampered",
    "saml.reference-empty",
    "saml.foreign-signed-document",
    "saml.broken-signature-value",
    "saml.broken-empty-signature-value",
    "saml.broken-no-signedinfo",
    "saml.broken-empty-keyinfo",
    "saml.xsw1",
    "saml.xsw1-object",
    "saml.xsw4",
    "saml.xsw5",
    "saml.xsw6",
    "saml.xsw6-object",
    "saml.xsw7",
    "saml.xsw7-ns",
    "saml.xsw8",
    "saml.xsw8-ns",
    "saml.multiple-assertions-forged-first",
    "saml.duplicate-ids",
    "saml.id-decoy-lowercase",
    "saml.id-decoy-mixedcase",
    "saml.assertion-in-advice",
    "saml.two-root-elements",
    "saml.extra-signedinfo",
    "saml.comment-in-digestvalue",
    "saml.encrypted-assertion-plain",
    "saml.hmac-truncated",
    "saml.alg-unknown-uri",
    "saml.alg-mismatch",
    "saml.transform-xslt",
    "saml.transform-xpath",
    "saml.retrieval-method",
    "saml.reference-xpath-injection",
    // Read whole by the parser whatever the SP does: CDATA and character references are text.
    "saml.cdata-in-nameid",
    "saml.charref-in-nameid",
    // Nothing in this SP fetches or validates against a schema, so nothing could follow them.
    "saml.xinclude",
    "saml.schema-location",
    "saml.xml-stylesheet",
    "saml.oversized",
    // Protocol rules older than issue 10 that have no switch yet.
    "saml.response-id-missing",
    "saml.issue-instant-malformed",
    "saml.nameid-empty",
    "saml.nameid-missing",
    "saml.assertion-for-other-sp",
    "saml.binding-duplicate-param",
    // The reference SP holds no key to sign its AuthnRequests with and declares
    // AuthnRequestsSigned="false"; stub_sp.rs shows an SP that declares it and does not sign
    // failing, and one that signs passing.
    "saml.authn-request-signed",
];

/// Every SAML case is named by a fault (which the test above holds it to) or listed as having
/// none, and no listed case has one: the list cannot hide a case or go stale.
#[test]
fn every_saml_case_has_a_fault_or_says_why_not() {
    let named: BTreeSet<&str> = Fault::ALL
        .iter()
        .filter(|f| f.area() == "saml")
        .flat_map(|f| std::iter::once(f.breaks()).chain(f.also_breaks().iter().copied()))
        .collect();
    let listed: BTreeSet<&str> = CASES_WITHOUT_A_FAULT.iter().copied().collect();
    let mut uncovered = Vec::new();
    for case in idgate::saml::cases::all() {
        let policy = case.expect == idgate::saml::Expect::Report;
        if !policy && !named.contains(case.id.as_str()) && !listed.contains(case.id.as_str()) {
            uncovered.push(case.id.clone());
        }
    }
    assert!(
        uncovered.is_empty(),
        "cases with no fault and no reason: {uncovered:?}"
    );
    let stale: Vec<&&str> = listed.iter().filter(|id| named.contains(**id)).collect();
    assert!(
        stale.is_empty(),
        "listed as without a fault, but a fault names them: {stale:?}"
    );
    for id in &listed {
        assert!(idgate::saml::cases::find(id).is_some(), "{id} is no case");
    }
}

/// A fetch of idgate's canary fails the case whatever the verdict: the SP
/// followed a URL inside a message.
#[tokio::test(flavor = "multi_thread")]
async fn a_fetched_canary_fails_the_case_and_says_so() {
    let r = common::run_reference_saml(&[Fault::ResolvesExternalEntities]).await;
    let (outcome, detail) = common::outcome_of(&r, "saml.xxe-external-entity");
    assert_eq!(outcome, Outcome::Fail);
    assert!(
        detail.contains("the SP fetched http://127.0.0.1:")
            && detail.contains("/xxe-external-entity"),
        "{detail}"
    );
}
