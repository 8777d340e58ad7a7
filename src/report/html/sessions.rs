//! The SAML battery's evidence, case by case: what the ACS answered and who got the
//! session, for passes as well as failures, so "rejected" and "accepted for the signed
//! user" can be told apart by a reader who was not there.

use std::fmt::Write;

use super::Page;
use crate::result::{SamlEvidence, SessionState, StepResult};

impl Page<'_> {
    pub(super) fn sessions(&self, out: &mut String) {
        let cases: Vec<(&StepResult, &SamlEvidence)> = self
            .run
            .scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|step| step.saml.as_ref().map(|e| (step, e)))
            .collect();
        if cases.is_empty() {
            return;
        }
        let opened = cases
            .iter()
            .filter(|(_, e)| e.session != SessionState::None)
            .count();
        put!(
            out,
            "<section>\n<h2 id=\"sessions\">Who got the session</h2>\n<details><summary>{} SAML cases: {opened} opened a session, {} did not</summary>\n<div class=\"scroll\"><table class=\"list\">\n<thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Outcome</th><th scope=\"col\">ACS status</th><th scope=\"col\">Session</th><th scope=\"col\">Identity (signed)</th><th scope=\"col\">Attributes</th></tr></thead>\n<tbody>\n",
            cases.len(),
            cases.len() - opened
        );
        for (step, e) in cases {
            let outcome = step.checks.first().map_or("", |c| c.outcome.as_str());
            let session = match e.session {
                SessionState::None => "none",
                SessionState::Opened => "opened",
                SessionState::NotAsked => "a cookie (not asked)",
            };
            let identity = match (&e.identity, e.session) {
                (Some(id), _) => format!("<code>{}</code>", self.t(id)),
                (None, SessionState::Opened) => "<em>not readable</em>".into(),
                _ => String::new(),
            };
            let attributes = e.attributes.as_ref().map_or(String::new(), |a| {
                a.iter()
                    .map(|(k, v)| format!("{}={}", self.t(k), self.t(&v.join("|"))))
                    .collect::<Vec<_>>()
                    .join("<br>")
            });
            // 0: the SP hung up before the message was sent whole, so there was no answer.
            let status = match e.acs_status {
                0 => "hung up".to_string(),
                s => s.to_string(),
            };
            put!(
                out,
                "<tr><td><code>{}</code></td><td><span class=\"badge s-{outcome}\">{outcome}</span></td><td>{status}</td><td>{session}</td><td>{identity} <span class=\"muted\">({})</span></td><td class=\"attrs\">{attributes}</td></tr>\n",
                self.t(&step.name),
                self.t(&e.signed_identity),
            );
        }
        out.push_str("</tbody>\n</table></div>\n</details>\n</section>\n");
    }
}
