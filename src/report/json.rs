//! The machine-readable report: the whole result tree as JSON.

use crate::redact::Redactor;
use crate::result::RunResult;

pub fn render(run: &RunResult, redactor: &Redactor) -> String {
    let text = serde_json::to_string_pretty(run).expect("the result tree serializes");
    redactor.apply(&text)
}
