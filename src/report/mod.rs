//! Views of a run: every reporter consumes the runner's typed events (the
//! terminal's live lines, the progress bar, the report files written from the
//! finished result tree). All go through the redactor, and a failure reads the
//! same in each of them. `summary` holds what the HTML page and the Markdown
//! summary agree on (areas, verdict, counts).

pub mod files;
pub mod html;
pub mod json;
pub mod junit;
pub mod load;
mod load_html;
pub mod markdown;
pub mod progress;
pub mod summary;
pub mod terminal;

use crate::result::{CheckResult, StepResult};

/// The text that explains one check's failure, error or skip; the terminal
/// indents it, JUnit puts it in `<failure>`.
pub fn failure_text(step: &StepResult, check: &CheckResult) -> String {
    let mut lines = Vec::new();
    if let Some(e) = &check.expected {
        lines.push(format!("expected: {e}"));
    }
    if let Some(a) = &check.actual {
        lines.push(format!("actual:   {a}"));
    }
    if let Some(m) = &check.message {
        lines.push(format!("note:     {m}"));
    }
    let at = check.location.as_ref().unwrap_or(&step.location);
    lines.push(format!("at:       {at} (step `{}`)", step.name));
    // The expectation as written, the way a load error quotes its line.
    for quoted in at.quote().lines() {
        lines.push(format!("          {quoted}"));
    }
    if !check.rule.is_empty() {
        lines.push(format!(
            "rule:     {} ({})",
            check.rule,
            check.severity.as_str()
        ));
    }
    if let Some(c) = &check.curl {
        lines.push(format!("reproduce: {c}"));
    }
    lines.join("\n")
}
