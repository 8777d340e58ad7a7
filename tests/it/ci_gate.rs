//! What a CI gate relies on: retries that show flakiness instead of hiding
//! it, --fail-fast, and profiles from idgate.toml under flags.

use crate::common;

use idgate::http::ClientOptions;
use idgate::result::Outcome;
use idgate::run::{self, PlanOptions, Silent};
use idgate::session::plan::pairs;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::stub::MATCH;

async fn play(server: &MockServer, opts: PlanOptions) -> Vec<idgate::result::ScenarioResult> {
    let suite = common::suite_with(MATCH);
    let session = common::session(&server.uri(), "stub-token-1234", ClientOptions::default());
    let pairs = pairs(&suite, &["entra-legacy".to_string()], &[], &[]);
    run::run_plan(&suite, &session, &pairs, &mut Silent, opts).await
}

#[tokio::test]
async fn a_pass_after_a_retry_is_flaky_not_a_pass() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let ok = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ok, "application/scim+json"))
        .mount(&server)
        .await;
    let results = play(
        &server,
        PlanOptions {
            retries: 2,
            fail_fast: false,
            jobs: 1,
            ..PlanOptions::default()
        },
    )
    .await;
    assert_eq!(results[0].attempts, 2);
    let (outcome, detail) = common::outcome_of(&results[0], "scim.filter.username-eq");
    assert_eq!(outcome, Outcome::Flaky, "{detail}");
    let run = idgate::result::RunResult {
        idgate_version: "t".into(),
        started_at: String::new(),
        finished_at: String::new(),
        target: idgate::result::TargetInfo {
            kind: "external".into(),
            scim_base: server.uri(),
            saml_acs_url: None,
            faults: vec![],
        },
        scenarios: results,
        interrupted: false,
        terminated: false,
        partition: None,
    };
    assert_eq!(run.exit_code(), 0, "flaky does not fail the gate");
    assert!(idgate::report::junit::render(&run, &Default::default()).contains("flakyFailure"));
}

#[tokio::test]
async fn without_retries_the_same_target_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let results = play(&server, PlanOptions::default()).await;
    assert_eq!(
        common::outcome_of(&results[0], "scim.filter.username-eq").0,
        Outcome::Fail
    );
}

#[tokio::test]
async fn fail_fast_stops_after_the_first_failed_scenario() {
    let results = {
        let suite = common::suite();
        let running = idgate::reference::start(idgate::reference::ReferenceOptions {
            token: "tok-ff-1234".into(),
            faults: vec![idgate::reference::Fault::EmptyFilter404],
            ..Default::default()
        })
        .await
        .unwrap();
        let session = common::session(&running.scim_base, "tok-ff-1234", ClientOptions::default());
        let pairs = pairs(&suite, &["entra-legacy".to_string()], &[], &[]);
        assert!(pairs.len() > 3);
        let r = run::run_plan(
            &suite,
            &session,
            &pairs,
            &mut Silent,
            PlanOptions {
                retries: 0,
                fail_fast: true,
                jobs: 1,
                ..PlanOptions::default()
            },
        )
        .await;
        running.stop().await;
        r
    };
    // test-connection is the first scenario and fails with that fault.
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "test-connection");
}

/// The names of the scenarios a report.json lists, in run order.
fn scenario_names(report: &std::path::Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_profile_applies_under_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("idgate.toml"),
        "[profile.default]\ntag = [\"smoke\"]\n\n[profile.ci]\nreports = \"ci-reports\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| common::idgate(args, &[], dir.path());
    let o = run(&["run", "--profile", "ci", "--skip", "saml"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let names = scenario_names(&dir.path().join("ci-reports/report.json"));
    assert!(
        names.iter().all(|n| *n == "test-connection"),
        "the default profile's tag applies: {names:?}"
    );
    // A flag wins over the profile.
    let o = run(&[
        "run",
        "--profile",
        "ci",
        "--reports",
        "mine",
        "--tag",
        "auth",
        "--skip",
        "saml",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let names = scenario_names(&dir.path().join("mine/report.json"));
    // Every scenario tagged `auth`: Entra's, once per Entra dialect, and the RFC 7644 one.
    assert_eq!(names, ["auth", "auth", "rfc7644-auth-and-errors"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn scenarios_played_together_keep_their_order_and_pass() {
    let suite = common::suite();
    let running = idgate::reference::start(idgate::reference::ReferenceOptions {
        token: "tok-jobs-1234".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let session = common::session(
        &running.scim_base,
        "tok-jobs-1234",
        ClientOptions::default(),
    );
    let clients: Vec<String> = vec!["entra-legacy".into(), "entra-2020".into()];
    let pairs = pairs(&suite, &clients, &[], &[]);
    let opts = PlanOptions {
        retries: 0,
        fail_fast: false,
        jobs: 4,
        ..PlanOptions::default()
    };
    let results = run::run_plan(&suite, &session, &pairs, &mut Silent, opts).await;
    running.stop().await;
    let order: Vec<(String, String)> = results
        .iter()
        .map(|r| (r.name.clone(), r.client.clone()))
        .collect();
    let planned: Vec<(String, String)> = pairs
        .iter()
        .map(|(s, c)| (s.name.clone(), c.clone()))
        .collect();
    assert_eq!(order, planned);
    let bad: Vec<String> = [Outcome::Fail, Outcome::Error, Outcome::Skip]
        .into_iter()
        .flat_map(|o| common::outcomes(&results, o))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    assert!(
        session
            .ledger
            .lock()
            .await
            .pending(session.target.scim.base())
            .is_empty(),
        "everything created was deleted"
    );
}
