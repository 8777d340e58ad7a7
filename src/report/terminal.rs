//! Live terminal output: one line per check as it completes, failures with
//! expected versus actual and a curl line, then a summary.

use std::io::Write;

use anstyle::{AnsiColor, Style};

use super::failure_text;
use crate::exit;
use crate::finding::{self, fold};
use crate::redact::Redactor;
use crate::result::{Outcome, RunResult, ScenarioResult, StepResult, StepStatus};
use crate::run::{Event, Reporter};

const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Prints to stdout through anstream, which drops colour when stdout is not
/// a terminal or `NO_COLOR` is set.
pub struct Terminal {
    out: anstream::AutoStream<std::io::Stdout>,
    redactor: Redactor,
    /// Print passing checks too, not only the others.
    pub verbose: bool,
    /// The progress bar lines are printed above, when one is shown.
    progress: Option<indicatif::ProgressBar>,
    /// Each defect already printed in full, with the step it was first seen at: a repeat
    /// gets one line pointing back, so one defect never fills the screen.
    seen: std::collections::HashMap<String, String>,
}

impl Terminal {
    pub fn new(redactor: Redactor, choice: anstream::ColorChoice) -> Terminal {
        Terminal {
            out: anstream::AutoStream::new(std::io::stdout(), choice),
            redactor,
            verbose: true,
            progress: None,
            seen: std::collections::HashMap::new(),
        }
    }

    /// Print lines above `bar` instead of through it.
    pub fn above(&mut self, bar: indicatif::ProgressBar) {
        self.progress = Some(bar);
    }

    fn line(&mut self, text: &str) {
        let text = self.redactor.apply(text);
        let out = &mut self.out;
        // Lines go above the bar, never through it.
        match &self.progress {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(out, "{text}");
            }),
            None => {
                let _ = writeln!(out, "{text}");
            }
        }
    }

    /// The closing summary and what the exit code will mean.
    fn summary(&mut self, run: &RunResult) {
        let c = run.counts();
        self.line("");
        let findings = crate::finding::findings(run);
        if !findings.is_empty() {
            self.line(&format!("{BOLD}{} finding(s):{BOLD:#}", findings.len()));
            for f in &findings {
                let first = &f.occurrences[0];
                self.line(&format!(
                    "  {RED}#{} {}{RED:#} [{}] {} {DIM}({}){DIM:#}",
                    f.number,
                    f.check.id,
                    f.check.severity.as_str(),
                    f.check.title,
                    first.at
                ));
                let places: Vec<String> = f.occurrences.iter().map(|o| o.label()).collect();
                self.line(&format!("      {DIM}at {}{DIM:#}", fold(&places, 3)));
            }
            if let Some(serve) = serve_line(run) {
                self.line(&format!(
                    "  {DIM}the embedded target stopped with the run; to repeat a curl line, first start it on the same port: {serve}{DIM:#}"
                ));
            }
        }
        // Loud and last before the verdict: a warning says the verdict is weaker than it looks.
        for w in run.warnings() {
            self.line(&format!("{YELLOW}{BOLD}warning:{BOLD:#}{YELLOW:#} {w}"));
        }
        let verdict = match run.exit_code() {
            exit::OK if c.pass + c.flaky == 0 => format!("{YELLOW}nothing was checked{YELLOW:#}"),
            exit::OK => format!("{GREEN}all checks passed{GREEN:#}"),
            exit::RUNTIME => format!("{RED}the target could not be reached for some steps{RED:#}"),
            exit::CHECK_FAILED => format!("{RED}checks failed{RED:#}"),
            exit::INTERRUPTED => format!("{YELLOW}interrupted{YELLOW:#}"),
            exit::TERMINATED => format!("{YELLOW}terminated (SIGTERM){YELLOW:#}"),
            _ => String::new(),
        };
        let target = [
            Some(run.target.scim_base.as_str()).filter(|s| !s.is_empty()),
            run.target.saml_acs_url.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" and ");
        self.line(&format!(
            "{verdict}: {} finding(s) from {} failed check results; {} passed, {} flaky, {} errors, {} skipped, {} reported ({} scenario runs against {target})",
            findings.len(),
            c.fail,
            c.pass,
            c.flaky,
            c.error,
            c.skip,
            c.reported,
            run.scenarios.len(),
        ));
    }
}

impl Reporter for Terminal {
    fn event(&mut self, event: &Event<'_>) {
        match *event {
            Event::ScenarioStarted {
                client,
                name,
                description,
                file,
            } => {
                self.line("");
                self.line(&format!(
                    "{BOLD}▶ {client} · {name}{BOLD:#} {DIM}{description} ({file}){DIM:#}"
                ));
            }
            Event::CaseFinished { step } => self.step_finished(step),
            Event::Slow {
                step,
                request,
                waited,
                ..
            } => self.line(&format!(
                "  {YELLOW}… slow{YELLOW:#} step `{step}` has waited {}s for {request}; still waiting (--timeout bounds it)",
                waited.as_secs()
            )),
            Event::Retrying { result, attempt } => self.line(&format!(
                "  {YELLOW}↻ {}/{} failed; attempt {attempt}{YELLOW:#}",
                result.client, result.name
            )),
            Event::ScenarioFinished { result } => self.scenario_finished(result),
            Event::RunFinished { run } => self.summary(run),
            Event::ReportsWritten { files } => {
                for w in files {
                    self.line(&format!("{DIM}wrote {w}{DIM:#}"));
                }
            }
            Event::RunStarted { .. } => {}
        }
    }
}

/// For an embedded run, the command that brings its target back on the same port (the curl
/// lines name that port, and read the token from `$IDGATE_SCIM_TOKEN`, which serve takes).
fn serve_line(run: &RunResult) -> Option<String> {
    if run.target.kind != "embedded" {
        return None;
    }
    let port = reqwest::Url::parse(&run.target.scim_base).ok()?.port()?;
    let faults: String = run
        .target
        .faults
        .iter()
        .map(|f| format!(" --fault {f}"))
        .collect();
    Some(format!(
        "export IDGATE_SCIM_TOKEN=any-token; idgate serve --port {port}{faults} &"
    ))
}

impl Terminal {
    fn step_finished(&mut self, step: &StepResult) {
        if let Some(note) = &step.fallback {
            self.line(&format!(
                "  {YELLOW}↪{YELLOW:#} step `{}`: {note}",
                step.name
            ));
        }
        if step.status == StepStatus::Error {
            self.line(&format!(
                "  {RED}error{RED:#} in step `{}`: {}",
                step.name,
                step.reason.as_deref().unwrap_or("")
            ));
        }
        for check in &step.checks {
            // A SAML case is its own step: its title says more than its id twice.
            let label = if step.name == check.id {
                &check.title
            } else {
                &step.name
            };
            match check.outcome {
                // A pass with a message carries a figure (a measured clock tolerance).
                Outcome::Pass if self.verbose => self.line(&format!(
                    "  {GREEN}✓{GREEN:#} {:<44} {DIM}{label}{}{DIM:#}",
                    check.id,
                    check
                        .message
                        .as_ref()
                        .map_or(String::new(), |m| format!(": {m}"))
                )),
                Outcome::Pass => {}
                Outcome::Flaky => self.line(&format!(
                    "  {YELLOW}~{YELLOW:#} {:<44} {DIM}{label} (flaky: {}){DIM:#}",
                    check.id,
                    check.message.as_deref().unwrap_or("")
                )),
                Outcome::Skip => self.line(&format!(
                    "  {YELLOW}-{YELLOW:#} {:<44} {DIM}{label} (skipped: {}){DIM:#}",
                    check.id,
                    check.message.as_deref().unwrap_or("")
                )),
                // Shown even with -q: a policy the target chose is worth a look.
                Outcome::Reported => self.line(&format!(
                    "  {BOLD}•{BOLD:#} {:<44} {DIM}{label} (reported, not judged: {}){DIM:#}",
                    check.id,
                    check.message.as_deref().unwrap_or("")
                )),
                Outcome::Fail if self.seen.contains_key(&finding::key_of(check)) => {
                    let first = &self.seen[&finding::key_of(check)];
                    self.line(&format!(
                        "  {RED}✗{RED:#} {:<44} {DIM}the same finding as at `{first}`{DIM:#}",
                        check.id
                    ));
                }
                Outcome::Fail | Outcome::Error => {
                    if check.outcome == Outcome::Fail {
                        self.seen.insert(finding::key_of(check), step.name.clone());
                    }
                    let mark = if check.outcome == Outcome::Fail {
                        "✗"
                    } else {
                        "!"
                    };
                    self.line(&format!(
                        "  {RED}{mark}{RED:#} {:<44} {}",
                        check.id, check.title
                    ));
                    if check.outcome == Outcome::Fail {
                        for l in failure_text(step, check).lines() {
                            self.line(&format!("      {l}"));
                        }
                    }
                }
            }
        }
    }

    fn scenario_finished(&mut self, result: &ScenarioResult) {
        let failed: Vec<_> = result.cleanup.iter().filter(|c| c.left_behind()).collect();
        if !result.cleanup.is_empty() {
            self.line(&format!(
                "  {DIM}cleanup: deleted {} resource(s) idgate created{DIM:#}",
                result.cleanup.len() - failed.len()
            ));
        }
        for f in failed {
            self.line(&format!(
                "  {YELLOW}cleanup could not delete {}/{}: {}{YELLOW:#} (retry with `idgate cleanup`)",
                f.kind,
                f.id,
                f.detail.as_deref().unwrap_or("")
            ));
        }
    }
}
