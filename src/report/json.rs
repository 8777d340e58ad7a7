//! The machine-readable report: the whole result tree as JSON, with the run's findings (one
//! per defect, with the places it occurred) and the counts beside it.

use serde_json::{Value, json};

use crate::redact::Redactor;
use crate::result::RunResult;

pub fn render(run: &RunResult, redactor: &Redactor) -> String {
    let mut tree = serde_json::to_value(run).expect("the result tree serializes");
    let findings = crate::finding::findings(run);
    let c = run.counts();
    if let Value::Object(map) = &mut tree {
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
