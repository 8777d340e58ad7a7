//! The progress bar on stderr: scenario runs and SAML cases done out of
//! planned, shown only when a person is watching a terminal.

use indicatif::{ProgressBar, ProgressStyle};

use crate::run::{Event, Reporter};

/// Counts scenario runs and battery cases as they finish.
pub struct Progress {
    bar: ProgressBar,
    /// Inside the battery, each case counts; elsewhere, each scenario.
    in_battery: bool,
}

impl Progress {
    /// A bar when stdout is a terminal, else `None` (CI logs stay plain).
    pub fn on_terminal() -> Option<Progress> {
        use std::io::IsTerminal;
        if !std::io::stdout().is_terminal() {
            return None;
        }
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} runs and cases, {elapsed} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Some(Progress {
            bar,
            in_battery: false,
        })
    }

    /// The bar, for a reporter that prints lines above it.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }
}

impl Reporter for Progress {
    fn event(&mut self, event: &Event<'_>) {
        match *event {
            Event::RunStarted {
                scenarios, cases, ..
            } => {
                let total = (scenarios + cases) as u64;
                if total >= 2 {
                    self.bar.set_length(total);
                    self.bar
                        .set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    self.bar
                        .enable_steady_tick(std::time::Duration::from_millis(120));
                }
            }
            Event::ScenarioStarted { client, name, .. } => {
                self.in_battery = name == crate::session::plan::BATTERY;
                self.bar.set_message(format!("{client} · {name}"));
            }
            Event::CaseFinished { step } if self.in_battery => {
                self.bar.set_message(step.name.clone());
                self.bar.inc(1);
            }
            Event::ScenarioFinished { .. } if !self.in_battery => self.bar.inc(1),
            Event::RunFinished { .. } => self.bar.finish_and_clear(),
            _ => {}
        }
    }
}
