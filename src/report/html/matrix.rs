//! The compliance matrix: one row per requirement, one column per client,
//! each cell the one outcome of every result of that check for that client.

use std::fmt::Write;

use super::{Page, escape};
use crate::report::summary::{Area, aggregate};
use crate::result::{Counts, Outcome};

impl Page<'_> {
    /// The matrix, grouped by area; a failed or errored cell links to its failure.
    pub(super) fn matrix(&self, out: &mut String) {
        out.push_str("<section>\n<h2 id=\"matrix\">Compliance matrix</h2>\n");
        out.push_str("<p class=\"muted small\">One row per requirement of the check catalogue, one column per client. A cell is <em>fail</em> if any result of that check failed for that client, else <em>error</em> if any could not be made, else <em>pass</em> if any passed, else <em>skip</em>; <em>not run</em> means no scenario played it for that client.</p>\n");
        out.push_str("<div class=\"scroll\"><table class=\"matrix\">\n<thead><tr><th scope=\"col\">Requirement</th><th scope=\"col\">Rule</th><th scope=\"col\">Severity</th>");
        for c in &self.clients {
            put!(out, "<th scope=\"col\" class=\"client\">{}</th>", self.t(c));
        }
        out.push_str("</tr></thead>\n");
        let width = 3 + self.clients.len();
        let mut area: Option<Area> = None;
        for r in &self.requirements {
            let a = Area::of(r.id);
            if area != Some(a) {
                if area.is_some() {
                    out.push_str("</tbody>\n");
                }
                put!(
                    out,
                    "<tbody>\n<tr class=\"area\"><th colspan=\"{width}\" scope=\"colgroup\">{}</th></tr>\n",
                    escape(a.label())
                );
                area = Some(a);
            }
            put!(
                out,
                "<tr><th scope=\"row\" class=\"req\"><span class=\"title\">{}</span><code>{}</code></th><td class=\"rule\">{}</td><td><span class=\"sev sev-{3}\">{3}</span></td>",
                self.t(r.title),
                self.t(r.id),
                self.t(r.rule),
                r.severity.as_str(),
            );
            for c in &self.clients {
                let results: Vec<Outcome> = self
                    .found
                    .iter()
                    .filter(|f| f.check.id == r.id && f.scenario.client == *c)
                    .map(|f| f.check.outcome)
                    .collect();
                let cell = aggregate(results.iter().copied());
                let (class, word) = match cell {
                    None => ("notrun", "not run"),
                    Some(o) => (o.as_str(), o.as_str()),
                };
                let tip = tally(&results);
                let word = match cell {
                    Some(Outcome::Fail | Outcome::Error) => {
                        format!("<a href=\"#check-{}\">{word}</a>", self.t(r.id))
                    }
                    _ => word.to_string(),
                };
                put!(
                    out,
                    "<td class=\"cell s-{class}\" title=\"{}\"><span class=\"mark\" aria-hidden=\"true\">{}</span> {word}</td>",
                    escape(&tip),
                    mark(cell)
                );
            }
            out.push_str("</tr>\n");
        }
        if area.is_some() {
            out.push_str("</tbody>\n");
        }
        out.push_str("</table></div>\n</section>\n");
    }
}

/// A cell's sign, beside its word, for readers who cannot tell the colours.
fn mark(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Pass) => "✓",
        Some(Outcome::Fail) => "✗",
        Some(Outcome::Error) => "!",
        Some(Outcome::Skip) => "–",
        Some(Outcome::Flaky) => "~",
        Some(Outcome::Reported) => "•",
        None => "·",
    }
}

/// "2 passed, 1 failed" for a cell's tooltip.
fn tally(results: &[Outcome]) -> String {
    if results.is_empty() {
        return "no scenario ran this check for this client".into();
    }
    let mut c = Counts::default();
    results.iter().for_each(|o| c.add(*o));
    let mut parts = Vec::new();
    for (n, word) in [
        (c.pass, "passed"),
        (c.fail, "failed"),
        (c.error, "errored"),
        (c.skip, "skipped"),
        (c.reported, "reported"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}
