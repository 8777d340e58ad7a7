//! The machine-readable report: the whole result tree as JSON, with the run's findings (one
//! per defect, with the places it occurred) and the counts beside it.

use serde_json::{Value, json};

use crate::redact::Redactor;
use crate::result::RunResult;

/// The version of report.json's shape, described by `docs/report.schema.json`; raised when a
/// field a reader may rely on changes.
pub const SCHEMA_VERSION: u32 = 1;

pub fn render(run: &RunResult, redactor: &Redactor) -> String {
    let mut tree = serde_json::to_value(run).expect("the result tree serializes");
    let findings = crate::finding::findings(run);
    let c = run.counts();
    if let Value::Object(map) = &mut tree {
        // What a machine reads first: the shape's version (docs/report.schema.json), the
        // verdict and the exit code the process ends with.
        let (verdict, headline) = crate::report::summary::verdict(run);
        map.insert("schema_version".into(), json!(SCHEMA_VERSION));
        map.insert(
            "verdict".into(),
            json!({"result": verdict, "headline": headline}),
        );
        map.insert("exit_code".into(), json!(run.exit_code()));
        map.insert(
            "counts".into(),
            json!({
                "findings": findings.len(),
                "passed": c.pass,
                "failed": c.fail,
                "errors": c.error,
                "skipped": c.skip,
                "flaky": c.flaky,
                "reported": c.reported,
                "left_behind": run.left_behind(),
            }),
        );
        map.insert("warnings".into(), json!(run.warnings()));
        map.insert(
            "findings".into(),
            serde_json::to_value(&findings).expect("findings serialize"),
        );
    }
    let text = serde_json::to_string_pretty(&tree).expect("the result tree serializes");
    redactor.apply(&text)
}
