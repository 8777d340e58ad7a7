//! `idgate report merge`: the shares of a partitioned run (or load), each written by its own
//! CI runner, joined into one set of reports with the verdict of the whole.

use std::path::Path;

use idgate::exit;
use idgate::load::LoadResult;
use idgate::redact::Redactor;
use idgate::report;
use idgate::result::RunResult;
use idgate::run::{Event, Reporter};
use idgate::session::{SetupError, load_suite};

use crate::Outcome;
use crate::args::{MergeArgs, ReportCommand};
use crate::out;

pub fn report(c: ReportCommand) -> Outcome {
    match c {
        ReportCommand::Merge(a) => merge(a),
    }
}

/// A share's report, read and told apart by its shape.
enum Share {
    Run(Box<RunResult>),
    Load(Box<LoadResult>),
}

fn read(path: &Path) -> Result<Share, SetupError> {
    let fail = |why: String| SetupError::usage(format!("error: {}: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
    if value.get("requirements").is_some() && value.get("spec").is_some() {
        serde_json::from_value(value)
            .map(|r| Share::Load(Box::new(r)))
            .map_err(|e| fail(format!("not a load.json idgate wrote: {e}")))
    } else if value.get("scenarios").is_some() {
        serde_json::from_value(value)
            .map(|r| Share::Run(Box::new(r)))
            .map_err(|e| fail(format!("not a report.json idgate wrote: {e}")))
    } else {
        Err(fail(
            "neither a report.json nor a load.json of idgate's".into(),
        ))
    }
}

fn merge(a: MergeArgs) -> Outcome {
    let mut runs = Vec::new();
    let mut loads = Vec::new();
    for f in &a.files {
        match read(f)? {
            Share::Run(r) => runs.push(*r),
            Share::Load(l) => loads.push(*l),
        }
    }
    let refuse = |e: String| SetupError::usage(format!("error: {e}"));
    // The shares' files went through the redactor when they were written.
    let redactor = Redactor::new(Vec::new());
    match (runs.is_empty(), loads.is_empty()) {
        (false, false) => Err(refuse(
            "these are report.json and load.json files: merge the shares of one run, or of one load".into(),
        )),
        (false, true) => {
            let n = runs.len();
            let run = RunResult::merge(runs).map_err(refuse)?;
            let suite = load_suite(a.scenarios.as_deref())?;
            let mut files = report::files::Files::new(
                report::files::Destinations {
                    dir: a.reports.clone(),
                    html_dir: a.report_html.clone(),
                    markdown: a.report_markdown.clone(),
                },
                suite.checks.clone(),
                redactor,
            );
            files.event(&Event::RunFinished { run: &run });
            let c = run.counts();
            out!(
                "merged {n} shares: {} scenario runs, {} passed, {} failed, {} errors, {} skipped",
                run.scenarios.len(),
                c.pass,
                c.fail,
                c.error,
                c.skip
            );
            for w in files.written() {
                eprintln!("wrote {w}");
            }
            Ok(run.exit_code())
        }
        (true, false) => {
            let n = loads.len();
            let merged = idgate::load::merge::merge(loads).map_err(refuse)?;
            out!("merged {n} shares of a load");
            out!("{}", report::load::terminal(&merged));
            match report::load::write_all(&merged, &a.reports, &redactor) {
                Ok(paths) => {
                    for p in paths {
                        eprintln!("wrote {}", p.display());
                    }
                }
                Err(e) => return Err(SetupError::new(exit::RUNTIME, format!("error: {e}"))),
            }
            Ok(merged.exit_code)
        }
        (true, true) => Err(refuse("no file to merge".into())),
    }
}
