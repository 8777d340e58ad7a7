//! The compliance report an auditor reads: one self-contained HTML file
//! (inline CSS, a two-line print helper, nothing fetched from anywhere) with
//! the run's target and verdict, a summary by area and severity, a matrix of
//! every requirement against every client, and each failure with expected
//! versus actual, a diff, the request as curl and the response it got.
//!
//! Every string passes through the redactor before it is escaped into the
//! page, and the finished page passes through it once more.
//!
//! This file builds the page and lays out its sections; each section is
//! written by the module named after it, and the stylesheet is `style.css`.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::summary::{Area, aggregate, clients, verdict};
use crate::redact::Redactor;
use crate::result::{CheckResult, Outcome, RunResult, ScenarioResult, StepResult};
use crate::scenario::{CheckMeta, Severity};

/// Appends formatted text to a `String`; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

mod appendix;
mod evidence;
mod failures;
mod human;
mod matrix;
mod overview;
mod sessions;

/// The page's stylesheet, inlined into its `<style>` element.
pub(super) const CSS: &str = include_str!("style.css");

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the whole report as one HTML document.
pub fn render(
    run: &RunResult,
    catalogue: &BTreeMap<String, CheckMeta>,
    redactor: &Redactor,
) -> String {
    let page = Page::new(run, catalogue, redactor);
    let mut out = String::with_capacity(128 * 1024);
    page.document(&mut out);
    redactor.apply(&out)
}

/// A check result together with where it happened.
struct Found<'a> {
    scenario: &'a ScenarioResult,
    step: &'a StepResult,
    check: &'a CheckResult,
}

/// A row of the matrix: a requirement of the catalogue (or a check id that
/// ran without being in it).
struct Requirement<'a> {
    id: &'a str,
    title: &'a str,
    rule: &'a str,
    severity: Severity,
}

/// Everything the sections read, gathered once from the run and the catalogue.
struct Page<'a> {
    run: &'a RunResult,
    redactor: &'a Redactor,
    clients: Vec<&'a str>,
    requirements: Vec<Requirement<'a>>,
    /// Every check result, in run order.
    found: Vec<Found<'a>>,
}

impl<'a> Page<'a> {
    /// The catalogue's requirements (and any check id that ran outside it)
    /// sorted by area then id, and every check result in run order.
    fn new(
        run: &'a RunResult,
        catalogue: &'a BTreeMap<String, CheckMeta>,
        redactor: &'a Redactor,
    ) -> Page<'a> {
        let found: Vec<Found<'a>> = run
            .scenarios
            .iter()
            .flat_map(|scenario| {
                scenario.checks().map(move |(step, check)| Found {
                    scenario,
                    step,
                    check,
                })
            })
            .collect();
        let mut requirements: Vec<Requirement<'a>> = catalogue
            .values()
            .map(|m| Requirement {
                id: &m.id,
                title: &m.title,
                rule: &m.rule,
                severity: m.severity,
            })
            .collect();
        for f in &found {
            if !catalogue.contains_key(&f.check.id)
                && !requirements.iter().any(|r| r.id == f.check.id)
            {
                requirements.push(Requirement {
                    id: &f.check.id,
                    title: &f.check.title,
                    rule: &f.check.rule,
                    severity: f.check.severity,
                });
            }
        }
        requirements.sort_by(|a, b| (Area::of(a.id), a.id).cmp(&(Area::of(b.id), b.id)));
        Page {
            run,
            redactor,
            clients: clients(run),
            requirements,
            found,
        }
    }

    /// Redacted, then escaped: the only way text enters the page.
    fn t(&self, text: &str) -> String {
        escape(&self.redactor.apply(text))
    }

    /// One outcome for every result of check `id` as `client`.
    fn outcome_for(&self, id: &str, client: &str) -> Option<Outcome> {
        aggregate(
            self.found
                .iter()
                .filter(|f| f.check.id == id && f.scenario.client == client)
                .map(|f| f.check.outcome),
        )
    }

    /// The failed and errored results, worst severity first.
    fn problems(&self) -> Vec<&Found<'a>> {
        let mut out: Vec<&Found<'a>> = self
            .found
            .iter()
            .filter(|f| matches!(f.check.outcome, Outcome::Fail | Outcome::Error))
            .collect();
        // Worst first; within a check, in the order the run met them.
        out.sort_by(|a, b| (a.check.severity, &a.check.id).cmp(&(b.check.severity, &b.check.id)));
        out
    }

    /// The whole document, section by section.
    fn document(&self, out: &mut String) {
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // Forbid every fetch: the report must read the same offline, years later.
        out.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
        );
        put!(
            out,
            "<title>idgate compliance report: {} ({})</title>\n",
            self.t(verdict(self.run).1),
            self.t(&self.run.target.scim_base)
        );
        put!(out, "<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n");
        self.header(out);
        self.banner(out);
        self.summary(out);
        self.matrix(out);
        self.failures(out);
        self.sessions(out);
        self.skipped(out);
        self.cleanup(out);
        self.scenario_runs(out);
        put!(
            out,
            "<footer>Generated by idgate {} from the run's result tree; the JSON report holds the same data.</footer>\n",
            self.t(&self.run.idgate_version)
        );
        out.push_str("</main>\n");
        // Printing opens every collapsed section so the paper copy is complete.
        out.push_str(
            "<script>addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});</script>\n",
        );
        out.push_str("</body>\n</html>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_the_five() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
