//! `--partition k/n` and `idgate report merge`: the shares of a run, played apart (as n CI
//! runners would), join into the verdict of the whole run, check for check; a missing share
//! is refused. The same for a load.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{idgate, text};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every (client, scenario, step, check, outcome) of a report.json.
fn verdicts(report: &serde_json::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in report["scenarios"].as_array().unwrap() {
        for step in s["steps"].as_array().unwrap() {
            for c in step["checks"].as_array().unwrap() {
                out.insert(format!(
                    "{}/{} › {} › {} = {}",
                    s["client"].as_str().unwrap(),
                    s["name"].as_str().unwrap(),
                    step["name"].as_str().unwrap(),
                    c["id"].as_str().unwrap(),
                    c["outcome"].as_str().unwrap()
                ));
            }
        }
    }
    out
}

#[test]
fn the_shares_of_a_run_merge_into_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A SCIM fault and a SAML one, so the merged report must keep failures as well as passes,
    // of scenario runs and of the battery's cases.
    let fault = [
        "--fault",
        "no-location-header",
        "--fault",
        "no-replay-cache",
    ];
    let mut whole = vec!["run", "-q", "--reports", "whole"];
    whole.extend_from_slice(&fault);
    let o = idgate(&whole, &[], d);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let mut files = Vec::new();
    for k in 1..=3 {
        let share = format!("{k}/3");
        let out = format!("share{k}");
        let mut args = vec!["run", "-q", "--partition", &share, "--reports", &out];
        args.extend_from_slice(&fault);
        let o = idgate(&args, &[], d);
        assert!(matches!(o.status.code(), Some(0 | 4)), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("share {k}/3 plays")),
            "{}",
            text(&o)
        );
        let report = json(&d.join(&out).join("report.json"));
        assert_eq!(report["partition"], share.as_str());
        files.push(format!("{out}/report.json"));
    }
    let mut args = vec!["report", "merge", "--reports", "merged"];
    args.extend(files.iter().map(String::as_str));
    let o = idgate(&args, &[], d);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let (w, m) = (
        json(&d.join("whole/report.json")),
        json(&d.join("merged/report.json")),
    );
    assert_eq!(w["counts"], m["counts"]);
    assert_eq!(verdicts(&w), verdicts(&m));
    // In the whole run's order: scenario runs as planned, the battery last, cases in order.
    let order = |r: &serde_json::Value| -> Vec<String> {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                let name = format!(
                    "{}/{}",
                    s["client"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                );
                let steps: Vec<String> = s["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|st| format!("{name} › {}", st["name"].as_str().unwrap()))
                    .collect();
                std::iter::once(name).chain(steps)
            })
            .collect()
    };
    assert_eq!(order(&w), order(&m));
    assert!(m.get("partition").is_none(), "the merged run is the whole");
    let junit = std::fs::read_to_string(d.join("merged/junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    assert!(d.join("merged/report.html").is_file());

    // A share missing, or given twice, is refused, and nothing is written.
    let o = idgate(
        &[
            "report",
            "merge",
            "--reports",
            "partial",
            &files[0],
            &files[2],
        ],
        &[],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("share 2/3 is missing"), "{}", text(&o));
    assert!(!d.join("partial").exists());
    let o = idgate(
        &[
            "report", "merge", &files[0], &files[1], &files[1], &files[2],
        ],
        &[],
        d,
    );
    assert!(text(&o).contains("given 2 times"), "{}", text(&o));
}

#[test]
fn the_shares_of_a_load_merge_into_one_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let size = [
        "--users",
        "40",
        "--groups",
        "4",
        "--members-per-group",
        "6",
        "--member-batch",
        "4",
    ];
    let mut names = BTreeSet::new();
    for k in 1..=2 {
        let share = format!("{k}/2");
        let out = format!("load{k}");
        let mut args = vec!["load", "-q", "--partition", &share, "--reports", &out];
        args.extend_from_slice(&size);
        let o = idgate(&args, &[], d);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let r = json(&d.join(&out).join("load.json"));
        assert_eq!(r["spec"]["partition"], share.as_str());
        names.insert(r["run_id"].as_str().unwrap().to_string());
    }
    assert_eq!(names.len(), 2, "each share runs under its own id");
    let o = idgate(
        &[
            "report",
            "merge",
            "--reports",
            "merged",
            "load1/load.json",
            "load2/load.json",
        ],
        &[],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m = json(&d.join("merged/load.json"));
    // 20 users and 2 groups a share: each user matched, created, updated and disabled; each
    // group matched and created; 6 members in 2 PATCHes of at most 4.
    assert_eq!(m["summary"]["requests"], 40 * 4 + 4 * (2 + 2));
    assert_eq!(m["events"]["succeeded"], 40 * 3 + 4 + 4 * 6);
    assert_eq!(m["spec"]["partition"], "1/1");
    assert_eq!(m["estimate"]["requests"], m["summary"]["requests"]);
    let create = m["summary"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "create-user")
        .unwrap();
    assert_eq!(create["requests"], 40, "the histograms merged");
    assert_eq!(m["verdict"], "pass");

    let o = idgate(&["report", "merge", "load1/load.json"], &[], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("share 2/2 is missing"), "{}", text(&o));
}
