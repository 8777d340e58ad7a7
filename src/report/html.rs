//! The compliance report an auditor reads: one self-contained HTML file
//! (inline CSS, a two-line print helper, nothing fetched from anywhere) with
//! the run's target and verdict, a summary by area and severity, a matrix of
//! every requirement against every client, and each failure with expected
//! versus actual, a diff, the request as curl and the response it got.
//!
//! Every string passes through the redactor before it is escaped into the
//! page, and the finished page passes through it once more.

use crate::exit;
use std::collections::BTreeMap;
use std::fmt::Write;

use crate::redact::{Redactor, is_secret_header};
use crate::result::{CheckResult, Counts, Outcome, RunResult, ScenarioResult, StepResult};
use crate::scenario::{CheckMeta, Severity};
use crate::scim::Exchange;
use crate::scim::http::curl_line;

/// Appends formatted text to a `String`; writing to a `String` cannot fail.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The part of the standards a check belongs to, read from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    /// `scim.entra.*`: what Entra's provisioning cycle needs beyond the RFCs.
    EntraCycle,
    /// Every other `scim.*` check: RFC 7643 and RFC 7644.
    ScimRfc,
    /// `saml.*`.
    Saml,
    Other,
}

impl Area {
    pub const ALL: [Area; 4] = [Area::EntraCycle, Area::ScimRfc, Area::Saml, Area::Other];

    pub fn of(check_id: &str) -> Area {
        if check_id.starts_with("scim.entra.") {
            Area::EntraCycle
        } else if check_id.starts_with("scim.") {
            Area::ScimRfc
        } else if check_id.starts_with("saml.") {
            Area::Saml
        } else {
            Area::Other
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::EntraCycle => "Entra provisioning cycle",
            Area::ScimRfc => "SCIM (RFC 7644 / RFC 7643)",
            Area::Saml => "SAML 2.0",
            Area::Other => "Other",
        }
    }
}

/// One outcome for many results of the same check: any fail makes it a fail,
/// else any error an error, else any pass a pass, else a skip. `None` when
/// there were no results at all (the check never ran).
pub fn aggregate(outcomes: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
    let mut seen: Option<Outcome> = None;
    for o in outcomes {
        let rank = |o: Outcome| match o {
            Outcome::Fail => 3,
            Outcome::Error => 2,
            Outcome::Flaky => 1,
            Outcome::Pass => 1,
            Outcome::Skip => 0,
        };
        if seen.is_none_or(|s| rank(o) > rank(s)) {
            seen = Some(o);
        }
    }
    seen
}

/// The clients of a run, in the order they first ran.
pub fn clients(run: &RunResult) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in &run.scenarios {
        if !out.contains(&s.client.as_str()) {
            out.push(&s.client);
        }
    }
    out
}

/// The one-line verdict every view agrees on, from the exit code.
pub fn verdict(run: &RunResult) -> (&'static str, &'static str) {
    match run.exit_code() {
        exit::OK if run.counts().pass + run.counts().flaky == 0 => ("none", "No checks ran"),
        exit::OK => ("pass", "All checks passed"),
        exit::RUNTIME => ("error", "The target could not be reached for some steps"),
        exit::CHECK_FAILED => ("fail", "Checks failed"),
        exit::INTERRUPTED => ("interrupted", "The run was interrupted"),
        _ => ("error", "The run did not complete"),
    }
}

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

struct Page<'a> {
    run: &'a RunResult,
    redactor: &'a Redactor,
    clients: Vec<&'a str>,
    requirements: Vec<Requirement<'a>>,
    /// Every check result, in run order.
    found: Vec<Found<'a>>,
}

impl<'a> Page<'a> {
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

    fn outcome_for(&self, id: &str, client: &str) -> Option<Outcome> {
        aggregate(
            self.found
                .iter()
                .filter(|f| f.check.id == id && f.scenario.client == client)
                .map(|f| f.check.outcome),
        )
    }

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
        put!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>\n");
        self.header(out);
        self.banner(out);
        self.summary(out);
        self.matrix(out);
        self.failures(out);
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

    fn header(&self, out: &mut String) {
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

    fn banner(&self, out: &mut String) {
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
    }

    fn summary(&self, out: &mut String) {
        out.push_str(
            "<section class=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n<div class=\"cols\">\n",
        );
        // By area.
        let mut by_area: BTreeMap<Area, Counts> = BTreeMap::new();
        for f in &self.found {
            by_area
                .entry(Area::of(&f.check.id))
                .or_default()
                .add(f.check.outcome);
        }
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
        for sev in [Severity::Critical, Severity::Major, Severity::Minor] {
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

    fn matrix(&self, out: &mut String) {
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

    fn failures(&self, out: &mut String) {
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
            let group: Vec<&Found<'a>> = problems[i..]
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
            let mut merged: Vec<(&Found<'a>, Vec<&str>)> = Vec::new();
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

    /// One failure; `also` names other clients that failed the same way
    /// at the same place (their requests differ only in ids).
    fn problem(&self, out: &mut String, n: usize, f: &Found<'a>, also: &[&str]) {
        let c = f.check;
        let word = c.outcome.as_str();
        let mut who = vec![format!("<strong>{}</strong>", self.t(&f.scenario.client))];
        who.extend(
            also.iter()
                .map(|a| format!("<strong>{}</strong>", self.t(a))),
        );
        put!(
            out,
            "<article class=\"problem\" id=\"problem-{n}\">\n<p class=\"where\"><span class=\"badge s-{word}\">{word}</span> {} · scenario <strong>{}</strong> · step “{}”</p>\n",
            who.join(" and "),
            self.t(&f.scenario.name),
            self.t(&f.step.name)
        );
        let location = c.location.as_deref().unwrap_or(&f.step.location);
        let builtin = if c.location.is_none() {
            " <span class=\"muted\">(a builtin check, applied to this step's response)</span>"
        } else {
            ""
        };
        out.push_str("<table class=\"ea\">\n");
        put!(
            out,
            "<tr><th scope=\"row\">Location</th><td><code>{}</code>{builtin}</td></tr>\n",
            self.t(location)
        );
        if let Some(e) = &c.expected {
            put!(
                out,
                "<tr><th scope=\"row\">Expected</th><td><pre class=\"val exp\">{}</pre></td></tr>\n",
                self.t(e)
            );
        }
        if let Some(a) = &c.actual {
            put!(
                out,
                "<tr><th scope=\"row\">Actual</th><td><pre class=\"val act\">{}</pre></td></tr>\n",
                self.t(a)
            );
        }
        if let Some(m) = &c.message {
            put!(
                out,
                "<tr><th scope=\"row\">Note</th><td>{}</td></tr>\n",
                self.t(m)
            );
        }
        if f.step.status == crate::result::StepStatus::Error
            && let Some(r) = &f.step.reason
            && c.message.as_ref() != Some(r)
        {
            put!(
                out,
                "<tr><th scope=\"row\">Step error</th><td>{}</td></tr>\n",
                self.t(r)
            );
        }
        out.push_str("</table>\n");
        if let (Some(e), Some(a)) = (&c.expected, &c.actual)
            && let Some((old, new)) = diffable(&self.redactor.apply(e), &self.redactor.apply(a))
        {
            out.push_str("<div class=\"diff\"><p class=\"small\"><span class=\"del-key\">− expected</span> <span class=\"add-key\">+ actual</span></p><pre>");
            // Each line is a block of its own, so no newline between them.
            for line in collapse(&line_diff(&old, &new)) {
                match line {
                    Line::Same(s) => put!(out, "<span class=\"same\">  {}</span>", escape(s)),
                    Line::Del(s) => put!(out, "<span class=\"del\">- {}</span>", escape(s)),
                    Line::Add(s) => put!(out, "<span class=\"add\">+ {}</span>", escape(s)),
                    Line::Gap(k) => {
                        put!(out, "<span class=\"gap\">  … {k} unchanged lines</span>")
                    }
                }
            }
            out.push_str("</pre></div>\n");
        }
        if let Some(curl) = &c.curl {
            put!(
                out,
                "<div class=\"repro\"><p class=\"small\">Reproduce{}</p><pre class=\"curl\">{}</pre></div>\n",
                if also.is_empty() {
                    String::new()
                } else {
                    format!(" ({}'s request)", self.t(&f.scenario.client))
                },
                self.t(curl)
            );
        }
        if let Some(x) = exchange_of(f.step, c) {
            self.exchange(out, x);
        }
        out.push_str("</article>\n");
    }

    fn exchange(&self, out: &mut String, x: &Exchange) {
        let r = &x.response;
        let size = r.body.len();
        put!(
            out,
            "<details class=\"exchange\"><summary>Response: <strong>{} {}</strong> · {} · {} ms</summary>\n",
            r.status,
            reason(r.status),
            bytes(size),
            x.millis
        );
        if !x.throttled.is_empty() {
            let waits: Vec<String> = x
                .throttled
                .iter()
                .map(|(s, secs)| format!("{s} then waited {secs}s"))
                .collect();
            put!(
                out,
                "<p class=\"small\">Throttled before this answer: {}</p>\n",
                escape(&waits.join("; "))
            );
        }
        put!(
            out,
            "<p class=\"small\">Request: <code>{} {}</code></p>\n",
            self.t(&x.request.method),
            self.t(&x.request.url)
        );
        if let Some(body) = &x.request.body {
            put!(
                out,
                "<p class=\"small\">Request body</p><pre class=\"body\">{}</pre>\n",
                self.t(&excerpt(&pretty(body), BODY_LIMIT))
            );
        }
        out.push_str("<p class=\"small\">Response headers</p><pre class=\"body\">");
        for (name, value) in &r.headers {
            let value = if is_secret_header(name) { "***" } else { value };
            put!(out, "{}: {}\n", self.t(name), self.t(value));
        }
        out.push_str("</pre>\n");
        if r.body.is_empty() {
            out.push_str("<p class=\"small\">Response body: empty</p>\n");
        } else {
            put!(
                out,
                "<p class=\"small\">Response body</p><pre class=\"body\">{}</pre>\n",
                self.t(&excerpt(&pretty(&r.body), BODY_LIMIT))
            );
        }
        out.push_str("</details>\n");
    }

    fn skipped(&self, out: &mut String) {
        let skipped: Vec<&Found<'a>> = self
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

    fn cleanup(&self, out: &mut String) {
        let failed: Vec<(&ScenarioResult, &crate::result::CleanupResult)> = self
            .run
            .scenarios
            .iter()
            .flat_map(|s| s.cleanup.iter().map(move |c| (s, c)))
            .filter(|(_, c)| c.outcome == "failed")
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

    fn scenario_runs(&self, out: &mut String) {
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

fn count_heads(out: &mut String) {
    out.push_str("<th scope=\"col\" class=\"num\">Pass</th><th scope=\"col\" class=\"num\">Fail</th><th scope=\"col\" class=\"num\">Error</th><th scope=\"col\" class=\"num\">Skip</th><th scope=\"col\" class=\"num\">Total</th>");
}

fn count_cells(out: &mut String, c: &Counts) {
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
    put!(out, "<td class=\"num\">{}</td>", c.total());
}

fn mark(o: Option<Outcome>) -> &'static str {
    match o {
        Some(Outcome::Pass) => "✓",
        Some(Outcome::Fail) => "✗",
        Some(Outcome::Error) => "!",
        Some(Outcome::Skip) => "–",
        Some(Outcome::Flaky) => "~",
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
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

/// The exchange a check judged: the one its curl line repeats.
fn exchange_of<'s>(step: &'s StepResult, check: &CheckResult) -> Option<&'s Exchange> {
    let curl = check.curl.as_deref()?;
    let env = curl
        .split("Bearer $")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("IDGATE_SCIM_TOKEN");
    step.exchanges
        .iter()
        .find(|x| curl_line(&x.request, env) == curl)
        .or_else(|| {
            step.exchanges
                .iter()
                .find(|x| curl.contains(&format!("-X {} '{}'", x.request.method, x.request.url)))
        })
}

const BODY_LIMIT: usize = 6000;

/// Pretty-printed when it is JSON, as it came otherwise.
fn pretty(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string())
        }
        _ => body.to_string(),
    }
}

fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… ({} more bytes)", &text[..end], text.len() - end)
}

fn bytes(n: usize) -> String {
    match n {
        0 => "empty body".into(),
        1 => "1 byte".into(),
        n if n < 10_000 => format!("{n} bytes"),
        n => format!("{:.1} kB", n as f64 / 1000.0),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// `2026-11-23 11:06:02 UTC` from an RFC 3339 stamp; the stamp itself if it
/// does not parse.
fn human_time(text: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    match parse_time(text) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            t.format(&format)
                .map(|s| format!("{s} UTC"))
                .unwrap_or_else(|_| text.to_string())
        }
        None => text.to_string(),
    }
}

fn duration(start: &str, end: &str) -> Option<String> {
    let d = parse_time(end)? - parse_time(start)?;
    let ms = d.whole_milliseconds();
    Some(if ms < 0 {
        return None;
    } else if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 120_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min {} s", ms / 60_000, (ms / 1000) % 60)
    })
}

/// Expected and actual as lines worth diffing: both multi-line, or both
/// carrying a JSON object or array (pretty-printed so the diff is by member).
fn diffable(expected: &str, actual: &str) -> Option<(String, String)> {
    if expected.contains('\n') && actual.contains('\n') {
        return Some((expected.to_string(), actual.to_string()));
    }
    let (e, a) = (json_part(expected)?, json_part(actual)?);
    Some((e, a))
}

/// The JSON object or array a text ends with, pretty-printed: from
/// `/name equals {"a":1}` the object. The words before it are in the
/// expected and actual lines above the diff already.
fn json_part(text: &str) -> Option<String> {
    let start = text.find(['{', '['])?;
    let v: serde_json::Value = serde_json::from_str(text[start..].trim_end()).ok()?;
    if !(v.is_object() || v.is_array()) {
        return None;
    }
    serde_json::to_string_pretty(&v).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'t> {
    Same(&'t str),
    Del(&'t str),
    Add(&'t str),
    /// A run of unchanged lines left out.
    Gap(usize),
}

/// A line diff by longest common subsequence; inputs past a few hundred
/// lines are shown as all removed then all added rather than taking time.
fn line_diff<'t>(old: &'t str, new: &'t str) -> Vec<Line<'t>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() * b.len() > 400 * 400 {
        return a
            .iter()
            .map(|l| Line::Del(l))
            .chain(b.iter().map(|l| Line::Add(l)))
            .collect();
    }
    // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Line::Same(a[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(Line::Del(a[i]));
            i += 1;
        } else {
            out.push(Line::Add(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Del(l)));
    out.extend(b[j..].iter().map(|l| Line::Add(l)));
    out
}

/// Keeps three unchanged lines around each change and folds the rest.
fn collapse<'t>(lines: &[Line<'t>]) -> Vec<Line<'t>> {
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, Line::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
    let mut out = Vec::new();
    let mut gap = 0;
    for (i, l) in lines.iter().enumerate() {
        if matches!(l, Line::Same(_)) && !near(i) {
            gap += 1;
            continue;
        }
        if gap > 0 {
            out.push(Line::Gap(gap));
            gap = 0;
        }
        out.push(*l);
    }
    if gap > 0 {
        out.push(Line::Gap(gap));
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--pass:#116329;--pass-bg:#dafbe1;--fail:#a40e26;--fail-bg:#ffebe9;--error:#953800;--error-bg:#fff1e5;
--skip:#59636e;--skip-bg:#eff2f5;--crit:#a40e26;--major:#953800;--minor:#59636e}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:.86em}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
h1{font-size:28px;margin:0 0 12px}
h2{font-size:21px;margin:36px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:0 0 4px}
a{color:#0550ae}
.muted{color:var(--muted)}.small{font-size:13px}
.brand{margin:0;color:var(--muted);font-size:13px;letter-spacing:.04em;text-transform:uppercase}
.facts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:2px 32px;margin:0}
.facts .wide{grid-column:1/-1}
.chip{white-space:nowrap;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 5px;margin-right:2px;line-height:1.9}
.facts div{display:flex;gap:10px;border-bottom:1px dotted var(--line);padding:3px 0}
.facts dt{flex:0 0 150px;color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
nav{margin:10px 0 0;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:14px}
.verdict{display:flex;gap:20px;align-items:center;margin:22px 0 8px;padding:16px 22px;border-radius:8px;border:2px solid}
.verdict p{margin:2px 0}.verdict .headline{font-size:19px;font-weight:600}
.verdict .word{font-size:26px;font-weight:800;letter-spacing:.05em;padding:8px 16px;border-radius:6px;color:#fff;margin:0}
.v-pass{border-color:var(--pass);background:var(--pass-bg)}.v-pass .word{background:var(--pass)}
.v-fail{border-color:var(--fail);background:var(--fail-bg)}.v-fail .word{background:var(--fail)}
.v-error,.v-interrupted{border-color:var(--error);background:var(--error-bg)}.v-error .word,.v-interrupted .word{background:var(--error)}
.v-none{border-color:var(--skip);background:var(--skip-bg)}.v-none .word{background:var(--skip)}
.cols{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}
table{border-collapse:collapse}
caption{text-align:left;font-weight:600;padding:0 0 6px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{background:var(--soft);font-size:13px;border-bottom:2px solid var(--line)}
.num{text-align:right;font-variant-numeric:tabular-nums}
.zero{color:#afb8c1}
.n-pass{color:var(--pass)}.n-fail{color:var(--fail);font-weight:700}.n-error{color:var(--error);font-weight:700}.n-skip{color:var(--skip)}
.sev{display:inline-block;font-size:12px;font-weight:600;padding:0 7px;border-radius:10px;border:1px solid;text-transform:uppercase;letter-spacing:.03em}
.sev-critical{color:var(--crit)}.sev-major{color:var(--major)}.sev-minor{color:var(--minor)}
.scroll{overflow-x:auto}
.matrix{width:100%}
.matrix .area th{background:#eaeef2;font-size:14px;padding-top:8px}
.matrix .req{font-weight:400}
.matrix .req .title{display:block}
.matrix .req code{color:var(--muted)}
.matrix .rule{font-size:13px;color:var(--muted);max-width:300px}
.matrix .client{text-align:center;min-width:110px;white-space:nowrap}
.cell{text-align:center;font-weight:600;white-space:nowrap}
.s-pass{color:var(--pass);background:var(--pass-bg)}
.s-fail{color:var(--fail);background:var(--fail-bg)}
.s-error{color:var(--error);background:var(--error-bg)}
.s-skip{color:var(--skip);background:var(--skip-bg)}
.s-notrun{color:#8c959f;font-weight:400;font-style:italic}
.cell.s-pass{background:#effaf2}
.cell a{color:inherit}
.check{margin:18px 0 26px;padding:14px 18px;border:1px solid var(--line);border-left:5px solid var(--fail);border-radius:6px;break-inside:avoid-page}
.check.only-errors{border-left-color:var(--error)}
.check .meta{margin:0 0 8px;color:var(--muted)}
.check .id{color:var(--fg);font-weight:600}
.problem{border-top:1px solid var(--line);padding-top:10px;margin-top:10px}
.problem .where{margin:0 0 6px}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:0 8px;border-radius:4px;text-transform:uppercase}
.ea{width:100%}.ea th{width:110px;color:var(--muted);font-weight:600;font-size:13px;border:0}.ea td{border:0}
.val{padding:4px 8px;border-radius:4px}
.exp{background:var(--pass-bg)}.act{background:var(--fail-bg)}
.diff pre,.repro pre,pre.body{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:8px 10px}
.diff p,.repro p,.exchange p{margin:8px 0 3px;color:var(--muted)}
.del{color:var(--fail);background:var(--fail-bg);display:block}.add{color:var(--pass);background:var(--pass-bg);display:block}
.same{display:block}.gap{display:block;color:var(--muted);font-style:italic}
.del-key{color:var(--fail)}.add-key{color:var(--pass);margin-left:10px}
.more{margin-top:12px}.more>summary{cursor:pointer;color:#0550ae;font-weight:600}
.exchange{margin-top:8px}.exchange summary{cursor:pointer;color:#0550ae}
pre.body{max-height:420px;overflow:auto}
.list{width:100%}.list .desc{display:block;font-weight:400;color:var(--muted);font-size:13px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{
@page{margin:14mm}
nav,.exchange summary::marker{display:none}
body{font-size:10.5pt}
main{max-width:none;padding:0}
a{color:inherit;text-decoration:none}
.scroll{overflow:visible}
pre.body{max-height:none;overflow:visible}
h2{break-after:avoid}
tr,.problem{break-inside:avoid}
.exchange summary{color:inherit}
}
"#;

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

    #[test]
    fn aggregate_prefers_fail_then_error_then_pass() {
        use Outcome::*;
        assert_eq!(aggregate([Pass, Fail, Error]), Some(Fail));
        assert_eq!(aggregate([Pass, Skip, Error]), Some(Error));
        assert_eq!(aggregate([Skip, Pass]), Some(Pass));
        assert_eq!(aggregate([Skip]), Some(Skip));
        assert_eq!(aggregate([]), None);
    }

    #[test]
    fn areas_come_from_the_id() {
        assert_eq!(Area::of("scim.entra.manager-plain-id"), Area::EntraCycle);
        assert_eq!(Area::of("scim.patch.urn-path"), Area::ScimRfc);
        assert_eq!(Area::of("saml.xsw3"), Area::Saml);
    }

    #[test]
    fn line_diff_marks_changed_lines() {
        let d = line_diff("a\nb\nc", "a\nB\nc\nd");
        assert_eq!(
            d,
            vec![
                Line::Same("a"),
                Line::Del("b"),
                Line::Add("B"),
                Line::Same("c"),
                Line::Add("d")
            ]
        );
    }

    #[test]
    fn json_values_are_diffed_by_member() {
        let (e, a) = diffable(
            r#"/name equals {"givenName":"Ann","familyName":"Lee"}"#,
            r#"/name is {"givenName":"Ann","familyName":"Li"}"#,
        )
        .expect("both carry JSON");
        let d = line_diff(&e, &a);
        assert!(d.contains(&Line::Del(r#"  "familyName": "Lee""#)), "{d:?}");
        assert!(d.contains(&Line::Same(r#"  "givenName": "Ann","#)), "{d:?}");
        assert!(diffable("status 200", "status 404").is_none());
    }

    #[test]
    fn long_unchanged_runs_fold() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        let c = collapse(&line_diff(&old, &new));
        assert_eq!(c.first(), Some(&Line::Gap(7)));
        assert_eq!(c.last(), Some(&Line::Gap(6)));
    }
}
