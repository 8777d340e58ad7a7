//! The failures section: each failed or errored check once, worst severity
//! first, with every place it failed; the same failure as several clients
//! is shown once, and past a few places the rest fold away.

use std::fmt::Write;

use super::{Found, Page};
use crate::result::Outcome;

/// Failures shown in full per check; the rest fold into a `<details>`.
const SHOWN_PER_CHECK: usize = 4;

/// The same expectation, failed with the same words, in the same step.
fn same_failure(a: &Found<'_>, b: &Found<'_>) -> bool {
    a.scenario.name == b.scenario.name
        && a.step.name == b.step.name
        && a.check.outcome == b.check.outcome
        && a.check.location == b.check.location
        && a.check.expected == b.check.expected
        && a.check.actual == b.check.actual
        && a.check.message == b.check.message
}

impl Page<'_> {
    /// Every failed or errored result, grouped by check.
    pub(super) fn failures(&self, out: &mut String) {
        let problems = self.problems();
        out.push_str("<section>\n<h2 id=\"failures\">Failures</h2>\n");
        if problems.is_empty() {
            out.push_str("<p>No check failed and none errored.</p>\n</section>\n");
            return;
        }
        put!(
            out,
            "<p class=\"muted small\">{} results, worst severity first. Each shows where the expectation is written, what was expected and what came back, a curl line that sends the request again (the token is read from the environment), and the response.</p>\n",
            problems.len()
        );
        let mut n = 0;
        let mut i = 0;
        while i < problems.len() {
            let id = &problems[i].check.id;
            let group: Vec<&Found<'_>> = problems[i..]
                .iter()
                .take_while(|f| &f.check.id == id)
                .copied()
                .collect();
            i += group.len();
            let c = group[0].check;
            let clients: Vec<&str> = {
                let mut v: Vec<&str> = Vec::new();
                for f in &group {
                    if !v.contains(&f.scenario.client.as_str()) {
                        v.push(&f.scenario.client);
                    }
                }
                v
            };
            put!(
                out,
                "<section class=\"check{}\" id=\"check-{}\">\n<h3><span class=\"sev sev-{2}\">{2}</span> {3}</h3>\n",
                if group.iter().all(|f| f.check.outcome == Outcome::Error) {
                    " only-errors"
                } else {
                    ""
                },
                self.t(id),
                c.severity.as_str(),
                self.t(&c.title)
            );
            put!(
                out,
                "<p class=\"meta\"><code class=\"id\">{}</code> · <span class=\"rule\">Rule: {}</span> · {} result{} for {}</p>\n",
                self.t(id),
                self.t(if c.rule.is_empty() {
                    "none given"
                } else {
                    &c.rule
                }),
                group.len(),
                if group.len() == 1 { "" } else { "s" },
                self.t(&clients.join(", "))
            );
            // The same failure at the same place for several clients is shown once.
            let mut merged: Vec<(&Found<'_>, Vec<&str>)> = Vec::new();
            for f in &group {
                match merged.iter_mut().find(|(m, _)| same_failure(m, f)) {
                    Some((_, also)) => also.push(&f.scenario.client),
                    None => merged.push((f, Vec::new())),
                }
            }
            for (k, (f, also)) in merged.iter().enumerate() {
                if k == SHOWN_PER_CHECK {
                    put!(
                        out,
                        "<details class=\"more\"><summary>{} more places this check failed</summary>\n",
                        merged.len() - SHOWN_PER_CHECK
                    );
                }
                n += 1;
                self.problem(out, n, f, also);
            }
            if merged.len() > SHOWN_PER_CHECK {
                out.push_str("</details>\n");
            }
            out.push_str("</section>\n");
        }
        out.push_str("</section>\n");
    }
}
