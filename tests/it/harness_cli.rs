//! The libtest-mimic harness as its users drive it: `examples/scim_gate.rs`,
//! built once with cargo, run with `--list`, a name filter, `--exact`, a fault
//! in the embedded target, and against an external target.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use idgate::reference::{self, Fault, ReferenceOptions};

/// The example's executable, built by cargo itself so it is never stale and
/// its path comes from cargo rather than from guessing target/ layouts.
fn example() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--offline", "--quiet", "--example", "scim_gate"])
            .args(["--message-format", "json-render-diagnostics"])
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let out = cargo.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build --example scim_gate failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "scim_gate")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the example's executable")
    })
}

/// Run the example with `args` and `env`, nothing of the caller's idgate settings.
fn gate(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(example());
    cmd.args(args).args(["--color", "never"]);
    for name in [
        "IDGATE_SCIM_URL",
        "IDGATE_SCIM_TOKEN",
        "IDGATE_HARNESS_FAULT",
        "IDGATE_ALLOW_WRITES",
    ] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the example runs");
    (
        status.code().expect("exited"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn list_prints_one_line_per_trial() {
    let (code, out, err) = gate(&["--list"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 100, "{out}");
    for line in &lines {
        assert!(line.ends_with(": test"), "not a trial line: {line:?}");
    }
    for want in [
        "[entra-legacy] entra-legacy::users: test",
        "[entra-2020] entra-2020::users: test",
        "[entra-legacy] entra-legacy::test-connection: test",
        "[saml-idp] saml-idp::saml-seeds: test",
        "[saml-idp] saml::saml.xsw3: test",
    ] {
        assert!(lines.contains(&want), "{want:?} not in\n{out}");
    }
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "trial names repeat");
}

#[test]
fn a_name_filter_runs_the_matching_trials() {
    let (code, out, err) = gate(&["users"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("running 2 tests"), "{out}");
    assert!(out.contains("entra-legacy::users ... ok"), "{out}");
    assert!(out.contains("entra-2020::users   ... ok"), "{out}");
    assert!(out.contains("2 passed; 0 failed"), "{out}");
}

#[test]
fn exact_runs_one_trial_and_only_by_its_whole_name() {
    let (code, out, err) = gate(&["--exact", "entra-legacy::users"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("running 1 test\n"), "{out}");
    assert!(
        out.contains("test [entra-legacy] entra-legacy::users ... ok"),
        "{out}"
    );
    // The line `--list` prints is a whole name too (nextest passes it back).
    let (code, out, _) = gate(&["--exact", "[saml-idp] saml::saml.xsw3"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 passed"), "{out}");
    let (code, out, _) = gate(&["--exact", "users"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("running 0 tests"), "{out}");
}

#[test]
fn a_fault_fails_its_trial_with_the_check_and_a_curl_line() {
    let fault = Fault::NoLocationHeader;
    let (code, out, err) = gate(
        &["--exact", "entra-legacy::users"],
        &[("IDGATE_HARNESS_FAULT", fault.name())],
    );
    assert_eq!(code, 101, "{out}{err}");
    assert!(out.contains("---- entra-legacy::users ----"), "{out}");
    assert!(out.contains(&format!("fail {}", fault.breaks())), "{out}");
    assert!(
        out.contains("expected: header location is present"),
        "{out}"
    );
    assert!(out.contains("$IDGATE_SCIM_TOKEN"), "{out}");
    assert!(out.contains("0 passed; 1 failed"), "{out}");
}

#[test]
fn setup_errors_exit_before_any_trial() {
    let (code, out, err) = gate(&["--list"], &[("IDGATE_HARNESS_FAULT", "no-such-fault")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("unknown fault `no-such-fault`"), "{err}");
    let (code, _, err) = gate(
        &["--list"],
        &[
            ("IDGATE_SCIM_URL", "http://127.0.0.1:9/scim/v2"),
            ("IDGATE_HARNESS_FAULT", "no-location-header"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Harness::embedded"), "{err}");
}

#[test]
fn an_external_target_is_listed_without_a_token_and_fails_without_one() {
    let url = [("IDGATE_SCIM_URL", "http://127.0.0.1:9/scim/v2")];
    let (code, out, err) = gate(&["--list"], &url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("[entra-2020] entra-2020::auth: test"), "{out}");
    assert!(!out.contains("saml::"), "no SAML SP was given:\n{out}");
    let (code, out, _) = gate(&["--exact", "entra-2020::auth"], &url);
    assert_eq!(code, 101, "{out}");
    assert!(out.contains("IDGATE_SCIM_TOKEN, which is not set"), "{out}");
}

#[test]
fn an_external_target_fails_with_the_token_redacted() {
    let token = "harness-cli-secret-3f9e1c";
    let fault = Fault::EmptyFilter404;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = rt
        .block_on(reference::start(ReferenceOptions {
            token: token.into(),
            faults: vec![fault],
            ..ReferenceOptions::default()
        }))
        .expect("reference target starts");
    let (code, out, err) = gate(
        &["test-connection", "--test-threads", "4"],
        &[
            ("IDGATE_SCIM_URL", &running.scim_base),
            ("IDGATE_SCIM_TOKEN", token),
        ],
    );
    rt.block_on(running.stop());
    assert_eq!(code, 101, "{out}{err}");
    assert!(out.contains("running 2 tests"), "{out}");
    assert!(out.contains(&format!("fail {}", fault.breaks())), "{out}");
    assert!(out.contains("0 passed; 2 failed"), "{out}");
    assert!(
        !out.contains(token) && !err.contains(token),
        "the token leaked:\n{out}{err}"
    );
}

/// A harness against a tenant away from this machine asks for the same consent as `idgate run`:
/// without it nothing starts and the trials that would write are named; with it they list.
#[test]
fn a_remote_tenant_is_written_to_only_with_consent() {
    let url = [(
        "IDGATE_SCIM_URL",
        "https://scim.staging.example.test/scim/v2",
    )];
    let (code, out, err) = gate(&["--list"], &url);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("is not on this machine"), "{err}");
    assert!(err.contains("entra-2020/users"), "{err}");
    assert!(err.contains("Harness::allow_writes"), "{err}");
    assert!(out.is_empty(), "no trial was listed:\n{out}");
    let (code, out, err) = gate(&["--list"], &[url[0], ("IDGATE_ALLOW_WRITES", "1")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("entra-2020::users: test"), "{out}");
    let listed = idgate::harness::Harness::scim(url[0].1, "T")
        .allow_writes()
        .trials();
    assert!(listed.is_ok(), "Harness::allow_writes consents in code");
}

/// A harness target that answers HTML fails every trial with the pre-flight's one diagnosis,
/// not with a page of failed checks, as `idgate run` does.
#[tokio::test(flavor = "multi_thread")]
async fn a_harness_target_that_is_not_scim_fails_at_the_pre_flight() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Sign in</body></html>"),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        gate(
            &["users", "--test-threads", "1"],
            &[
                ("IDGATE_SCIM_URL", &uri),
                ("IDGATE_SCIM_TOKEN", "harness-preflight-token"),
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 101, "{out}{err}");
    assert!(out.contains("the pre-flight request failed"), "{out}");
    assert!(out.contains("HTML, not SCIM"), "{out}");
    assert!(!out.contains("scim.entra"), "no check was judged:\n{out}");
    let seen = server.received_requests().await.unwrap_or_default();
    assert_eq!(seen.len(), 1, "one read, then nothing: {seen:?}");
    assert_eq!(seen[0].method.as_str(), "GET");
}

/// A Tenant URL with Entra's flag plays Entra's 2020 dialect, and the flag stays out of paths;
/// a client chosen in code wins; another query is refused.
#[test]
fn a_tenant_urls_entra_flag_picks_the_2020_dialect() {
    use idgate::harness::Harness;
    let names = |h: Harness| -> Vec<String> {
        h.trials()
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    };
    let url = "http://127.0.0.1:9/scim/v2?aadOptscim062020";
    let flagged = names(Harness::scim(url, "T"));
    assert!(!flagged.is_empty());
    assert!(
        flagged.iter().all(|n| n.starts_with("entra-2020::")),
        "{flagged:?}"
    );
    let chosen = names(Harness::scim(url, "T").clients(["entra-legacy"]));
    assert!(
        chosen.iter().all(|n| n.starts_with("entra-legacy::")),
        "{chosen:?}"
    );
    let Err(e) = Harness::scim("http://127.0.0.1:9/scim/v2?tenant=1", "T").trials() else {
        panic!("a query is refused");
    };
    assert!(e.to_string().contains("`?tenant=1`"), "{e}");
}

/// Run `harness` in this process with libtest arguments; the output goes to a
/// log file (libtest-mimic writes past the test's captured stdout otherwise).
fn run_in_process(harness: idgate::harness::Harness, args: &[&str]) -> (u64, u64, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trials.log");
    let log_arg = log.to_str().unwrap();
    let argv = ["harness", "--logfile", log_arg, "--color", "never"];
    let args = libtest_mimic::Arguments::from_iter(argv.iter().chain(args).copied());
    let trials = harness.trials().unwrap_or_else(|e| panic!("{e}"));
    let c = libtest_mimic::run(&args, trials);
    (
        c.num_passed,
        c.num_failed,
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

#[test]
fn a_saml_sp_gets_one_trial_per_case() {
    use idgate::harness::{Harness, SamlSp};
    let fault = Fault::AcceptsUnsigned;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sp = rt
        .block_on(reference::start(ReferenceOptions {
            faults: vec![fault],
            ..ReferenceOptions::default()
        }))
        .expect("reference SP starts");
    // The SP trusts the committed test IdP, so idgate signs with that key. It is idgate's
    // reference SP started apart, so its seed scenarios are asked for by tag.
    let harness = Harness::embedded().tags(["saml", "seed"]).saml(
        SamlSp::new(&sp.saml_acs_url, &sp.saml_audience)
            .whoami_url(&sp.saml_whoami_url)
            .idp_key_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/saml"))
            .idp_entity_id(reference::DEFAULT_IDP_ENTITY_ID),
    );
    assert_eq!(
        harness.clone().trials().unwrap().len(),
        idgate::saml::cases::all().len() + 1,
        "every case and the saml-seeds scenario"
    );
    // Not asked for, the seeds (written for the reference SP's rules) stay out.
    let unasked = Harness::embedded().tags(["saml"]).saml(
        SamlSp::new(&sp.saml_acs_url, &sp.saml_audience)
            .idp_key_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/saml")),
    );
    assert_eq!(
        unasked.trials().unwrap().len(),
        idgate::saml::cases::all().len()
    );
    let broken = format!("saml::{}", fault.breaks());
    let (passed, failed, log) = run_in_process(harness.clone(), &["--exact", &broken]);
    assert_eq!((passed, failed), (0, 1), "{log}");
    assert!(log.contains(&format!("fail {}", fault.breaks())), "{log}");
    let (passed, failed, log) = run_in_process(harness, &["--exact", "saml::saml.valid"]);
    assert_eq!((passed, failed), (1, 0), "{log}");
    rt.block_on(sp.stop());
}
