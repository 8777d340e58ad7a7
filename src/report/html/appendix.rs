//! The closing sections: the skipped checks with their reasons, the
//! resources cleanup left on the target, and every scenario run.

use std::fmt::Write;

use super::overview::{count_cells, count_heads};
use super::{Found, Page};
use crate::result::{CleanupResult, Outcome, ScenarioResult};

impl Page<'_> {
    /// Every skipped result, folded, at most 500 rows.
    pub(super) fn skipped(&self, out: &mut String) {
        let skipped: Vec<&Found<'_>> = self
            .found
            .iter()
            .filter(|f| f.check.outcome == Outcome::Skip)
            .collect();
        if skipped.is_empty() {
            return;
        }
        put!(
            out,
            "<section>\n<h2 id=\"skipped\">Skipped checks</h2>\n<details><summary>{} skipped results, with the reason</summary>\n<div class=\"scroll\"><table class=\"list\">\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Client</th><th scope=\"col\">Scenario › step</th><th scope=\"col\">Reason</th></tr></thead>\n<tbody>\n",
            skipped.len()
        );
        for f in skipped.iter().take(500) {
            put!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{} › {}</td><td>{}</td></tr>\n",
                self.t(&f.check.id),
                self.t(&f.scenario.client),
                self.t(&f.scenario.name),
                self.t(&f.step.name),
                self.t(f.check.message.as_deref().unwrap_or(""))
            );
        }
        if skipped.len() > 500 {
            put!(
                out,
                "<tr><td colspan=\"4\">… and {} more (see the JSON report)</td></tr>\n",
                skipped.len() - 500
            );
        }
        out.push_str("</tbody>\n</table></div>\n</details>\n</section>\n");
    }

    /// The resources cleanup could not delete; nothing when there are none.
    pub(super) fn cleanup(&self, out: &mut String) {
        let failed: Vec<(&ScenarioResult, &CleanupResult)> = self
            .run
            .scenarios
            .iter()
            .flat_map(|s| s.cleanup.iter().map(move |c| (s, c)))
            .filter(|(_, c)| c.left_behind())
            .collect();
        if failed.is_empty() {
            return;
        }
        out.push_str("<section>\n<h2 id=\"cleanup\">Resources left on the target</h2>\n<p>Cleanup could not delete these resources idgate created; <code>idgate cleanup</code> retries them.</p>\n<table class=\"list\">\n<thead><tr><th scope=\"col\">Resource</th><th scope=\"col\">Scenario</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n");
        for (s, c) in failed {
            put!(
                out,
                "<tr><td><code>{}/{}</code></td><td>{} · {}</td><td>{}</td></tr>\n",
                self.t(&c.kind),
                self.t(&c.id),
                self.t(&s.client),
                self.t(&s.name),
                self.t(c.detail.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    /// One row per scenario run, with its counts and time.
    pub(super) fn scenario_runs(&self, out: &mut String) {
        out.push_str("<section>\n<h2 id=\"scenarios\">Scenario runs</h2>\n<div class=\"scroll\"><table class=\"list\">\n<thead><tr><th scope=\"col\">Client</th><th scope=\"col\">Scenario</th><th scope=\"col\">File</th>");
        count_heads(out);
        out.push_str("<th scope=\"col\" class=\"num\">Time</th></tr></thead>\n<tbody>\n");
        for s in &self.run.scenarios {
            put!(
                out,
                "<tr><td>{}</td><th scope=\"row\">{}<span class=\"desc\">{}</span></th><td><code>{}</code></td>",
                self.t(&s.client),
                self.t(&s.name),
                self.t(&s.description),
                self.t(&s.file)
            );
            count_cells(out, &s.counts());
            put!(out, "<td class=\"num\">{} ms</td></tr>\n", s.millis);
        }
        out.push_str("</tbody>\n</table></div>\n</section>\n");
    }
}
