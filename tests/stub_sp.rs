//! Every SAML verdict can fail: an SP that accepts anything fails every case
//! a correct SP rejects, and one that refuses everything fails every case it
//! must accept; the seed scenarios fail on an SP that ignores their rules.
//! (Report cases are policy: they are reported, never failed, by design.)

mod common;

use idgate::result::Outcome;
use idgate::run::saml::{SamlSide, SpTarget, run_battery};
use idgate::run::{Ledger, Silent, Target, run_scenario};
use idgate::saml::cases::{self, Expect};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An SP stub: the ACS answers `acs_status` (with a session cookie when 200),
/// whoami names `user` with fixed names.
async fn stub_sp(acs_status: u16, user: &str) -> MockServer {
    let server = MockServer::start().await;
    let mut acs = ResponseTemplate::new(acs_status);
    if acs_status == 200 {
        acs = acs.insert_header("Set-Cookie", "sid=1; Path=/");
    }
    Mock::given(method("POST"))
        .and(path("/acs"))
        .respond_with(acs)
        .mount(&server)
        .await;
    let who = serde_json::json!({"name_id": user, "first_name": "Fixed", "last_name": "Name"});
    Mock::given(method("GET"))
        .and(path("/whoami"))
        .respond_with(ResponseTemplate::new(200).set_body_json(who))
        .mount(&server)
        .await;
    server
}

fn side(server: &MockServer) -> SamlSide {
    SamlSide::new(
        SpTarget {
            acs_url: format!("{}/acs", server.uri()),
            audience: "https://sp.example.test".into(),
            login_url: None,
            whoami_url: Some(format!("{}/whoami", server.uri())),
            skew: time::Duration::minutes(3),
            name_id: "alice@example.com".into(),
        },
        common::fixture_idp(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_accepts_anyone_fails_every_case_it_should_refuse() {
    let server = stub_sp(200, "admin@example.com").await;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), None, &stop, &mut Silent).await;
    for case in cases::all() {
        let (outcome, detail) = common::outcome_of(&r, case.id);
        let want = match case.expect {
            _ if case.id == "saml.unsolicited" => Outcome::Skip,
            Expect::Reject | Expect::AcceptOriginalOnly | Expect::Accept => Outcome::Fail,
            Expect::Report => Outcome::Pass,
        };
        // Accept cases fail too: the session went to admin, not alice.
        assert_eq!(outcome, want, "{}: {detail}", case.id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_refuses_everyone_fails_every_case_it_must_accept() {
    let server = stub_sp(403, "nobody").await;
    let idp = common::fixture_idp();
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), None, &stop, &mut Silent).await;
    let mut accept_cases = 0;
    for case in cases::all() {
        let (outcome, _) = common::outcome_of(&r, case.id);
        let built = cases::build(
            case.id,
            &cases::CaseContext::new(common::fixture_spec(), &idp.key, &idp.attacker, &idp.cloned),
        )
        .unwrap();
        let want = if case.id == "saml.unsolicited" {
            Outcome::Skip
        } else if built.posts.len() > 1 {
            // A replay whose genuine first post is refused tests nothing: an error, not a pass.
            Outcome::Error
        } else if case.expect == Expect::Accept {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        accept_cases += usize::from(case.expect == Expect::Accept);
        assert_eq!(outcome, want, "{}", case.id);
    }
    assert!(accept_cases >= 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_checks_fail_on_an_sp_that_ignores_their_rules() {
    let server = stub_sp(200, "whoever@evil.test").await;
    let suite = common::suite();
    let scenario = suite
        .scenarios
        .iter()
        .find(|s| s.name == "saml-seeds")
        .expect("shipped");
    let target = Target {
        scim: idgate::scim::ScimClient::new(
            "",
            idgate::redact::Secret::new(""),
            None,
            Default::default(),
        )
        .unwrap(),
        token_env: "IDGATE_SCIM_TOKEN".into(),
        saml: Some(side(&server)),
    };
    let ledger = tokio::sync::Mutex::new(Ledger::in_memory());
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_scenario(
        &suite,
        scenario,
        "saml-idp",
        &target,
        &ledger,
        &stop,
        &mut Silent,
    )
    .await;
    for id in [
        "saml.seed.email-domain",
        "saml.seed.jit-provisioning",
        "saml.seed.claims-short",
        "saml.seed.claims-uri",
    ] {
        let (outcome, detail) = common::outcome_of(&r, id);
        assert_eq!(outcome, Outcome::Fail, "{id}: {detail}");
    }
}
