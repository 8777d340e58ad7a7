//! The top of the page: the facts of the run, the verdict banner, and the
//! summary tables of check results by area and by severity.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::human::{duration, human_time};
use super::{Page, escape};
use crate::report::summary::{self, Area, verdict};
use crate::result::{Counts, Outcome};
use crate::scenario::Severity;

impl Page<'_> {
    /// Target, clients, version, start and end, faults, and the section links.
    pub(super) fn header(&self, out: &mut String) {
        let run = self.run;
        out.push_str("<header class=\"top\">\n<p class=\"brand\">idgate · SCIM 2.0 / SAML 2.0 compliance</p>\n");
        out.push_str("<h1>Compliance report</h1>\n<dl class=\"facts\">\n");
        let fact = |out: &mut String, class: &str, name: &str, value: &str| {
            put!(
                out,
                "<div class=\"{class}\"><dt>{name}</dt><dd>{value}</dd></div>\n"
            );
        };
        let chips = |items: &[&str]| {
            if items.is_empty() {
                "none".to_string()
            } else {
                items
                    .iter()
                    .map(|c| format!("<code class=\"chip\">{}</code>", self.t(c)))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let kind = match run.target.kind.as_str() {
            "embedded" => "embedded (idgate's reference target)".to_string(),
            "external" => "external".to_string(),
            k => k.to_string(),
        };
        fact(
            out,
            "",
            "SCIM target",
            &format!("<code>{}</code>", self.t(&run.target.scim_base)),
        );
        fact(out, "", "Target kind", &self.t(&kind));
        fact(out, "", "Clients", &chips(&self.clients));
        fact(out, "", "idgate version", &self.t(&run.idgate_version));
        fact(
            out,
            "",
            "Started",
            &format!(
                "<time datetime=\"{}\">{}</time>",
                self.t(&run.started_at),
                self.t(&human_time(&run.started_at))
            ),
        );
        let took = duration(&run.started_at, &run.finished_at)
            .map(|d| format!(" <span class=\"muted\">({d})</span>"))
            .unwrap_or_default();
        fact(
            out,
            "",
            "Finished",
            &format!(
                "<time datetime=\"{}\">{}</time>{took}",
                self.t(&run.finished_at),
                self.t(&human_time(&run.finished_at))
            ),
        );
        let faults: Vec<&str> = run.target.faults.iter().map(String::as_str).collect();
        fact(out, "wide", "Faults switched on", &chips(&faults));
        out.push_str("</dl>\n");
        let problems = self.problems().len();
        let skipped = self
            .found
            .iter()
            .filter(|f| f.check.outcome == Outcome::Skip)
            .count();
        put!(
            out,
            "<nav aria-label=\"Sections\"><a href=\"#summary\">Summary</a> <a href=\"#matrix\">Compliance matrix</a> <a href=\"#failures\">Failures ({problems})</a>"
        );
        if skipped > 0 {
            put!(out, " <a href=\"#skipped\">Skipped ({skipped})</a>");
        }
        out.push_str(" <a href=\"#scenarios\">Scenario runs</a></nav>\n</header>\n");
    }

    /// The verdict in one word and one line, with the counts behind it.
    pub(super) fn banner(&self, out: &mut String) {
        let run = self.run;
        let (class, headline) = verdict(run);
        let c = run.counts();
        let word = match class {
            "pass" => "PASS",
            "fail" => "FAIL",
            "interrupted" => "INTERRUPTED",
            "none" => "NOTHING RAN",
            _ => "ERROR",
        };
        let failing = self
            .requirements
            .iter()
            .filter(|r| {
                self.clients
                    .iter()
                    .any(|cl| self.outcome_for(r.id, cl) == Some(Outcome::Fail))
            })
            .count();
        let not_run = self
            .requirements
            .iter()
            .filter(|r| {
                self.clients
                    .iter()
                    .all(|cl| self.outcome_for(r.id, cl).is_none())
            })
            .count();
        put!(
            out,
            "<section class=\"verdict v-{class}\" aria-label=\"Verdict\">\n<p class=\"word\">{word}</p>\n<div>\n<p class=\"headline\">{}</p>\n",
            self.t(headline)
        );
        put!(
            out,
            "<p class=\"findings\"><strong>{} distinct findings</strong>: one per defect, however many steps and clients it showed at.</p>\n",
            crate::finding::findings(run).len()
        );
        put!(
            out,
            "<p>{} check results: <strong>{} passed</strong>, <strong>{} failed</strong>, <strong>{} errors</strong>, <strong>{} skipped</strong>, over {} scenario runs.</p>\n",
            c.total(),
            c.pass,
            c.fail,
            c.error,
            c.skip,
            run.scenarios.len()
        );
        put!(
            out,
            "<p>{failing} of {} requirements failed for at least one client; {not_run} were not run. Exit code {}.",
            self.requirements.len(),
            run.exit_code()
        );
        if c.fail + c.error > 0 {
            out.push_str(" <a href=\"#failures\">Go to the failures</a>.");
        }
        out.push_str("</p>\n</div>\n</section>\n");
        for w in run.warnings() {
            put!(
                out,
                "<p class=\"warning\" role=\"alert\"><strong>Warning:</strong> {}</p>\n",
                self.t(w)
            );
        }
    }

    /// Check results by area and by severity.
    pub(super) fn summary(&self, out: &mut String) {
        out.push_str(
            "<section class=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n<div class=\"cols\">\n",
        );
        // By area.
        let by_area = summary::by_area(self.run);
        out.push_str("<table class=\"counts\">\n<caption>Check results by area</caption>\n<thead><tr><th scope=\"col\">Area</th><th scope=\"col\">Requirements</th>");
        count_heads(out);
        out.push_str("</tr></thead>\n<tbody>\n");
        for area in Area::ALL {
            let reqs = self
                .requirements
                .iter()
                .filter(|r| Area::of(r.id) == area)
                .count();
            let c = by_area.get(&area).copied().unwrap_or_default();
            if reqs == 0 && c.total() == 0 {
                continue;
            }
            put!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{reqs}</td>",
                escape(area.label())
            );
            count_cells(out, &c);
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        // By severity.
        let mut by_sev: BTreeMap<Severity, Counts> = BTreeMap::new();
        for f in &self.found {
            by_sev
                .entry(f.check.severity)
                .or_default()
                .add(f.check.outcome);
        }
        out.push_str("<table class=\"counts\">\n<caption>Check results by severity</caption>\n<thead><tr><th scope=\"col\">Severity</th>");
        count_heads(out);
        out.push_str("</tr></thead>\n<tbody>\n");
        for sev in Severity::ALL {
            let c = by_sev.get(&sev).copied().unwrap_or_default();
            put!(
                out,
                "<tr><th scope=\"row\"><span class=\"sev sev-{0}\">{0}</span></th>",
                sev.as_str()
            );
            count_cells(out, &c);
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n</div>\n");
        out.push_str("<p class=\"muted small\">Critical: provisioning breaks (users not created, disabled or removed). Major: changes are lost or the client quarantines the app. Minor: works with today's clients, against the letter of the RFC. A requirement is checked once per step that names it, for each client.</p>\n");
        out.push_str("</section>\n");
    }
}

/// The heads of the pass, fail, error, skip and total columns.
pub(super) fn count_heads(out: &mut String) {
    out.push_str("<th scope=\"col\" class=\"num\">Pass</th><th scope=\"col\" class=\"num\">Fail</th><th scope=\"col\" class=\"num\">Error</th><th scope=\"col\" class=\"num\">Skip</th><th scope=\"col\" class=\"num\">Reported</th><th scope=\"col\" class=\"num\">Total</th>");
}

/// The cells under [`count_heads`]; a zero is greyed out.
pub(super) fn count_cells(out: &mut String, c: &Counts) {
    let cell = |n: usize, class: &str| {
        if n == 0 {
            "<td class=\"num zero\">0</td>".to_string()
        } else {
            format!("<td class=\"num n-{class}\">{n}</td>")
        }
    };
    out.push_str(&cell(c.pass, "pass"));
    out.push_str(&cell(c.fail, "fail"));
    out.push_str(&cell(c.error, "error"));
    out.push_str(&cell(c.skip, "skip"));
    out.push_str(&cell(c.reported, "reported"));
    put!(out, "<td class=\"num\">{}</td>", c.total());
}
