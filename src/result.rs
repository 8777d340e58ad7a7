//! The result tree: run > scenario (as one client) > step > check. Every
//! report is a view of this tree and nothing else, so they never disagree.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::http::Exchange;
use crate::scenario::{Severity, Span};

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check could not be made: the target did not answer usably.
    Error,
    /// Not applicable this time; the reason says why.
    Skip,
    /// Failed on an earlier attempt of its scenario, passed on a retry (`--retries`).
    Flaky,
    /// A policy, not a rule (a weak algorithm, an unsolicited Response): what
    /// the target did is recorded, neither passed nor failed.
    Reported,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
            Outcome::Flaky => "flaky",
            Outcome::Reported => "reported",
        }
    }
}

/// Where a step, an expectation or a SAML case is written, kept whole so a
/// run-time failure can quote its line the way a load error does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file as the user knows it, e.g. `scenarios/entra/04-users.toml`.
    pub file: String,
    /// 1-based; 0 when the place is a file as a whole.
    pub line: usize,
    pub column: usize,
    /// The lines written there, from `line` on (a few at most).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
}

/// How many lines of a place a report quotes.
const QUOTED_LINES: usize = 6;

impl Location {
    /// The place `span` covers, with its first lines (blank ones at the end left out).
    pub fn of(span: &Span) -> Location {
        let (line, column) = span.source.line_col(span.start);
        let end = span.source.line_col(span.end.max(span.start)).0;
        let mut lines = span.source.text.lines().skip(line - 1);
        let mut source: Vec<String> = Vec::new();
        if let Some(first) = lines.next() {
            source.push(first.to_string());
            // A table's span is its header alone; its keys, up to the next
            // table or blank line, are what the expectation says.
            let header = first.trim_start().starts_with('[');
            for (i, l) in lines.enumerate() {
                let inside = line + 1 + i <= end;
                let table_body = header && !l.trim().is_empty() && !l.trim_start().starts_with('[');
                if source.len() >= QUOTED_LINES || !(inside || table_body) {
                    break;
                }
                source.push(l.to_string());
            }
        }
        while source.len() > 1 && source.last().is_some_and(|l| l.trim().is_empty()) {
            source.pop();
        }
        Location {
            file: span.source.name.clone(),
            line,
            column,
            source,
        }
    }

    /// A file as a whole, with no line to point at.
    pub fn file(name: impl Into<String>) -> Location {
        Location {
            file: name.into(),
            line: 0,
            column: 0,
            source: Vec::new(),
        }
    }

    /// The quoted lines under a gutter of line numbers, as load errors show them.
    pub fn quote(&self) -> String {
        let width = (self.line + self.source.len()).to_string().len();
        self.source
            .iter()
            .enumerate()
            .map(|(i, text)| format!("{:>width$} | {text}", self.line + i))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub idgate_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub target: TargetInfo,
    pub scenarios: Vec<ScenarioResult>,
    /// Set when the run was stopped by Ctrl-C or SIGTERM (after cleanup).
    pub interrupted: bool,
    /// The stop was SIGTERM.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminated: bool,
    /// The share of the suite this run played (`--partition k/n`); none for the whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `embedded` (idgate's reference target) or `external`.
    pub kind: String,
    pub scim_base: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml_acs_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub client: String,
    pub file: String,
    pub description: String,
    pub tags: Vec<String>,
    pub steps: Vec<StepResult>,
    pub cleanup: Vec<CleanupResult>,
    pub millis: u64,
    /// How many times the scenario was played (more than 1 with `--retries`).
    pub attempts: u32,
    /// What makes this scenario's verdicts weaker than they look, and the flag that fixes it
    /// (the SAML battery: sessions whose identity could not be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Ran,
    Skipped,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    pub name: String,
    /// Where the step (or SAML case) is written.
    pub location: Location,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The client's own request was refused, so the step went on with its
    /// `fallback`: what was sent instead, and what that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    pub exchanges: Vec<Exchange>,
    pub checks: Vec<CheckResult>,
    /// Time the step took, request and checks; 0 for a step skipped without a request.
    #[serde(default)]
    pub millis: u64,
    /// A SAML case's evidence: what the SP answered and who got the session, kept for
    /// every case, passed or failed, so a pass can be told from a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml: Option<SamlEvidence>,
}

/// What a SAML case's verdict rests on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlEvidence {
    /// The status of the ACS's answer to the last post.
    pub acs_status: u16,
    pub session: SessionState,
    /// The identity the session endpoint showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Where in the session endpoint's answer the identity was read (a JSON pointer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_at: Option<String>,
    /// The attributes the session endpoint showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// The identity the IdP signed: the only one a session may be for.
    pub signed_identity: String,
}

/// Whether the SP opened a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionState {
    /// Refused: an error status, or no session.
    None,
    /// A session exists (the session endpoint answered 200).
    Opened,
    /// The ACS set a cookie; without --saml-whoami-url nobody asked what it holds.
    NotAsked,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub rule: String,
    pub outcome: Outcome,
    /// What was wanted and what came, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Why it failed, errored or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where the expectation is written; builtin checks have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// A shell line that sends the request again, token read from the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CleanupResult {
    /// `Users` or `Groups`.
    pub kind: String,
    pub id: String,
    /// `deleted` (and a GET then answered 404), `already-gone`, `failed` (the DELETE was
    /// refused or not answered) or `survived` (answered 2xx, yet still there).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl CleanupResult {
    /// The resource is (or may be) still on the target.
    pub fn left_behind(&self) -> bool {
        self.outcome == "failed" || self.outcome == "survived"
    }
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub flaky: usize,
    pub reported: usize,
}

impl Counts {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Error => self.error += 1,
            Outcome::Skip => self.skip += 1,
            Outcome::Flaky => self.flaky += 1,
            Outcome::Reported => self.reported += 1,
        }
    }
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.skip + self.flaky + self.reported
    }
}

impl ScenarioResult {
    pub fn checks(&self) -> impl Iterator<Item = (&StepResult, &CheckResult)> {
        self.steps
            .iter()
            .flat_map(|s| s.checks.iter().map(move |c| (s, c)))
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        self.checks().for_each(|(_, r)| c.add(r.outcome));
        c
    }

    /// Failed or could not be checked: worth a retry, and the end of a `--fail-fast` run.
    pub fn failed(&self) -> bool {
        self.errored() || self.counts().fail > 0
    }

    pub fn errored(&self) -> bool {
        self.steps.iter().any(|s| s.status == StepStatus::Error)
    }
}

impl CheckResult {
    /// A check's result with its catalogue facts and outcome; what was expected and came,
    /// the message, the place and the curl line are added as the check learns them.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        rule: impl Into<String>,
        outcome: Outcome,
    ) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: title.into(),
            severity,
            rule: rule.into(),
            outcome,
            expected: None,
            actual: None,
            message: None,
            location: None,
            curl: None,
        }
    }
}

impl RunResult {
    /// The shares of a partitioned run (`--partition k/n` on n CI runners) as one result
    /// tree, as the whole run would have written it: every share once, from one idgate and
    /// one target; scenario runs back in plan order (share k held every n-th from the k-th);
    /// the SAML battery last, its cases in catalogue order; the earliest start, the latest end.
    pub fn merge(parts: Vec<RunResult>) -> Result<RunResult, String> {
        let shares = parts
            .iter()
            .map(|p| {
                p.partition
                    .as_deref()
                    .unwrap_or("1/1")
                    .parse::<crate::partition::Partition>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        crate::partition::complete(&shares)?;
        let first = parts.first().ok_or("no report.json to merge")?;
        if let Some(p) = parts
            .iter()
            .find(|p| p.idgate_version != first.idgate_version)
        {
            return Err(format!(
                "these are not shares of one run: idgate {} wrote one and idgate {} another",
                first.idgate_version, p.idgate_version
            ));
        }
        // An embedded target is started afresh by each share, on a port of its own.
        if let Some(p) = parts.iter().find(|p| {
            p.target.kind == "external"
                && (p.target.scim_base != first.target.scim_base
                    || p.target.saml_acs_url != first.target.saml_acs_url)
        }) {
            return Err(format!(
                "these are not shares of one run: one tested {}, another {}",
                first.target.scim_base, p.target.scim_base
            ));
        }
        let n = shares[0].count as usize;
        let mut placed: Vec<(usize, ScenarioResult)> = Vec::new();
        let mut battery: Option<ScenarioResult> = None;
        let mut merged = first.clone();
        merged.scenarios.clear();
        for (part, share) in parts.into_iter().zip(&shares) {
            merged.started_at = merged.started_at.clone().min(part.started_at);
            merged.finished_at = merged.finished_at.clone().max(part.finished_at);
            merged.interrupted |= part.interrupted;
            merged.terminated |= part.terminated;
            for f in part.target.faults {
                if !merged.target.faults.contains(&f) {
                    merged.target.faults.push(f);
                }
            }
            let mut i = 0;
            for sc in part.scenarios {
                if sc.name == crate::scenario::BATTERY {
                    match &mut battery {
                        Some(b) => {
                            b.steps.extend(sc.steps);
                            b.millis += sc.millis;
                            for w in sc.warnings {
                                if !b.warnings.contains(&w) {
                                    b.warnings.push(w);
                                }
                            }
                        }
                        None => battery = Some(sc),
                    }
                } else {
                    placed.push((share.index as usize - 1 + n * i, sc));
                    i += 1;
                }
            }
        }
        placed.sort_by_key(|(position, _)| *position);
        merged.scenarios = placed.into_iter().map(|(_, sc)| sc).collect();
        if let Some(mut b) = battery {
            b.steps.sort_by(|x, y| {
                (&x.location.file, x.location.line).cmp(&(&y.location.file, y.location.line))
            });
            merged.scenarios.push(b);
        }
        merged.partition = None;
        Ok(merged)
    }

    /// How many resources the run created are still on the target after cleanup.
    pub fn left_behind(&self) -> usize {
        self.scenarios
            .iter()
            .flat_map(|s| &s.cleanup)
            .filter(|c| c.left_behind())
            .count()
    }

    /// Every scenario's warnings, once each, in order.
    pub fn warnings(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for w in self.scenarios.iter().flat_map(|s| &s.warnings) {
            if !out.contains(&w.as_str()) {
                out.push(w);
            }
        }
        out
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.scenarios {
            s.checks().for_each(|(_, r)| c.add(r.outcome));
        }
        c
    }

    /// Every failed check id, once, sorted.
    pub fn failed_checks(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .scenarios
            .iter()
            .flat_map(|s| s.checks())
            .filter(|(_, c)| c.outcome == Outcome::Fail)
            .map(|(_, c)| c.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The exit code a CI gate reads (see `exit`).
    pub fn exit_code(&self) -> u8 {
        use crate::exit;
        if self.interrupted && self.terminated {
            exit::TERMINATED
        } else if self.interrupted {
            exit::INTERRUPTED
        } else if self.scenarios.iter().any(ScenarioResult::errored) || self.left_behind() > 0 {
            exit::RUNTIME
        } else if self.counts().fail > 0 {
            exit::CHECK_FAILED
        } else {
            exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Source;

    #[test]
    fn a_location_quotes_its_table_as_written() {
        let text = "name = \"s\"\n\n[[steps.expect]]\ncheck = \"a\"\nstatus = 201\n\n[[steps.expect]]\ncheck = \"b\"\n";
        let source = Source::new("scenarios/s.toml", text);
        let start = text.find("[[steps").unwrap();
        let span = Span {
            source,
            start,
            end: start + "[[steps.expect]]".len(),
        };
        let at = Location::of(&span);
        assert_eq!(at.to_string(), "scenarios/s.toml:3:1");
        assert_eq!(
            at.quote(),
            "3 | [[steps.expect]]\n4 | check = \"a\"\n5 | status = 201"
        );
        assert_eq!(Location::file("f.toml").to_string(), "f.toml");
    }
}
