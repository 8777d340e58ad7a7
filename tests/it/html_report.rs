//! The HTML compliance report and the CI summary, built from real runs of
//! the embedded target: self-contained, escaped, redacted, pointing at the
//! right lines, and readable in a real browser.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use idgate::redact::{Redactor, Secret};
use idgate::reference::Fault;
use idgate::report::{html, markdown};
use idgate::result::{Outcome, RunResult, TargetInfo};

const FAILING: &str = "scim.disable.still-readable";

async fn run_with(faults: &[Fault]) -> RunResult {
    let scenarios = common::run_reference(faults).await;
    RunResult {
        idgate_version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2026-01-05T09:30:00Z".into(),
        finished_at: "2026-01-05T09:30:02.5Z".into(),
        target: TargetInfo {
            kind: "embedded".into(),
            scim_base: "http://127.0.0.1:9/scim/v2".into(),
            saml_acs_url: None,
            faults: faults.iter().map(|f| f.to_string()).collect(),
        },
        scenarios,
        interrupted: false,
        terminated: false,
        partition: None,
    }
}

fn render(run: &RunResult, redactor: &Redactor) -> String {
    html::render(run, &common::suite().checks, redactor)
}

/// Every way a page can make the browser fetch something. Text is escaped,
/// so each literal `<` starts a tag; only tags and the style sheet can fetch.
fn fetches(page: &str) -> Vec<String> {
    let lower = page.to_ascii_lowercase();
    let mut found = Vec::new();
    let style = lower
        .split("<style>")
        .skip(1)
        .filter_map(|s| s.split("</style>").next())
        .collect::<String>();
    for bad in ["@import", "url(", "@font-face"] {
        if style.contains(bad) {
            found.push(format!("style sheet: {bad}"));
        }
    }
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let name = tag.split_whitespace().next().unwrap_or("");
        let fetching = [
            "link", "img", "iframe", "object", "embed", "base", "audio", "video", "source",
            "frame", "track", "picture", "svg", "form",
        ];
        if fetching.contains(&name) || (name == "script" && tag.contains("src")) {
            found.push(format!("<{tag}>"));
        }
        for attr in [
            "src=", "href=", "action=", "poster=", "data=", "srcset=", "style=",
        ] {
            for (i, _) in tag.match_indices(attr) {
                let value = tag[i + attr.len()..].trim_start_matches(['"', '\'']);
                // In-page anchors are fine; a scheme, a path or inline style is not.
                if attr == "style=" || !value.starts_with('#') {
                    found.push(format!("<{tag}>"));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn the_report_is_self_contained_and_names_the_failure() {
    let run = run_with(&[Fault::SoftDeleteVanishes]).await;
    let page = render(&run, &Redactor::default());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(fetches(&page), Vec::<String>::new(), "the page fetches");
    // And should a fetch slip in, the browser is told to refuse it.
    assert!(page.contains("content=\"default-src 'none';"));
    // Target URLs appear as text (the target, curl lines), never as a link.
    assert!(page.contains("http://127.0.0.1:9/scim/v2"));

    assert!(page.contains(">FAIL<"), "no verdict");
    assert!(page.contains(FAILING));
    let catalogue = common::suite().checks;
    let meta = &catalogue[FAILING];
    assert!(page.contains(&html::escape(&meta.rule)), "rule missing");
    assert!(page.contains(&html::escape(&meta.title)), "title missing");
    // The failure shows where, what, and how to reproduce it.
    assert!(page.contains("scenarios/entra/04-users.toml:"));
    assert!(page.contains("status 200") && page.contains("status 404"));
    assert!(page.contains("curl -sS -X GET"));
    assert!(page.contains("<details class=\"exchange\"><summary>Response: <strong>404 Not Found"));
    // Every requirement has a row, each client a column; a fail links to its failure.
    for id in catalogue.keys() {
        assert!(
            page.contains(&format!("<code>{id}</code></th>")),
            "{id} has no row"
        );
    }
    assert!(page.contains("<th scope=\"col\" class=\"client\">entra-2020</th>"));
    assert!(page.contains("<th scope=\"col\" class=\"client\">entra-legacy</th>"));
    assert!(page.contains(&format!("<a href=\"#check-{FAILING}\">fail</a>")));
    assert!(page.contains(&format!("<section class=\"check\" id=\"check-{FAILING}\">")));
    assert!(page.contains("@media print"));
}

#[tokio::test]
async fn an_all_pass_run_says_so() {
    let run = run_with(&[]).await;
    assert_eq!(run.counts().fail, 0);
    let page = render(&run, &Redactor::default());
    assert!(page.contains(">PASS<"));
    assert!(page.contains("No check failed and none errored."));
    assert!(!page.contains("class=\"cell s-fail\""));
    let summary = markdown::render(&run, &common::suite().checks, &Redactor::default());
    assert!(
        summary.starts_with("## ✅ idgate: All checks passed"),
        "{summary}"
    );
    assert!(!summary.contains("Failed checks"));
    assert!(markdown::github_annotations(&run, &Redactor::default()).is_empty());
}

#[tokio::test]
async fn a_secret_in_an_exchange_never_reaches_a_view() {
    let token = "tok-must-not-leak-8841";
    let mut run = run_with(&[Fault::SoftDeleteVanishes]).await;
    // Plant the token where a careless target might echo it back.
    for s in &mut run.scenarios {
        for step in &mut s.steps {
            for x in &mut step.exchanges {
                x.response.body = format!("{{\"detail\":\"bad token {token}\"}}");
                x.response
                    .headers
                    .push(("x-echo".into(), format!("Bearer {token}")));
                x.request.url.push_str(&format!("?t={token}"));
            }
            for c in &mut step.checks {
                if c.outcome == Outcome::Fail {
                    c.actual = Some(format!("status 401 (token {token} & <b>)"));
                    c.message = Some(format!("the target echoed {token}"));
                }
            }
        }
    }
    let redactor = Redactor::new([Secret::new(token)]);
    let page = render(&run, &redactor);
    assert!(!page.contains(token), "the HTML leaks the token");
    assert!(page.contains("status 401 (token *** &amp; &lt;b&gt;)"));
    let summary = markdown::render(&run, &common::suite().checks, &redactor);
    assert!(!summary.contains(token), "the summary leaks the token");
    for line in markdown::github_annotations(&run, &redactor) {
        assert!(
            !line.contains(token),
            "an annotation leaks the token: {line}"
        );
    }
}

#[tokio::test]
async fn text_from_the_target_is_escaped() {
    let mut run = run_with(&[Fault::SoftDeleteVanishes]).await;
    let c = run
        .scenarios
        .iter_mut()
        .flat_map(|s| s.steps.iter_mut())
        .flat_map(|st| st.checks.iter_mut())
        .find(|c| c.outcome == Outcome::Fail)
        .expect("a failed check");
    c.message = Some("<script>alert('x')</script>".into());
    c.actual = Some("\"><img src=x onerror=alert(1)>".into());
    run.scenarios[0].name = "<i>scenario</i>".into();
    let page = render(&run, &Redactor::default());
    assert!(!page.contains("<script>alert"), "a message became markup");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<img"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<i>scenario"));
    assert_eq!(fetches(&page), Vec::<String>::new());
    let summary = markdown::render(&run, &common::suite().checks, &Redactor::default());
    assert!(!summary.contains("<i>"), "{summary}");
}

#[tokio::test]
async fn the_summary_and_annotations_point_at_the_failed_expectation() {
    let run = run_with(&[Fault::SoftDeleteVanishes, Fault::IgnoreCount]).await;
    let catalogue = common::suite().checks;
    let summary = markdown::render(&run, &catalogue, &Redactor::default());
    assert!(
        summary.starts_with("## ❌ idgate: Checks failed"),
        "{summary}"
    );
    assert!(summary.contains(&format!("`{FAILING}`")), "{summary}");
    assert!(summary.contains("`scim.pagination.count`"), "{summary}");
    assert!(
        summary.contains("| SCIM (RFC 7644 / RFC 7643) |"),
        "{summary}"
    );
    assert!(summary.contains("entra-2020, entra-legacy"), "{summary}");
    assert!(summary.lines().count() <= 50, "{summary}");

    let notes = markdown::github_annotations(&run, &Redactor::default());
    let note = notes
        .iter()
        .find(|n| n.contains(&format!(",title={FAILING}::")))
        .unwrap_or_else(|| panic!("no annotation for {FAILING}: {notes:#?}"));
    assert!(
        note.starts_with("::error file=scenarios/entra/04-users.toml,line="),
        "{note}"
    );
    let line: usize = note
        .split(",line=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .expect("a line number");
    // The line holds the expectation that names the check.
    let file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/entra/04-users.toml"),
    )
    .unwrap();
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines[line - 1], "[[steps.expect]]", "{note}");
    assert_eq!(lines[line], format!("check = \"{FAILING}\""), "{note}");
    assert!(
        note.contains("expected status 200, actual status 404"),
        "{note}"
    );
    // A message holds no raw newline, or the runner would cut the command.
    assert!(notes.iter().all(|n| !n.contains('\n') && !n.contains('\r')));
}

#[tokio::test]
async fn a_long_failure_list_is_cut_with_a_count() {
    let mut run = run_with(&[Fault::SoftDeleteVanishes]).await;
    // Make every passing check fail at a place of its own.
    for s in &mut run.scenarios {
        for (i, step) in s.steps.iter_mut().enumerate() {
            for (j, c) in step.checks.iter_mut().enumerate() {
                c.outcome = Outcome::Fail;
                c.location = Some(idgate::result::Location {
                    file: s.file.clone(),
                    line: i + 1,
                    column: j + 1,
                    source: Vec::new(),
                });
            }
        }
    }
    let summary = markdown::render(&run, &common::suite().checks, &Redactor::default());
    assert!(summary.lines().count() <= 50, "{summary}");
    assert!(
        summary.contains("more findings (see the HTML or JSON report)"),
        "{summary}"
    );
}

/// Where test artifacts stay after the run (CI uploads them).
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs chromium headless with nothing that talks to the network, killing
/// it if it hangs.
fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    let mut child = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Drained as they come: chromium logs a lot (D-Bus, GPU), and a full pipe
    // would block it forever.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    use std::io::Read as _;
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium is waitable") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!("chromium hung for 90 s: {}", String::from_utf8_lossy(&err));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

#[tokio::test]
async fn the_report_renders_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        return common::skip(
            "a headless browser, /usr/bin/chromium",
            "apt-get install chromium",
        );
    }
    let run = run_with(&[Fault::SoftDeleteVanishes, Fault::IgnoreCount]).await;
    let page = render(&run, &Redactor::default());
    let dir = artifacts();
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, &page).unwrap();
    let url = format!("file://{}", html_path.display());
    let profile = tempfile::tempdir().unwrap();

    let dom = chromium(profile.path(), &["--dump-dom", &url]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success() && dom_text.contains("</html>"),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(
        dom_text.contains("<p class=\"word\">FAIL</p>"),
        "no verdict in the DOM"
    );
    assert!(dom_text.contains("Checks failed"));
    assert!(dom_text.contains(FAILING));
    assert!(dom_text.contains("id=\"problem-1\""));

    let png = dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    let shot = chromium(
        profile.path(),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
            &url,
        ],
    );
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "the screenshot {} is {size} bytes: {}",
        png.display(),
        String::from_utf8_lossy(&shot.stderr)
    );
    let head = std::fs::read(&png).unwrap();
    assert_eq!(&head[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reported_policy_case_is_shown_in_every_view_and_never_as_a_pass() {
    let battery = common::run_reference_saml(&[]).await;
    let mut run = run_with(&[]).await;
    run.scenarios.push(battery);
    let c = run.counts();
    assert!(c.reported > 0, "the battery has policy cases: {c:?}");
    let redactor = Redactor::default();
    let json = idgate::report::json::render(&run, &redactor);
    assert!(json.contains("\"outcome\": \"reported\""));
    let junit = idgate::report::junit::render(&run, &redactor);
    assert!(
        junit.contains("reported, not judged: policy:"),
        "{junit:.300}"
    );
    let md = markdown::render(&run, &common::suite().checks, &redactor);
    assert!(
        md.contains(&format!("{} reported, over", c.reported)),
        "{md:.400}"
    );
    let page = render(&run, &redactor);
    assert!(page.contains(">Reported</th>"));
    assert!(page.contains(&format!("n-reported\">{}</td>", c.reported)));
    // Not a pass: the totals keep them apart.
    let passes = common::outcomes(&run.scenarios, Outcome::Pass).len();
    assert_eq!(c.pass, passes);
    assert_eq!(
        common::outcomes(&run.scenarios, Outcome::Reported).len(),
        c.reported
    );
}

/// One defect, many places: an integer Error `status` shows at every error the Entra
/// clients and the RFC 7644 suite provoke, and every view counts it once per kind of check.
#[tokio::test(flavor = "multi_thread")]
async fn one_defect_is_one_finding_in_every_view() {
    let run = run_with(&[Fault::ErrorStatusInteger]).await;
    let findings = idgate::finding::findings(&run);
    let ids: Vec<&str> = findings.iter().map(|f| f.check.id.as_str()).collect();
    assert_eq!(
        ids,
        ["scim.schema.error", "rfc7644.errors.status-string"],
        "{findings:#?}"
    );
    let schema = &findings[0];
    assert!(schema.occurrences.len() > 10, "{schema:#?}");
    let clients: std::collections::BTreeSet<&str> = schema
        .occurrences
        .iter()
        .map(|o| o.client.as_str())
        .collect();
    assert_eq!(clients.len(), 3, "{clients:?}");
    assert!(run.counts().fail > findings.len());

    let redactor = Redactor::default();
    let json: serde_json::Value =
        serde_json::from_str(&idgate::report::json::render(&run, &redactor)).unwrap();
    assert_eq!(json["counts"]["findings"], 2);
    assert_eq!(json["findings"][0]["number"], 1);
    assert_eq!(
        json["findings"][0]["occurrences"].as_array().unwrap().len(),
        schema.occurrences.len()
    );
    let md = markdown::render(&run, &common::suite().checks, &redactor);
    assert!(md.contains("**2 findings**"), "{md:.600}");
    assert!(md.contains("### Findings (2)"), "{md}");
    let junit = idgate::report::junit::render(&run, &redactor);
    assert!(junit.contains("finding #1 of 2"), "{junit:.400}");
    assert!(junit.contains("name=\"findings-in-run\" value=\"2\""));
    let html = render(&run, &redactor);
    assert!(html.contains("<strong>2 distinct findings</strong>"));
}
