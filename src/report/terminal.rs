//! Live terminal output: one line per check as it completes, failures with
//! expected versus actual and a curl line, then a summary.

use std::io::Write;

use anstyle::{AnsiColor, Style};

use super::failure_text;
use crate::exit;
use crate::redact::Redactor;
use crate::result::{Outcome, RunResult, ScenarioResult, StepResult, StepStatus};
use crate::run::Observer;
use crate::scenario::Scenario;

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
    /// Scenario runs done out of planned, on stderr; only when stdout is a terminal.
    progress: Option<indicatif::ProgressBar>,
}

impl Terminal {
    pub fn new(redactor: Redactor, choice: anstream::ColorChoice) -> Terminal {
        Terminal {
            out: anstream::AutoStream::new(std::io::stdout(), choice),
            redactor,
            verbose: true,
            progress: None,
        }
    }

    /// Show a progress bar over `total` scenario runs, when a person is watching.
    pub fn progress(&mut self, total: u64) {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() || total < 2 {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} scenario runs, {elapsed} · {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
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
    pub fn summary(&mut self, run: &RunResult, written: &[String]) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        let c = run.counts();
        self.line("");
        let failed = run.failed_checks();
        if !failed.is_empty() {
            self.line(&format!("{BOLD}failed checks:{BOLD:#}"));
            for id in &failed {
                self.line(&format!("  {RED}{id}{RED:#}"));
            }
        }
        let verdict = match run.exit_code() {
            exit::OK if c.pass + c.flaky == 0 => format!("{YELLOW}nothing was checked{YELLOW:#}"),
            exit::OK => format!("{GREEN}all checks passed{GREEN:#}"),
            exit::RUNTIME => format!("{RED}the target could not be reached for some steps{RED:#}"),
            exit::CHECK_FAILED => format!("{RED}checks failed{RED:#}"),
            exit::INTERRUPTED => format!("{YELLOW}interrupted{YELLOW:#}"),
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
            "{verdict}: {} passed, {} flaky, {} failed, {} errors, {} skipped ({} scenario runs against {target})",
            c.pass,
            c.flaky,
            c.fail,
            c.error,
            c.skip,
            run.scenarios.len(),
        ));
        for w in written {
            self.line(&format!("{DIM}wrote {w}{DIM:#}"));
        }
    }
}

impl Observer for Terminal {
    fn scenario_started(&mut self, client: &str, scenario: &Scenario) {
        if let Some(bar) = &self.progress {
            bar.set_message(format!("{client} · {}", scenario.name));
        }
        self.line("");
        self.line(&format!(
            "{BOLD}▶ {client} · {}{BOLD:#} {DIM}{} ({}){DIM:#}",
            scenario.name, scenario.description, scenario.file
        ));
    }

    fn step_finished(&mut self, step: &StepResult) {
        if step.status == StepStatus::Error {
            self.line(&format!(
                "  {RED}error{RED:#} in step `{}`: {}",
                step.name,
                step.reason.as_deref().unwrap_or("")
            ));
        }
        for check in &step.checks {
            match check.outcome {
                Outcome::Pass if self.verbose => self.line(&format!(
                    "  {GREEN}✓{GREEN:#} {:<44} {DIM}{}{DIM:#}",
                    check.id, step.name
                )),
                Outcome::Pass => {}
                Outcome::Flaky => self.line(&format!(
                    "  {YELLOW}~{YELLOW:#} {:<44} {DIM}{} (flaky: {}){DIM:#}",
                    check.id,
                    step.name,
                    check.message.as_deref().unwrap_or("")
                )),
                Outcome::Skip => self.line(&format!(
                    "  {YELLOW}-{YELLOW:#} {:<44} {DIM}{} (skipped: {}){DIM:#}",
                    check.id,
                    step.name,
                    check.message.as_deref().unwrap_or("")
                )),
                Outcome::Fail | Outcome::Error => {
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

    fn retrying(&mut self, result: &ScenarioResult, attempt: u32) {
        self.line(&format!(
            "  {YELLOW}↻ {}/{} failed; attempt {attempt}{YELLOW:#}",
            result.client, result.name
        ));
    }

    fn scenario_finished(&mut self, result: &ScenarioResult) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
        let failed: Vec<_> = result
            .cleanup
            .iter()
            .filter(|c| c.outcome == "failed")
            .collect();
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
