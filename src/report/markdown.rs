//! For CI: a short Markdown summary fit for `$GITHUB_STEP_SUMMARY`, and
//! GitHub workflow-command annotations that pin each failure to the line of
//! the scenario file that expects it.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::summary::{self, clients, verdict};
use crate::redact::Redactor;
use crate::result::{CheckResult, Location, Outcome, RunResult, ScenarioResult, StepResult};
use crate::scenario::CheckMeta;

/// The summary stays short enough to read in the job page.
const MAX_LINES: usize = 50;

/// Verdict, counts by area, and the failed checks (title, severity, rule,
/// where), at most about fifty lines.
pub fn render(
    run: &RunResult,
    catalogue: &BTreeMap<String, CheckMeta>,
    redactor: &Redactor,
) -> String {
    let mut lines: Vec<String> = Vec::new();
    let (class, headline) = verdict(run);
    let icon = match class {
        "pass" => "✅",
        "fail" => "❌",
        "none" => "⚪",
        _ => "⚠️",
    };
    let c = run.counts();
    let findings = crate::finding::findings(run);
    lines.push(format!("## {icon} idgate: {}", md(headline)));
    lines.push(String::new());
    lines.push(format!(
        "**{} findings** ({} failed check results); {} passed, {} errors, {} skipped, {} reported, over {} scenario runs as {}.  ",
        findings.len(),
        c.fail,
        c.pass,
        c.error,
        c.skip,
        c.reported,
        run.scenarios.len(),
        md(&clients(run).join(", ")),
    ));
    let faults = if run.target.faults.is_empty() {
        String::new()
    } else {
        format!(" with faults {}", md(&run.target.faults.join(", ")))
    };
    lines.push(format!(
        "Target {} ({}{faults}), idgate {}, exit code {}.",
        code(&run.target.scim_base),
        md(&run.target.kind),
        md(&run.idgate_version),
        run.exit_code()
    ));
    lines.push(String::new());
    for w in run.warnings() {
        lines.push(format!("> ⚠️ **Warning:** {}", md(w)));
        lines.push(String::new());
    }
    lines.push("| Area | Pass | Fail | Error | Skip | Reported |".into());
    lines.push("|---|---:|---:|---:|---:|---:|".into());
    for (area, c) in &summary::by_area(run) {
        lines.push(format!(
            "| {} | {} | {} | {} | {} | {} |",
            area.label(),
            c.pass,
            c.fail,
            c.error,
            c.skip,
            c.reported
        ));
    }
    // One bullet per finding, with the places it occurred; then checks that could not run.
    let errored: Vec<&str> = {
        let mut ids: Vec<&str> = Vec::new();
        for p in distinct_problems(run) {
            if p.check.outcome == Outcome::Error && !ids.contains(&p.check.id.as_str()) {
                ids.push(&p.check.id);
            }
        }
        ids
    };
    if !findings.is_empty() || !errored.is_empty() {
        lines.push(String::new());
        lines.push(format!("### Findings ({})", findings.len()));
        lines.push(String::new());
        let room = MAX_LINES.saturating_sub(lines.len() + 2).max(5);
        let shown = if findings.len() > room {
            room - 1
        } else {
            findings.len()
        };
        for f in &findings[..shown] {
            let title = catalogue
                .get(&f.check.id)
                .map_or(f.check.title.as_str(), |m| m.title.as_str());
            let rule = if f.check.rule.is_empty() {
                String::new()
            } else {
                format!(" Rule: {}.", md(&f.check.rule))
            };
            let mut at: Vec<String> = Vec::new();
            for o in &f.occurrences {
                let place = code(&o.at);
                if !at.contains(&place) {
                    at.push(place);
                }
            }
            let mut who: Vec<&str> = Vec::new();
            for o in &f.occurrences {
                if !who.contains(&o.client.as_str()) {
                    who.push(&o.client);
                }
            }
            lines.push(format!(
                "- **{}** #{} {}: {}.{rule} At {} ({} occurrence(s)), for {}.",
                f.check.severity.as_str(),
                f.number,
                code(&f.check.id),
                md(title),
                crate::finding::fold(&at, 3),
                f.occurrences.len(),
                md(&who.join(", "))
            ));
        }
        if shown < findings.len() {
            lines.push(format!(
                "- … and {} more findings (see the HTML or JSON report)",
                findings.len() - shown
            ));
        }
        if !errored.is_empty() {
            lines.push(format!(
                "- could not check: {}",
                errored
                    .iter()
                    .map(|id| code(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    redactor.apply(&out)
}

/// One `::error` workflow command per failed (or errored) check and place
/// in a scenario file, with the clients it failed for.
pub fn github_annotations(run: &RunResult, redactor: &Redactor) -> Vec<String> {
    distinct_problems(run)
        .into_iter()
        .map(|p| {
            let c = p.check;
            let mut props = Vec::new();
            let at = &p.location;
            props.push(format!("file={}", property(&at.file)));
            if at.line > 0 {
                props.push(format!("line={}", at.line));
                props.push(format!("col={}", at.column));
            }
            let title = if c.outcome == Outcome::Error {
                format!("{} (could not check)", c.id)
            } else {
                c.id.clone()
            };
            props.push(format!("title={}", property(&redactor.apply(&title))));
            let mut message = c.title.clone();
            if let Some(e) = &c.expected {
                let _ = write!(message, ": expected {e}");
            }
            if let Some(a) = &c.actual {
                let _ = write!(message, ", actual {a}");
            }
            if let Some(m) = &c.message {
                let _ = write!(message, " ({m})");
            }
            let _ = write!(
                message,
                " [{} › {}; {}]",
                p.scenario.name,
                p.step.name,
                p.clients.join(", ")
            );
            if !c.rule.is_empty() {
                let _ = write!(message, " Rule: {}", c.rule);
            }
            format!(
                "::error {}::{}",
                props.join(","),
                data(&redactor.apply(&message))
            )
        })
        .collect()
}

/// A failed or errored check at one place, with every client it failed for.
struct Problem<'a> {
    scenario: &'a ScenarioResult,
    step: &'a StepResult,
    check: &'a CheckResult,
    location: Location,
    clients: Vec<&'a str>,
}

/// Failures and errors, once per (check id, location), worst severity first.
fn distinct_problems(run: &RunResult) -> Vec<Problem<'_>> {
    let mut out: Vec<Problem<'_>> = Vec::new();
    for scenario in &run.scenarios {
        for (step, check) in scenario.checks() {
            if !matches!(check.outcome, Outcome::Fail | Outcome::Error) {
                continue;
            }
            let location = check
                .location
                .clone()
                .unwrap_or_else(|| step.location.clone());
            match out
                .iter_mut()
                .find(|p| p.check.id == check.id && p.location == location)
            {
                Some(p) => {
                    if !p.clients.contains(&scenario.client.as_str()) {
                        p.clients.push(&scenario.client);
                    }
                    // A failure says more than an error at the same place.
                    if p.check.outcome == Outcome::Error && check.outcome == Outcome::Fail {
                        p.check = check;
                        p.step = step;
                        p.scenario = scenario;
                    }
                }
                None => out.push(Problem {
                    scenario,
                    step,
                    check,
                    location,
                    clients: vec![&scenario.client],
                }),
            }
        }
    }
    // Worst first; within a check, in the order the run met them.
    out.sort_by(|a, b| (a.check.severity, &a.check.id).cmp(&(b.check.severity, &b.check.id)));
    out
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Markdown text with the characters that would start markup escaped, and
/// no raw HTML.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks in the text.
fn code(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    format!("{fence}{text}{close}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(data("100%\r\nok"), "100%25%0D%0Aok");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn markdown_text_cannot_inject() {
        assert_eq!(md("<script>|*x*"), "&lt;script&gt;\\|\\*x\\*");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
