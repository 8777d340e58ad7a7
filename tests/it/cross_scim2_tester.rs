//! The cross-check with another SCIM tester nobody here wrote: scim2-tester
//! (PyPI), run through scim2-cli's `scim2 --url URL test` by
//! `.ci/peers/scim2-tester.sh`, against the reference target.
//!
//! First a pass on the correct reference: the baseline, whose failures are
//! pinned below, each explained in docs/comparison.md. Then one pass per SCIM
//! fault, each on a fresh reference with that fault alone: a scim2-tester
//! result that fails there and not in the baseline means scim2-tester
//! detects the fault, and then idgate must detect it too. Every fault is run
//! (two passes at a time), none skipped; the summary of the whole comparison is
//! written to target/cross-scim2-tester/ (summary.md, summary.json, and each
//! pass's JSON, text and stderr under runs/), the data of docs/comparison.md.
//!
//! scim2-tester comes from `IDGATE_PEER_SCIM2_TESTER` (the install directory
//! `.ci/run` exports), or is installed here into target/peers/scim2-tester.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use idgate::reference::{self, Fault, ReferenceOptions};
use serde_json::{Value, json};

/// scim2-tester's results that fail on the correct reference, pinned so
/// docs/comparison.md stays true. None since the reference answers POST /.search at
/// the server root with 501 (RFC 7644 §3.4.3, §3.12), which scim2-tester accepts; before,
/// its 404 failed `User/search_with_attributes#1` and `Group/search_with_attributes#1`.
const BASELINE_FAILS: &[&str] = &[];

/// How many scim2-tester passes run at once (each is a Python process, ~1.5 s of CPU).
const PARALLEL: usize = 2;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/peers/scim2-tester.sh")
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/cross-scim2-tester")
}

/// The install directory, installed (idempotent); `None` (skipped) where it cannot be.
fn installed() -> Option<PathBuf> {
    let dir = std::env::var_os("IDGATE_PEER_SCIM2_TESTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/peers/scim2-tester")
        });
    let out = Command::new("bash")
        .arg(script())
        .arg("install")
        .arg(&dir)
        .output()
        .expect("bash runs");
    if !out.status.success() {
        common::skip(
            &format!(
                "scim2-tester, which did not install: {}",
                common::text(&out)
            ),
            "apt-get install python3-venv, and reach PyPI (or run .ci/run)",
        );
        return None;
    }
    Some(dir)
}

/// One scim2-tester pass: its results by key, as `.ci/peers/scim2-tester.sh test` wrote them.
struct Pass {
    report: Value,
    /// key → (verdict, status, reason)
    results: BTreeMap<String, (String, String, String)>,
    seconds: f64,
}

impl Pass {
    fn keys_with(&self, verdict: &str) -> BTreeSet<String> {
        self.results
            .iter()
            .filter(|(_, (v, _, _))| v == verdict)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Run scim2-tester once against the reference with `faults` on; `Err` when
/// the CLI gave no verdict (a crash, a time-out).
async fn pass(dir: &Path, name: &str, faults: &[Fault]) -> Result<Pass, String> {
    let token = format!("cross-{}", uuid::Uuid::new_v4().simple());
    let running = reference::start(ReferenceOptions {
        token: token.clone(),
        faults: faults.to_vec(),
        ..ReferenceOptions::default()
    })
    .await
    .expect("reference target starts");
    let runs = out_dir().join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    let out = runs.join(format!("{name}.json"));
    let (dir, url, file) = (dir.to_path_buf(), running.scim_base.clone(), out.clone());
    let started = Instant::now();
    let done = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(script())
            .arg("test")
            .arg(&dir)
            .arg(&url)
            .arg(&token)
            .arg(&file)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    running.stop().await;
    if !done.status.success() {
        return Err(format!(
            "{name}: scim2 test gave no verdict: {}",
            common::text(&done)
        ));
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let mut results = BTreeMap::new();
    for r in report["results"].as_array().expect("results") {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        let previous = results.insert(s("key"), (s("verdict"), s("status"), s("reason")));
        assert!(previous.is_none(), "{name}: key {} twice", s("key"));
    }
    Ok(Pass {
        report,
        results,
        seconds,
    })
}

/// What idgate's shipped suite says about one fault.
struct Idgate {
    named_fails: bool,
    failed: BTreeSet<String>,
}

async fn idgate(fault: Fault) -> Idgate {
    let failed: BTreeSet<String> = common::failures(&common::run_reference(&[fault]).await)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    Idgate {
        named_fails: failed.contains(fault.breaks()),
        failed,
    }
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or_default();
    match line.char_indices().nth(140) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_scim2_tester_detects_idgate_detects_too() {
    let Some(dir) = installed() else { return };
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(out_dir());

    // The baseline: the correct reference.
    let baseline = pass(&dir, "baseline", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        baseline.report["completed"], true,
        "scim2-tester did not report on the correct reference: {}",
        baseline.report["stderr"]
    );
    let base_fails = baseline.keys_with("fail");
    let pinned: BTreeSet<String> = BASELINE_FAILS.iter().map(|s| s.to_string()).collect();
    assert!(
        baseline.results.len() > 100,
        "only {} results on the correct reference",
        baseline.results.len()
    );

    // One pass per SCIM fault, PARALLEL at a time, each on its own reference.
    let faults: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.area() == "scim")
        .collect();
    let mut passes: Vec<(Fault, Result<Pass, String>)> = Vec::new();
    for chunk in faults.chunks(PARALLEL) {
        let runs = chunk.iter().map(|f| {
            let dir = dir.clone();
            let f = *f;
            async move { (f, pass(&dir, f.name(), &[f]).await) }
        });
        passes.extend(futures_util::future::join_all(runs).await);
    }
    let scim2_seconds = started.elapsed();

    let mut problems = Vec::new();
    let mut misses = Vec::new();
    let mut rows = Vec::new();
    for (fault, result) in &passes {
        let verdict = idgate(*fault).await;
        let p = match result {
            Ok(p) => p,
            Err(e) => {
                problems.push(e.clone());
                continue;
            }
        };
        let new_fails: Vec<String> = p
            .keys_with("fail")
            .into_iter()
            .filter(|k| !base_fails.contains(k))
            .collect();
        let vanished: Vec<&String> = baseline
            .results
            .keys()
            .filter(|k| !p.results.contains_key(*k))
            .collect();
        let detected = !new_fails.is_empty();
        if detected && verdict.failed.is_empty() {
            misses.push(format!(
                "{fault}: scim2-tester detects it ({}), idgate fails no check",
                new_fails.join(", ")
            ));
        }
        rows.push(json!({
            "fault": fault.name(),
            "description": fault.description(),
            "breaks": fault.breaks(),
            "idgate": {
                "detects": !verdict.failed.is_empty(),
                "named_check_fails": verdict.named_fails,
                "failed": verdict.failed,
            },
            "scim2_tester": {
                "detects": detected,
                "completed": p.report["completed"],
                "refused": p.report["refused"],
                "new_failures": new_fails.iter().map(|k| json!({
                    "key": k,
                        "status": p.results[k].1,
                    "reason": first_line(&p.results[k].2),
                })).collect::<Vec<_>>(),
                "vanished": vanished,
                "seconds": p.seconds,
            },
        }));
    }
    let total = started.elapsed();

    let summary = json!({
        "versions": baseline.report["versions"],
        "command": baseline.report["command"],
        "baseline": {
            "results": baseline.results.len(),
            "passed": baseline.keys_with("pass").len(),
            "skipped": baseline.keys_with("skip"),
            "failed": baseline.results.iter()
                .filter(|(_, (v, _, _))| v == "fail")
                .map(|(k, (_, s, r))| json!({"key": k, "status": s, "reason": first_line(r)}))
                .collect::<Vec<_>>(),
            "seconds": baseline.seconds,
        },
        "faults": rows,
        "seconds": {"scim2_tester_passes": scim2_seconds.as_secs_f64(), "total": total.as_secs_f64()},
    });
    write_summary(&summary);
    eprintln!(
        "cross_scim2_tester: {} faults, {:.1} s for the scim2-tester passes, {:.1} s in all; summary in {}",
        faults.len(),
        scim2_seconds.as_secs_f64(),
        total.as_secs_f64(),
        out_dir().join("summary.md").display()
    );

    assert!(
        problems.is_empty(),
        "scim2-tester gave no verdict:\n{}",
        problems.join("\n")
    );
    assert_eq!(
        base_fails, pinned,
        "scim2-tester's failures on the correct reference changed (see docs/comparison.md): {:#?}",
        summary["baseline"]["failed"]
    );
    assert!(
        misses.is_empty(),
        "faults scim2-tester detects and idgate misses:\n{}",
        misses.join("\n")
    );
}

/// target/cross-scim2-tester/summary.json and summary.md: the data of docs/comparison.md.
fn write_summary(summary: &Value) {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(summary).unwrap() + "\n",
    )
    .unwrap();

    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut md = String::new();
    md.push_str("# idgate and scim2-tester on the reference target\n\n");
    md.push_str(&format!("Versions: {}\n\n", summary["versions"]));
    let b = &summary["baseline"];
    md.push_str(&format!(
        "Baseline (no fault): {} results, {} passed, {} skipped, {} failed.\n\n",
        b["results"],
        b["passed"],
        b["skipped"].as_array().map_or(0, |a| a.len()),
        b["failed"].as_array().map_or(0, |a| a.len()),
    ));
    for f in b["failed"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "- `{}` {}: {}\n",
            f["key"].as_str().unwrap_or_default(),
            f["status"].as_str().unwrap_or_default(),
            f["reason"].as_str().unwrap_or_default()
        ));
    }
    md.push_str("\n| fault | breaks | idgate | named check fails | scim2-tester | scim2-tester's new failures |\n");
    md.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let (mut by_idgate, mut by_scim2) = (0, 0);
    let rows = summary["faults"].as_array().unwrap();
    for r in rows {
        let i = r["idgate"]["detects"].as_bool().unwrap_or(false);
        let s = r["scim2_tester"]["detects"].as_bool().unwrap_or(false);
        by_idgate += usize::from(i);
        by_scim2 += usize::from(s);
        let news: Vec<String> = r["scim2_tester"]["new_failures"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| format!("`{}`", n["key"].as_str().unwrap_or_default()))
            .collect();
        let shown = if news.len() > 4 {
            format!("{} and {} more", news[..4].join(", "), news.len() - 4)
        } else {
            news.join(", ")
        };
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} |\n",
            r["fault"].as_str().unwrap_or_default(),
            r["breaks"].as_str().unwrap_or_default(),
            yes(i),
            yes(r["idgate"]["named_check_fails"].as_bool().unwrap_or(false)),
            yes(s),
            shown
        ));
    }
    md.push_str(&format!(
        "\nOf {} SCIM faults: idgate detects {by_idgate}, scim2-tester {by_scim2}.\n\n",
        rows.len()
    ));
    md.push_str("## The first reason of each new failure\n\n");
    for r in rows {
        let news = r["scim2_tester"]["new_failures"].as_array();
        if news.is_none_or(|n| n.is_empty()) {
            continue;
        }
        md.push_str(&format!(
            "- `{}`:\n",
            r["fault"].as_str().unwrap_or_default()
        ));
        for n in news.into_iter().flatten() {
            md.push_str(&format!(
                "  - `{}` {}: {}\n",
                n["key"].as_str().unwrap_or_default(),
                n["status"].as_str().unwrap_or_default(),
                n["reason"].as_str().unwrap_or_default()
            ));
        }
    }
    md.push_str("\n## Results a fault made vanish (not run, so neither failed nor passed)\n\n");
    for r in rows {
        if let Some(v) = r["scim2_tester"]["vanished"].as_array()
            && !v.is_empty()
            && v.len() < 20
        {
            let keys: Vec<String> = v
                .iter()
                .map(|k| format!("`{}`", k.as_str().unwrap_or_default()))
                .collect();
            md.push_str(&format!(
                "- `{}`: {}\n",
                r["fault"].as_str().unwrap_or_default(),
                keys.join(", ")
            ));
        } else if let Some(v) = r["scim2_tester"]["vanished"].as_array()
            && !v.is_empty()
        {
            md.push_str(&format!(
                "- `{}`: {} results\n",
                r["fault"].as_str().unwrap_or_default(),
                v.len()
            ));
        }
    }
    md.push_str(&format!(
        "\nTime: {:.1} s for the baseline and {} fault passes of scim2-tester ({PARALLEL} at a time), {:.1} s with idgate's runs.\n",
        summary["seconds"]["scim2_tester_passes"].as_f64().unwrap_or(0.0),
        rows.len(),
        summary["seconds"]["total"].as_f64().unwrap_or(0.0),
    ));
    std::fs::write(dir.join("summary.md"), md).unwrap();
}
