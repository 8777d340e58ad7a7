//! `idgate load` as its users drive it: against the embedded reference target (every
//! requirement holds), against each load fault of the reference (exactly the requirement it
//! breaks fails), against an endpoint of the user's (journaled, cleaned up, nothing foreign
//! touched), and stopped by a signal or killed (cleanup finishes, or `idgate cleanup` does).

use std::collections::BTreeSet;
use std::time::Duration;

use idgate::reference::Fault;

use crate::common::direct::Direct;
use crate::common::{idgate, text};

/// `idgate load ARGS` in a fresh folder: the exit code, everything it printed and wrote
/// (stdout, stderr, then load.json, load.junit.xml and load.html), and `load.json` read.
fn load(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["load", "--quiet"];
    all.extend_from_slice(args);
    let o = idgate(&all, env, dir.path());
    let file = |name: &str| std::fs::read_to_string(dir.path().join("reports").join(name));
    let report = file("load.json")
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut everything = text(&o);
    for name in ["load.json", "load.junit.xml", "load.html"] {
        everything.push_str(&file(name).unwrap_or_default());
    }
    (o.status.code(), everything, report)
}

fn failed(report: &serde_json::Value) -> BTreeSet<String> {
    report["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

const SMALL: &[&str] = &[
    "--users",
    "30",
    "--groups",
    "3",
    "--members-per-group",
    "5",
    "--concurrency",
    "4",
];

#[test]
fn the_reference_target_meets_every_requirement_and_every_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["load", "--quiet", "--member-batch", "2"];
    args.extend_from_slice(SMALL);
    let o = idgate(&args, &[], dir.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for id in [
        "load.requests-per-second",
        "load.no-quarantine",
        "load.every-object-provisioned",
        "load.answers-within-60s",
    ] {
        assert!(out.contains(&format!("PASS  {id}")), "{id}: {out}");
    }
    assert!(out.contains("takes Entra"), "the estimate: {out}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/load.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["exit_code"], 0);
    // 30 users matched, created, updated and disabled; 3 groups matched and created; 15
    // memberships in batches of 2 (3 PATCHes a group).
    assert_eq!(report["summary"]["requests"], 30 * 4 + 3 * 2 + 3 * 3);
    assert_eq!(
        report["events"],
        serde_json::json!({"succeeded": 30 * 3 + 3 + 15, "failed": 0, "reference_failed": 0})
    );
    assert_eq!(report["cleanup"]["deleted"], 33);
    let kinds: Vec<&str> = report["summary"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "add-members",
            "create-group",
            "create-user",
            "disable-user",
            "match-group",
            "match-user",
            "update-user"
        ]
    );
    let junit = std::fs::read_to_string(dir.path().join("reports/load.junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 4, "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    let html = std::fs::read_to_string(dir.path().join("reports/load.html")).unwrap();
    assert!(html.contains("<svg class=\"plot\""), "the plots are inline");
    assert!(html.contains("<polyline class=\"p99\""));
    // Self-contained: nothing is fetched or run (links to sources are only links).
    for fetch in ["<script", "<img", "<link", "src=", "url("] {
        assert!(!html.contains(fetch), "{fetch} in load.html");
    }
    assert!(html.contains("default-src 'none'"));
}

/// Each load fault of the reference fails exactly the requirements it names.
#[test]
fn each_load_fault_fails_the_requirement_it_breaks() {
    let mut wrong = Vec::new();
    for fault in Fault::ALL.iter().filter(|f| f.area() == "load") {
        // Entra only evaluates quarantine from 5,000 failures.
        let size: &[&str] = if *fault == Fault::CreatesRefused {
            &[
                "--users",
                "5000",
                "--groups",
                "0",
                "--members-per-group",
                "0",
                "--concurrency",
                "32",
            ]
        } else {
            SMALL
        };
        let mut args = vec!["--fault", fault.name()];
        args.extend_from_slice(size);
        let (code, out, report) = load(&args, &[]);
        let expected: BTreeSet<String> = std::iter::once(fault.breaks())
            .chain(fault.also_breaks().iter().copied())
            .map(String::from)
            .collect();
        if code != Some(4) || failed(&report) != expected {
            wrong.push(format!(
                "{fault}: exit {code:?}, failed {:?}, expected {expected:?}\n{out}",
                failed(&report)
            ));
        }
        if *fault == Fault::Throttles {
            let throttled = &report["summary"]["throttled"];
            assert!(
                throttled["answers_429"].as_u64().unwrap_or(0) > 0,
                "{throttled}"
            );
            assert_eq!(throttled["longest_retry_after_s"], 1.0, "{throttled}");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Against an endpoint of the user's: every create is journaled, everything created is
/// deleted at the end, and users that were there before stay exactly as they were.
#[tokio::test(flavor = "multi_thread")]
async fn an_external_endpoint_is_cleaned_up_and_nothing_else_is_touched() {
    let token = "load-test-token";
    let target = Direct::start(token).await;
    target.foreign_user("idgate-Load_someone_else").await;
    let before = target.everything().await;
    assert_eq!(before.len(), 1);
    let base = target.base().to_string();
    let (code, out, report) = tokio::task::spawn_blocking(move || {
        let mut args = vec!["--scim-url", base.as_str()];
        args.extend_from_slice(SMALL);
        load(&args, &[("IDGATE_SCIM_TOKEN", token)])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(report["target_kind"], "external");
    // `out` holds the output and every report file.
    assert!(!out.contains(token), "the token leaked: {out}");
    assert_eq!(target.everything().await, before);
    target.stop().await;
}

/// Killed with SIGKILL mid-cycle, a load leaves its ledger; `idgate cleanup` deletes every
/// user and group the load created, including creates whose answers never came.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_load_is_finished_by_idgate_cleanup() {
    let token = "load-kill-token";
    let target = Direct::start(token).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = crate::common::spawn(
        &[
            "load",
            "--quiet",
            "--scim-url",
            target.base(),
            "--users",
            "2000",
            "--rate",
            "200",
        ],
        &[("IDGATE_SCIM_TOKEN", token)],
        dir.path(),
        false,
    );
    // Until some users exist, then kill it mid-cycle.
    for _ in 0..200 {
        if target.total("Users").await >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        target.total("Users").await >= 20,
        "users were left to clean up"
    );
    let o = crate::common::idgate_async(
        &["cleanup", "--scim-url", target.base()],
        &[("IDGATE_SCIM_TOKEN", token)],
        dir.path(),
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(target.total("Users").await, 0, "{}", text(&o));
    target.stop().await;
}

/// SIGINT mid-cycle: no new request starts, what was created is deleted at the run's pace,
/// the reports are written with the verdict `interrupted`, and the exit code is 130.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_load_cleans_up_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let child = crate::common::spawn(
        &["load", "--quiet", "--users", "5000", "--rate", "300"],
        &[],
        dir.path(),
        true,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(130), "{out}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/load.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["verdict"], "interrupted");
    assert_eq!(report["interrupted"], true);
    assert!(
        report["cleanup"]["left_behind"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let created = report["summary"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "create-user")
        .map(|k| k["requests"].as_u64().unwrap())
        .unwrap_or(0);
    assert!(
        created > 0 && created < 5000,
        "stopped mid-cycle: {created}"
    );
    assert_eq!(
        report["cleanup"]["deleted"].as_u64().unwrap(),
        report["events"]["succeeded"].as_u64().unwrap(),
        "every user created (and nothing else yet) was deleted"
    );
}

/// Setup mistakes are said before anything is sent.
#[test]
fn a_wrong_option_is_refused_before_any_request() {
    let (code, out, _) = load(&["--client", "entra"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("--client entra-legacy or --client entra-2020")
            || out.contains("--client entra-2020 or --client entra-legacy"),
        "{out}"
    );
    let (code, out, _) = load(&["--client", "rfc7644"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("cannot replay Entra's cycle"), "{out}");
    let (code, out, _) = load(&["--rate", "0"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("is not a rate"), "{out}");
    let (code, out, _) = load(&["--partition", "3/2"], &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("k/n"), "{out}");
    let (code, out, _) = load(
        &["--scim-url", "https://scim.staging.example.test/scim/v2"],
        &[("IDGATE_SCIM_TOKEN", "t")],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("--allow-writes"), "{out}");
}

/// A profile's numbers keep to the flags' ranges: a typo cannot ask for four billion users.
#[test]
fn a_profile_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("idgate.toml"),
        "[profile.default]\nusers = 4000000000\n",
    )
    .unwrap();
    let o = idgate(&["load", "--quiet"], &[], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("users = 4000000000"), "{}", text(&o));
    assert!(text(&o).contains("out of range"), "{}", text(&o));
    std::fs::write(
        dir.path().join("idgate.toml"),
        "[profile.default]\nrate = 1e-20\n",
    )
    .unwrap();
    let o = idgate(&["load", "--quiet"], &[], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is not a rate"), "{}", text(&o));
}
