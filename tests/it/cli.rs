//! The binary as a user meets it: exit codes, errors that point at the
//! line, reports on disk, and secrets nowhere in any output.

use crate::common;

use common::{copy_scenarios, idgate, text, walk};
use idgate::reference::{self, Fault, ReferenceOptions};

#[test]
fn run_on_the_embedded_target_passes_and_writes_reports() {
    let dir = tempfile::tempdir().unwrap();
    let o = idgate(&["run"], &[], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"entra-legacy/users\""),
        "{junit}"
    );
    assert!(junit.contains("create the user › scim.create.201"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["target"]["kind"], "embedded");
    assert!(json["scenarios"].as_array().unwrap().len() >= 14);
    // A machine can trust it: the published schema holds, and the verdict and exit code are
    // the process's own.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks docs/report.schema.json: {errors:?}"
    );
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["verdict"]["result"], "pass");
    // JUnit: every testcase has a time, and no two share a name within a suite.
    for suite in junit.split("<testsuite ").skip(1) {
        let mut names = std::collections::HashSet::new();
        for case in suite.split("<testcase ").skip(1) {
            let head = &case[..case.find('>').unwrap()];
            assert!(head.contains(" time=\""), "{head}");
            let name = head
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(names.insert(name.to_string()), "duplicate testcase {name}");
        }
    }
}

#[test]
fn a_fault_fails_the_run_with_exit_4_and_explains() {
    let dir = tempfile::tempdir().unwrap();
    let o = idgate(
        &["run", "--fault", "soft-delete-vanishes", "-q"],
        &[],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("✗ scim.disable.still-readable"), "{out}");
    assert!(
        out.contains("expected: status 200") && out.contains("actual:   status 404"),
        "{out}"
    );
    assert!(out.contains("reproduce: curl -sS -X GET"), "{out}");
}

#[test]
fn usage_errors_exit_1_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let o = idgate(&["run", "--fault", "no-location-headr"], &[], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("did you mean `no-location-header`?"),
        "{}",
        text(&o)
    );

    let o = idgate(&["run", "--client", "entra-legasy"], &[], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("did you mean `entra-legacy`?"),
        "{}",
        text(&o)
    );

    let o = idgate(&["run", "--no-such-flag"], &[], dir.path());
    assert_eq!(o.status.code(), Some(1));

    let o = idgate(
        &["run", "--scim-url", "http://127.0.0.1:9/scim/v2"],
        &[],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("IDGATE_SCIM_TOKEN, which is not set"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unreachable_target_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/scim/v2");
    let o = idgate(
        &["run", "--scim-url", &url, "--tag", "smoke"],
        &[("IDGATE_SCIM_TOKEN", "t0ken-x")],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("cannot connect"), "{}", text(&o));
}

#[test]
fn a_scenario_typo_exits_2_pointing_at_the_line_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("sc");
    copy_scenarios(&sc);
    let file = sc.join("entra/01-test-connection.toml");
    let broken = std::fs::read_to_string(&file)
        .unwrap()
        .replace("check = ", "chek = ");
    std::fs::write(&file, broken).unwrap();
    let o = idgate(&["run", "--scenarios", "sc"], &[], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("sc/entra/01-test-connection.toml:11:1"),
        "{out}"
    );
    assert!(
        out.contains("chek = \"scim.entra.test-connection-empty-list\""),
        "{out}"
    );
    assert!(out.contains("did you mean `check`?"), "{out}");

    // An unknown check id and an unknown action are caught the same way.
    let broken = std::fs::read_to_string(&file)
        .unwrap()
        .replace("chek = ", "check = ")
        .replace(
            "scim.entra.test-connection-empty-list",
            "scim.entra.test-conection-empty-list",
        )
        .replace("send = \"test-connection\"", "send = \"test-conection\"");
    std::fs::write(&file, broken).unwrap();
    let o = idgate(&["run", "--scenarios", "sc"], &[], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let out = text(&o);
    assert!(
        out.contains("did you mean `scim.entra.test-connection-empty-list`?"),
        "{out}"
    );
    assert!(out.contains("did you mean `test-connection`?"), "{out}");
}

#[test]
fn list_and_list_faults_describe_everything() {
    let dir = tempfile::tempdir().unwrap();
    let o = idgate(&["list"], &[], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o);
    assert!(
        out.contains("scim.entra.test-connection-empty-list") && out.contains("RFC 7644 §3.4.2"),
        "{out}"
    );
    let o = idgate(&["serve", "--list-faults"], &[], dir.path());
    let faults: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(faults.len(), Fault::ALL.len());
    assert!(faults.len() >= 20);
    assert!(faults.contains(&"empty-filter-404".to_string()));
}

/// The token never appears in stdout, stderr or any report, even when
/// checks fail and curl lines are printed; nor does a password the RFC 7644
/// suite sends, or one a faulty server echoes back.
#[tokio::test(flavor = "multi_thread")]
async fn the_token_never_leaks() {
    let token = "s3cret-token-that-must-not-leak";
    let running = reference::start(ReferenceOptions {
        token: token.into(),
        faults: vec![
            Fault::NoLocationHeader,
            Fault::DeleteReturns200,
            Fault::PasswordReturned,
        ],
        ..ReferenceOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = running.scim_base.clone();
    let path = dir.path().to_path_buf();
    let o = crate::common::idgate_async(
        &[
            "run",
            "--scim-url",
            &base,
            "--client",
            "entra",
            "--client",
            "rfc7644",
        ],
        &[("IDGATE_SCIM_TOKEN", token)],
        &path,
    )
    .await;
    running.stop().await;
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Bearer $IDGATE_SCIM_TOKEN"), "{out}");
    assert!(!out.contains(token));
    assert!(
        !out.contains("Idgate-") && !out.contains("t0p-secret"),
        "{out}"
    );
    let mut files = 0;
    for f in walk(&dir.path().join("reports")) {
        let content = std::fs::read_to_string(&f).unwrap();
        assert!(!content.contains(token), "{} leaks the token", f.display());
        for password in ["Idgate-", "t0p-secret"] {
            assert!(
                !content.contains(password),
                "{} leaks a password",
                f.display()
            );
        }
        files += 1;
    }
    assert!(files >= 3, "junit.xml, report.json and the ledger");
}

/// The IdP's private key lives in its key file and nowhere else: not in
/// output, not in reports, even when SAML cases fail and their posted
/// Responses are attached.
#[test]
fn the_idp_private_key_stays_in_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = idgate(
        &[
            "run",
            "--fault",
            "accepts-unsigned",
            "--fault",
            "no-replay-cache",
        ],
        &[],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("✗ saml.unsigned"), "{}", text(&o));
    let key_file = dir.path().join(".idgate/saml/idp-key.pem");
    let mut key =
        std::fs::read_to_string(&key_file).expect("the key was generated into its directory");
    // The rotation's keys were made beside it, and must not leak either.
    for other in ["next-key.pem", "retired-key.pem"] {
        key.push_str(
            &std::fs::read_to_string(dir.path().join(".idgate/saml").join(other)).unwrap(),
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the key file is readable by others: {mode:o}"
        );
    }
    // Any 40-character run of the key's base64 would be a leak.
    let pieces: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 40)
        .map(|l| &l[..40])
        .collect();
    assert!(pieces.len() > 30);
    let report = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(
        report.contains("SAMLResponse="),
        "failed cases carry the posted Response"
    );
    let mut outputs = vec![
        text(&o),
        report,
        std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap(),
    ];
    for args in [
        &["saml", "metadata"][..],
        &["saml", "metadata", "--rotation"],
        &["saml", "metadata", "--rotation", "earlier"],
    ] {
        outputs.push(text(&idgate(args, &[], dir.path())));
    }
    for out in &outputs {
        for p in &pieces {
            assert!(!out.contains(p), "key material leaked");
        }
    }
}

/// `idgate saml metadata --rotation earlier`, then `--rotation`: the two steps of a certificate
/// rotation an SP admin loads, each with two signing certificates in order, the keys made once.
#[test]
fn rotation_metadata_lists_the_keys_of_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = idgate(args, &[], dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let cert = |name: &str| {
        let pem = std::fs::read_to_string(dir.path().join(".idgate/saml").join(name)).unwrap();
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    let (earlier, note) = run(&["saml", "metadata", "--rotation", "earlier"]);
    assert!(
        note.contains("retired-cert.pem")
            && note.contains("then `idgate saml metadata --rotation`"),
        "{note}"
    );
    let (current, note) = run(&["saml", "metadata", "--rotation"]);
    assert!(
        note.contains("next-cert.pem") && note.contains("--saml-rotation"),
        "{note}"
    );
    let (idp, next, retired) = (
        cert("idp-cert.pem"),
        cert("next-cert.pem"),
        cert("retired-cert.pem"),
    );
    let order = |xml: &str, first: &str, second: &str, absent: &str| {
        assert_eq!(
            xml.matches("<md:KeyDescriptor use=\"signing\">").count(),
            2,
            "{xml}"
        );
        let (a, b) = (xml.find(first).unwrap(), xml.find(second).unwrap());
        assert!(a < b, "{xml}");
        assert!(!xml.contains(absent), "{xml}");
    };
    order(&earlier, &retired, &idp, &next);
    order(&current, &idp, &next, &retired);
    // Made once: a second call names the same keys.
    let (again, _) = run(&["saml", "metadata", "--rotation"]);
    assert!(again.contains(&next) && again.contains(&idp));
    // Without --rotation, the one signing key, as before.
    let (plain, _) = run(&["saml", "metadata"]);
    assert_eq!(plain.matches("<md:KeyDescriptor").count(), 1);
}

/// A target that echoes the token back, in a header and in the body: the
/// redactor must catch it in every output, not only the places idgate fills.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_echoed_by_the_target_is_redacted_everywhere() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let token = "echoed-token-must-not-leak-9f3";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|req: &wiremock::Request| {
            let auth = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 1, "Resources": [], "detail": auth
            });
            ResponseTemplate::new(200)
                .insert_header("x-echo", auth.as_str())
                .set_body_raw(body.to_string(), "application/scim+json")
        })
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let o = crate::common::idgate_async(
        &["run", "--scim-url", &uri, "--tag", "smoke"],
        &[("IDGATE_SCIM_TOKEN", token)],
        &path,
    )
    .await;
    // The stub saw the real token and sent it back, so the redactor had work to do.
    let seen = server.received_requests().await.unwrap();
    assert!(seen.iter().any(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v == format!("Bearer {token}").as_str())
    }));
    let out = text(&o);
    assert!(!out.contains(token), "the terminal shows the token");
    let files = walk(&dir.path().join("reports"));
    assert!(files.len() >= 3);
    for f in files {
        let content = std::fs::read_to_string(&f).unwrap();
        assert!(!content.contains(token), "{} leaks the token", f.display());
        if f.ends_with("report.json") {
            assert!(
                content.contains("Bearer ***"),
                "the echo is in the report, redacted"
            );
        }
    }
}

#[test]
fn the_users_a_run_creates_carry_its_email_domain_and_name_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::idgate(
        &[
            "run",
            "--tag",
            "users",
            "--client",
            "entra-2020",
            "--email-domain",
            "corp.example.org",
            "--name-prefix",
            "qa-7-",
            "-q",
        ],
        &[],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::text(&o));
    let json = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(json.contains("@corp.example.org"), "no mail at the domain");
    assert!(json.contains("qa-7-Test_User_"), "no name with the prefix");
    assert!(!json.contains("@testuser.test"));
}

/// A session whose identity cannot be read is said once, loudly, in the terminal and in
/// every report, naming the flag that fixes it; with the flag, the warning is gone.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_session_warns_in_the_terminal_and_every_report() {
    let server = common::accepting_sp(
        "",
        serde_json::json!({"account": {"login": "alice@example.com"}}),
    )
    .await;
    for pointer in [None, Some("/account/login")] {
        let dir = tempfile::tempdir().unwrap();
        let (uri, path) = (server.uri(), dir.path().to_path_buf());
        let o = tokio::task::spawn_blocking(move || {
            let (acs, whoami) = (format!("{uri}/acs"), format!("{uri}/whoami"));
            let mut args = vec![
                "run",
                "--saml-acs-url",
                &acs,
                "--saml-audience",
                "https://sp.example.test",
                "--saml-whoami-url",
                &whoami,
                "--saml-case",
                "xsw",
                "--report-markdown",
                "summary.md",
            ];
            if let Some(p) = pointer {
                args.extend(["--saml-whoami-pointer", p]);
            }
            idgate(&args, &[], &path)
        })
        .await
        .unwrap();
        let out = text(&o);
        let reports = dir.path().join("reports");
        let read = |name: &str| std::fs::read_to_string(reports.join(name)).unwrap();
        let views = [
            ("terminal", out.clone()),
            ("report.json", read("report.json")),
            ("junit.xml", read("junit.xml")),
            ("report.html", read("report.html")),
            (
                "summary.md",
                std::fs::read_to_string(dir.path().join("summary.md")).unwrap(),
            ),
        ];
        for (view, content) in views {
            let warned = content.contains("--saml-whoami-pointer");
            assert_eq!(
                warned,
                pointer.is_none(),
                "{view} with pointer {pointer:?}:\n{content:.3000}"
            );
        }
        if pointer.is_none() {
            assert_eq!(out.matches("warning:").count(), 1, "{out}");
        }
    }
}

/// A SCIM stub for the safety tests: lists are empty, a POST /Users answers 201 for `u-1`
/// after `create_delay`, a DELETE of it answers 204, and a GET of it answers `get_after`.
async fn stub_scim(create_delay: std::time::Duration, get_after: u16) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u-1", "userName": "idgate-someone", "active": true,
        "meta": {"resourceType": "User", "location": format!("{}/Users/u-1", server.uri())}
    });
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_delay(create_delay)
                .set_body_raw(user.to_string(), "application/scim+json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Users/u-1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let error = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"});
    Mock::given(method("GET"))
        .and(path("/Users/u-1"))
        .respond_with(if get_after == 404 {
            ResponseTemplate::new(404).set_body_raw(error.to_string(), "application/scim+json")
        } else {
            ResponseTemplate::new(get_after).set_body_raw(user.to_string(), "application/scim+json")
        })
        .with_priority(1)
        .mount(&server)
        .await;
    let empty = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0, "Resources": []
    });
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(empty.to_string(), "application/scim+json"),
        )
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

/// Starts `idgate run` against `uri` in `dir`, as a child the test can signal.
fn spawn_run(uri: &str, dir: &std::path::Path) -> std::process::Child {
    common::spawn(
        &[
            "run",
            "--scim-url",
            uri,
            "--client",
            "entra-2020",
            "--tag",
            "users",
        ],
        &[("IDGATE_SCIM_TOKEN", "signal-test-token")],
        dir,
        true,
    )
}

fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{name} {}", child.id())])
        .status()
        .expect("sh runs");
    assert!(status.success());
}

/// Waits for the stub to have seen a request with `method`, up to ten seconds.
async fn wait_for(server: &wiremock::MockServer, method: &str) {
    for _ in 0..200 {
        let seen = server.received_requests().await.unwrap_or_default();
        if seen.iter().any(|r| r.method.as_str() == method) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {method} reached the stub");
}

/// SIGTERM (a CI cancel, `docker stop`) is Ctrl-C's twin: the run stops between requests,
/// deletes what it created, writes every report, and exits 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_cleans_up_writes_the_reports_and_exits_143() {
    let server = stub_scim(std::time::Duration::from_millis(1500), 404).await;
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_run(&server.uri(), dir.path());
    wait_for(&server, "POST").await;
    signal(&child, "TERM");
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(143), "{out}");
    assert!(out.contains("SIGTERM"), "{out}");
    let deleted = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .any(|r| r.method.as_str() == "DELETE" && r.url.path() == "/Users/u-1");
    assert!(
        deleted,
        "the user created before the signal was not deleted"
    );
    let reports = dir.path().join("reports");
    for f in ["junit.xml", "report.json", "report.html"] {
        assert!(reports.join(f).is_file(), "{f} not written: {out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["interrupted"], true);
    assert_eq!(json["terminated"], true);
}

/// A second signal stops at once, with its own exit code and the line that finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_quits_at_once_and_says_how_to_finish() {
    let server = stub_scim(std::time::Duration::from_secs(3), 404).await;
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_run(&server.uri(), dir.path());
    wait_for(&server, "POST").await;
    signal(&child, "TERM");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    signal(&child, "INT");
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(5), "{out}");
    assert!(
        out.contains("idgate cleanup --scim-url") && out.contains("--ledger reports/ledger.jsonl"),
        "{out}"
    );
    assert!(!out.contains("signal-test-token"), "{out}");
}

/// A DELETE that answers 204 while the resource stays is not counted as cleaned up: the
/// resource stays in the ledger, the run exits 3, and `idgate cleanup` still finds it.
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_that_lies_is_reported_and_kept_for_cleanup() {
    let server = stub_scim(std::time::Duration::ZERO, 200).await;
    let dir = tempfile::tempdir().unwrap();
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let o = crate::common::idgate_async(
        &[
            "run",
            "--scim-url",
            &uri,
            "--client",
            "entra-2020",
            "--tag",
            "users",
        ],
        &[("IDGATE_SCIM_TOKEN", "t")],
        &path,
    )
    .await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("still on the target"), "{out}");
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let again = crate::common::idgate_async(
        &["cleanup", "--scim-url", &uri],
        &[("IDGATE_SCIM_TOKEN", "t")],
        &path,
    )
    .await;
    let again_out = text(&again);
    assert!(!again_out.contains("nothing to clean up"), "{again_out}");
    assert!(again_out.contains("survived"), "{again_out}");
    assert_eq!(again.status.code(), Some(3), "{again_out}");
    // A ledger that is not there is a usage error, never "nothing to clean up".
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let missing = crate::common::idgate_async(
        &[
            "cleanup",
            "--scim-url",
            &uri,
            "--ledger",
            "no/such/ledger.jsonl",
        ],
        &[("IDGATE_SCIM_TOKEN", "t")],
        &path,
    )
    .await;
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(
        text(&missing).contains("no ledger at"),
        "{}",
        text(&missing)
    );
}

/// Setup mistakes are one clear runtime error before any scenario (exit 3, no verdict): a
/// refused token, an HTML page where the SCIM root should be, a closed port.
#[tokio::test(flavor = "multi_thread")]
async fn a_misconfigured_target_is_one_clear_error_not_a_page_of_failures() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let refusing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&refusing)
        .await;
    let html = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("<html><body>Sign in</body></html>", "text/html"),
        )
        .mount(&html)
        .await;
    // A SCIM server's own 404 for a path it does not have (scim2-server answers a wrong base
    // URL so): the filter and the list of /Users both 404, so the URL is wrong.
    let scim_elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "404", "detail": "Not found"
        })))
        .mount(&scim_elsewhere)
        .await;
    // A web framework's own 404 (not a SCIM Error): /Users is not where the URL says.
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(serde_json::json!({"detail": "Not found."})),
        )
        .mount(&elsewhere)
        .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    for (uri, says) in [
        (refusing.uri(), "the token was refused: 401"),
        (html.uri(), "HTML, not SCIM: is the base URL right?"),
        (elsewhere.uri(), "answered 404: is the base URL right?"),
        (scim_elsewhere.uri(), "answered 404: is the base URL right?"),
        (closed, "Is the service up, and is --scim-url right?"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let target = uri.clone();
        let o = crate::common::idgate_async(
            &["run", "--scim-url", &target],
            &[("IDGATE_SCIM_TOKEN", "wrong")],
            &path,
        )
        .await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(3), "{uri}: {out}");
        assert!(out.contains(says), "{uri}: {out}");
        assert!(
            !out.contains("finding"),
            "{uri}: a verdict was given: {out}"
        );
        assert!(out.lines().count() < 5, "{uri}: {out}");
    }
    // Nothing but the one read was sent.
    let seen = refusing.received_requests().await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
}

/// A Tenant URL carrying Entra's feature flag is read as Entra reads it: the 2020 dialect,
/// and a clean path.
#[tokio::test(flavor = "multi_thread")]
async fn the_entra_feature_flag_in_a_tenant_url_selects_the_2020_dialect() {
    let token = "flag-test-token".to_string();
    let running = reference::start(ReferenceOptions {
        token: token.clone(),
        ..ReferenceOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}?aadOptscim062020", running.scim_base);
    let path = dir.path().to_path_buf();
    let o = crate::common::idgate_async(
        &["run", "--scim-url", &url, "--tag", "smoke"],
        &[("IDGATE_SCIM_TOKEN", &token)],
        &path,
    )
    .await;
    running.stop().await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("aadOptscim062020 flag selects Entra's 2020 dialect"),
        "{out}"
    );
    assert!(out.contains("entra-2020"), "{out}");
    assert!(!out.contains("entra-legacy"), "{out}");
    let json = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(
        !json.contains("aadOptscim062020/"),
        "the flag went into a path"
    );
}

/// A SCIM stub with memory: a POST /Users is stored as soon as it arrives (the server finishes
/// the create even if the client is gone) and answered after `delay`; filters on userName,
/// GET and DELETE of the stored user work; one user idgate never created is there from the
/// start and must stay untouched.
#[derive(Clone)]
struct Remembering {
    users: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    delay: std::time::Duration,
    /// Creates answer 201 with no body: made, but with no id to read.
    empty_created: bool,
}

impl wiremock::Respond for Remembering {
    fn respond(&self, req: &wiremock::Request) -> wiremock::ResponseTemplate {
        use wiremock::ResponseTemplate;
        let json = |v: serde_json::Value| {
            ResponseTemplate::new(200).set_body_raw(v.to_string(), "application/scim+json")
        };
        let mut users = self.users.lock().unwrap();
        let path = req.url.path().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("POST", "/Users") => {
                let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
                let user = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "id": format!("u-{}", users.len() + 1),
                    "userName": body["userName"],
                });
                users.push(user.clone());
                if self.empty_created {
                    return ResponseTemplate::new(201).set_delay(self.delay);
                }
                ResponseTemplate::new(201)
                    .set_body_raw(user.to_string(), "application/scim+json")
                    .set_delay(self.delay)
            }
            ("GET", "/Users") => {
                let filter = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let hits: Vec<_> = users
                    .iter()
                    .filter(|u| {
                        filter.contains(&format!("\"{}\"", u["userName"].as_str().unwrap()))
                    })
                    .cloned()
                    .collect();
                json(serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                    "totalResults": hits.len(), "Resources": hits
                }))
            }
            (method, p) if p.starts_with("/Users/") => {
                let id = &p["/Users/".len()..];
                let at = users.iter().position(|u| u["id"] == id);
                match (method, at) {
                    ("DELETE", Some(i)) => {
                        users.remove(i);
                        ResponseTemplate::new(204)
                    }
                    ("GET", Some(i)) => json(users[i].clone()),
                    _ => ResponseTemplate::new(404),
                }
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

/// Killed with SIGKILL while a create is in flight, idgate never hears its answer; the create
/// was journaled before it was sent, so `idgate cleanup` finds the user by its unique name and
/// deletes it, and a user it did not create is left exactly as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_in_flight_when_idgate_is_killed_is_cleaned_up_by_its_name() {
    let foreign = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "someone-else", "userName": "alice@corp.example"
    });
    let stub = Remembering {
        users: std::sync::Arc::new(std::sync::Mutex::new(vec![foreign.clone()])),
        delay: std::time::Duration::from_secs(3),
        empty_created: false,
    };
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(stub.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_run(&server.uri(), dir.path());
    wait_for(&server, "POST").await;
    signal(&child, "KILL");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    assert_eq!(
        stub.users.lock().unwrap().len(),
        2,
        "the stub kept the create"
    );
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let o = crate::common::idgate_async(
        &["cleanup", "--scim-url", &uri],
        &[("IDGATE_SCIM_TOKEN", "signal-test-token")],
        &path,
    )
    .await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("deleted"), "{out}");
    let left = stub.users.lock().unwrap().clone();
    assert_eq!(
        left,
        vec![foreign],
        "cleanup touched what it did not create, or missed its own"
    );
}

/// `--saml-rotation` from the command line to the battery: against an SP holding the rotation
/// metadata (the reference SP, trusting the fixture IdP and next keys, the retired one dropped),
/// the rotation cases play and pass with the flag, are skipped without it, and one that keeps
/// the retired key fails.
#[tokio::test(flavor = "multi_thread")]
async fn saml_rotation_plays_the_rotation_cases_against_your_sp() {
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml");
    for (faults, flag, code, shown) in [
        (vec![], true, 0, "✓ saml.rotation-retired-key"),
        (
            vec![],
            false,
            0,
            "needs an SP given idgate's certificate-rotation metadata",
        ),
        (
            vec![Fault::KeepsRetiredKey],
            true,
            4,
            "✗ saml.rotation-retired-key",
        ),
    ] {
        let running = reference::start(ReferenceOptions {
            faults,
            ..ReferenceOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = [
            "run",
            "--saml-acs-url",
            &running.saml_acs_url,
            "--saml-audience",
            &running.saml_audience,
            "--saml-whoami-url",
            &running.saml_whoami_url,
            "--entity-id",
            reference::DEFAULT_IDP_ENTITY_ID,
            "--key-dir",
            keys.to_str().unwrap(),
            "--saml-case",
            "rotation",
            "--saml-skew",
            "180",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if flag {
            args.push("--saml-rotation".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = common::idgate_async(&args, &[], dir.path()).await;
        running.stop().await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(code), "{out}");
        assert!(out.contains(shown), "{out}");
    }
}

/// `--saml-sp-metadata` carries the SP's declared AuthnRequestsSigned to the battery: an SP
/// that declares it and redirects with an unsigned AuthnRequest fails, one that does not
/// declare it passes.
#[tokio::test(flavor = "multi_thread")]
async fn declared_authn_request_signing_is_read_from_sp_metadata() {
    let server = common::accepting_sp("", serde_json::json!({"nameid": "alice@example.com"})).await;
    common::mount_login(&server, false).await;
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml");
    for (declared, code, shown) in [
        ("true", 4, "✗ saml.authn-request-signed"),
        ("false", 0, "✓ saml.authn-request-signed"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let metadata = dir.path().join("sp.xml");
        std::fs::write(
            &metadata,
            format!(
                "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://sp.example.test\">\
                 <md:SPSSODescriptor AuthnRequestsSigned=\"{declared}\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
                 <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}/acs\" index=\"0\"/>\
                 </md:SPSSODescriptor></md:EntityDescriptor>",
                server.uri()
            ),
        )
        .unwrap();
        let args: Vec<String> = [
            "run",
            "--saml-sp-metadata",
            metadata.to_str().unwrap(),
            "--saml-login-url",
            &format!("{}/login", server.uri()),
            "--saml-whoami-url",
            &format!("{}/whoami", server.uri()),
            "--key-dir",
            keys.to_str().unwrap(),
            "--saml-case",
            "authn-request-signed",
            "--saml-skew",
            "180",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = common::idgate_async(&args, &[], dir.path()).await;
        let out = text(&o);
        assert_eq!(o.status.code(), Some(code), "{out}");
        assert!(out.contains(shown), "{out}");
        assert!(
            out.contains(&format!("AuthnRequestsSigned={declared}")),
            "{out}"
        );
    }
}

/// A create answered 201 without a body made a user whose id idgate cannot read: its intent
/// stays open, and the scenario's cleanup finds the user by its unique name and deletes it,
/// leaving someone else's user as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_answered_without_an_id_is_still_cleaned_up_by_its_name() {
    let foreign = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "someone-else", "userName": "alice@corp.example"
    });
    let stub = Remembering {
        users: std::sync::Arc::new(std::sync::Mutex::new(vec![foreign.clone()])),
        delay: std::time::Duration::ZERO,
        empty_created: true,
    };
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(stub.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (uri, path) = (server.uri(), dir.path().to_path_buf());
    let o = crate::common::idgate_async(
        &[
            "run",
            "--scim-url",
            &uri,
            "--client",
            "entra-2020",
            "--tag",
            "users",
        ],
        &[("IDGATE_SCIM_TOKEN", "signal-test-token")],
        &path,
    )
    .await;
    let left = stub.users.lock().unwrap().clone();
    assert_eq!(left, vec![foreign], "{}", text(&o));
}
