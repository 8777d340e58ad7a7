//! The views of a load run, all from one [`LoadResult`]: the terminal summary, `load.json`,
//! JUnit (one testcase per requirement) and the HTML page (`load_html`). Every string passes
//! through the redactor.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::load::LoadResult;
use crate::redact::Redactor;
use crate::result::Outcome;

/// The file names a load run writes under its reports folder.
pub const JSON: &str = "load.json";
pub const JUNIT: &str = "load.junit.xml";
pub const HTML: &str = "load.html";

/// `r` with every string passed through the redactor before any view escapes it (a secret
/// with `&` or `<` in it would not be found again in HTML or XML).
pub fn redacted(r: &LoadResult, redactor: &Redactor) -> LoadResult {
    fn walk(v: &mut serde_json::Value, redactor: &Redactor) {
        match v {
            serde_json::Value::String(s) => *s = redactor.apply(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| walk(v, redactor)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|v| walk(v, redactor)),
            _ => {}
        }
    }
    let mut tree = serde_json::to_value(r).expect("a load result serializes");
    walk(&mut tree, redactor);
    serde_json::from_value(tree).expect("a redacted load result reads back")
}

/// Writes `load.json`, `load.junit.xml` and `load.html` into `dir`; returns their paths.
pub fn write_all(r: &LoadResult, dir: &Path, redactor: &Redactor) -> Result<Vec<PathBuf>, String> {
    let r = &redacted(r, redactor);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in [
        (JSON, json(r)),
        (JUNIT, junit(r)),
        (HTML, super::load_html::render(r)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, redactor.apply(&text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

pub fn json(r: &LoadResult) -> String {
    serde_json::to_string_pretty(r).expect("a load result serializes")
}

/// One testsuite, `load`, with a testcase per requirement: what a CI page lists.
pub fn junit(r: &LoadResult) -> String {
    let mut report = Report::new("idgate-load");
    let mut suite = TestSuite::new("load");
    suite.set_time(std::time::Duration::from_secs_f64(
        r.summary.wall_s.max(0.0),
    ));
    suite.add_property(("target", r.target.as_str()));
    suite.add_property(("client", r.spec.client.as_str()));
    suite.add_property(("partition", r.spec.partition.to_string().as_str()));
    for req in &r.requirements {
        let status = match req.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(req.evidence.as_str());
                s
            }
            _ => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(req.evidence.as_str());
                s.set_description(format!(
                    "{}\n\nrule: {}\nsource: {}",
                    req.evidence, req.rule, req.source
                ));
                s
            }
        };
        let mut case = TestCase::new(req.id.as_str(), status);
        case.set_classname("load");
        case.set_time(std::time::Duration::ZERO);
        suite.add_test_case(case);
    }
    if !r.cleanup.left_behind.is_empty() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(format!(
            "{} resource(s) could not be shown deleted; `idgate cleanup` finishes the job",
            r.cleanup.left_behind.len()
        ));
        let mut case = TestCase::new("load.cleanup", s);
        case.set_classname("load");
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().expect("a JUnit report serializes")
}

/// The summary a person reads at the end of `idgate load`.
pub fn terminal(r: &LoadResult) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "\n{} requests in {:.1} s: {:.1} a second, {} not answered 2xx",
        s.requests, s.wall_s, s.per_second, s.failed
    );
    let _ = writeln!(
        out,
        "  {:<14} {:>8} {:>9} {:>9} {:>9} {:>9}  answers",
        "kind", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for k in &s.kinds {
        let answers: Vec<String> = k.answers.iter().map(|(a, n)| format!("{n}×{a}")).collect();
        let _ = writeln!(
            out,
            "  {:<14} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  {}",
            k.kind,
            k.requests,
            k.p50_ms,
            k.p95_ms,
            k.p99_ms,
            k.max_ms,
            answers.join(" ")
        );
    }
    if s.throttled.answers_429 > 0 {
        let _ = writeln!(
            out,
            "  429s honoured: {}, waiting {:.1} s in all (longest Retry-After {:.0} s)",
            s.throttled.answers_429, s.throttled.waited_s, s.throttled.longest_retry_after_s
        );
    }
    let e = &r.events;
    let _ = writeln!(
        out,
        "events as Entra counts them: {} succeeded, {} failed, {} reference failures",
        e.succeeded, e.failed, e.reference_failed
    );
    for req in &r.requirements {
        let word = match req.outcome {
            Outcome::Pass => "PASS",
            Outcome::Skip => "SKIP",
            _ => "FAIL",
        };
        let _ = writeln!(out, "{word:<5} {}: {}", req.id, req.title);
        let _ = writeln!(out, "      {}", req.evidence);
        if req.outcome == Outcome::Fail {
            let _ = writeln!(out, "      rule: {} ({})", req.rule, req.source);
        }
    }
    let _ = writeln!(out, "{}", r.estimate.text);
    let _ = writeln!(
        out,
        "cleanup: {} deleted, {} already gone, {} left behind",
        r.cleanup.deleted,
        r.cleanup.already_gone,
        r.cleanup.left_behind.len()
    );
    for c in &r.cleanup.left_behind {
        let _ = writeln!(
            out,
            "  {} {}/{}: {}",
            c.outcome,
            c.kind,
            c.id,
            c.detail.as_deref().unwrap_or("")
        );
    }
    if let Some(why) = &r.gave_up {
        let _ = writeln!(out, "stopped early: {why}");
    }
    let _ = writeln!(out, "verdict: {} (exit {})", r.verdict, r.exit_code);
    out
}
