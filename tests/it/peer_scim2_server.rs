//! A real SCIM server nobody here wrote: scim2-server 0.8.3 from PyPI.
//! `.ci/run` starts it on 127.0.0.1 and exports its URL and token; run
//! alone, this test starts it itself with `.ci/peers/scim2-server.sh`
//! (which installs it into target/peers on first use).
//!
//! Every finding below was checked by hand against the RFCs and Entra's
//! documentation (see .ci/peers/scim2-server-findings.md); the test pins
//! them, so a change to idgate that loses or invents a finding fails here.

use crate::common;
use crate::scim_peer::ScimPeer;

use idgate::http::ClientOptions;
use idgate::result::Outcome;

/// What idgate must report against scim2-server 0.8.3, per client.
const FINDINGS: &[(&str, &str)] = &[
    // Group creation with Entra's extra ADSCIM schema URN answers 400 "Unknown extension schemas".
    // RFC 7644 does not forbid refusing it, but Entra always sends it: no group is ever provisioned.
    ("entra-2020", "scim.group.create-201"),
    ("entra-legacy", "scim.group.create-201"),
    // Follows from the refused creation: the duplicate POST gets the same 400, not 409 ...
    ("entra-2020", "scim.group.displayname-unique"),
    ("entra-legacy", "scim.group.displayname-unique"),
    // ... and the group filter finds nothing (totalResults 0). The filter itself works (probe 43).
    ("entra-2020", "scim.group.filter-displayname"),
    ("entra-legacy", "scim.group.filter-displayname"),
    // emails[type eq "work"].value on a user without emails: 400 noTarget, for Add and add.
    // Entra's docs say this must work; the RFC leaves add-with-unmatched-filter open.
    ("entra-2020", "scim.patch.filter-path"),
    ("entra-legacy", "scim.patch.filter-path"),
    // path "manager" is not resolved into the enterprise extension: 400 invalidPath.
    // RFC 7644 §3.10 allows refusing un-qualified extension paths; Entra sends exactly this.
    ("entra-2020", "scim.patch.manager"),
    ("entra-legacy", "scim.patch.manager"),
    // The legacy plain-string manager id: same 400.
    ("entra-legacy", "scim.entra.manager-plain-id"),
    // The RFC 7644 suite (checked by hand with curl, see .ci/peers/scim2-server-findings.md):
    // A PATCH without the PatchOp `schemas` answers 204 (RFC 7644 §3.5.2).
    ("rfc7644", "rfc7644.patch.missing-schemas-400"),
    // A member id that names nothing is added and kept: 204, then listed in `members`.
    ("rfc7644", "rfc7644.group.unknown-member-refused"),
    // A deleted user stays in its groups' `members` (RFC 7644 §3.6).
    ("rfc7644", "rfc7644.group.deleted-member-removed"),
];

#[tokio::test(flavor = "multi_thread")]
async fn entra_clients_against_scim2_server_report_the_pinned_findings() {
    let Some(peer) = ScimPeer::start(
        "scim2-server",
        "scim2-server.sh",
        "scim2-server",
        "IDGATE_PEER_SCIM2",
    ) else {
        return;
    };
    let suite = common::suite();
    let session = common::session(&peer.base, &peer.token, ClientOptions::default());
    let results = common::run_all(&suite, &session).await;

    let errors = common::outcomes(&results, Outcome::Error);
    assert!(
        errors.is_empty(),
        "steps could not reach scim2-server: {errors:?}"
    );
    let found = common::failures(&results);
    let pinned: Vec<(String, String)> = FINDINGS
        .iter()
        .map(|(c, id)| (c.to_string(), id.to_string()))
        .collect();
    let mut expected = pinned.clone();
    expected.sort();
    let lost: Vec<_> = expected.iter().filter(|f| !found.contains(f)).collect();
    let invented: Vec<_> = found.iter().filter(|f| !expected.contains(f)).collect();
    assert!(
        lost.is_empty() && invented.is_empty(),
        "lost findings: {lost:?}\nnew findings: {invented:?}"
    );

    // Everything after the refused group creation is skipped, with the reason, never run blind;
    // so are the RFC 7644 checks whose condition did not arise (a PATCH answered 204 has no body
    // to read; no member was refused, so none can have been stored anyway).
    let skipped = common::outcomes(&results, Outcome::Skip);
    assert!(
        skipped
            .iter()
            .all(|s| s.contains("/groups ›") || s.starts_with("rfc7644/")),
        "{skipped:?}"
    );
    assert!(!skipped.is_empty());
    // And what works there is shown working: the user cycle, paging, discovery, auth.
    let passed = common::outcomes(&results, Outcome::Pass);
    for id in [
        "scim.entra.disable-string-boolean",
        "scim.disable.still-readable",
        "scim.pagination.count",
        "scim.auth.token-verified",
        "scim.patch.dotted-keys",
    ] {
        assert!(passed.iter().any(|p| p.ends_with(id)), "{id} did not pass");
    }

    a_load_finds_the_refused_groups(&peer).await;
}

/// `idgate load` against scim2-server: the cycle runs on someone else's server, and its verdict
/// agrees with the conformance findings above: users go through every wave, every group
/// create answers 400 (Entra's ADSCIM schema URN), so each membership is a reference failure
/// and the tenant is not wholly provisioned, yet nothing near Entra's quarantine thresholds.
/// (Called by the test above, on the peer it started: two tests starting one peer would race.)
async fn a_load_finds_the_refused_groups(peer: &ScimPeer) {
    let dir = tempfile::tempdir().unwrap();
    let (base, token, path) = (
        peer.base.clone(),
        peer.token.clone(),
        dir.path().to_path_buf(),
    );
    let o = crate::common::idgate_async(
        &[
            "load",
            "--quiet",
            "--scim-url",
            &base,
            "--users",
            "40",
            "--groups",
            "4",
            "--members-per-group",
            "5",
        ],
        &[("IDGATE_SCIM_TOKEN", &token)],
        &path,
    )
    .await;
    let out = common::text(&o);
    assert_eq!(o.status.code(), Some(4), "{out}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/load.json")).unwrap(),
    )
    .unwrap();
    let outcome = |id: &str| {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(outcome("load.every-object-provisioned"), "fail", "{out}");
    assert_eq!(outcome("load.no-quarantine"), "pass", "{out}");
    let create_group = report["summary"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "create-group")
        .unwrap();
    assert_eq!(
        create_group["answers"],
        serde_json::json!({"400": 4}),
        "{out}"
    );
    // 40 users created, updated and disabled; 4 groups refused; 20 memberships never sent.
    assert_eq!(
        report["events"],
        serde_json::json!({"succeeded": 120, "failed": 4, "reference_failed": 20})
    );
    assert!(
        report["cleanup"]["left_behind"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(report["cleanup"]["deleted"], 40);
}
