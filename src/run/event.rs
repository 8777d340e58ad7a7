//! What a run tells its reporters as it goes: typed events, in order, that
//! every view consumes — the terminal's lines, the progress bar, and the
//! report files written from the finished result tree.

use std::time::Duration;

use crate::result::{RunResult, ScenarioResult, StepResult, TargetInfo};

/// One thing that happened in a run.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Before the first request: what will be played against what.
    RunStarted {
        target: &'a TargetInfo,
        /// (scenario, client) pairs to play.
        scenarios: usize,
        /// SAML battery cases to play.
        cases: usize,
    },
    /// A scenario begins as one client (the SAML battery is one too).
    ScenarioStarted {
        client: &'a str,
        name: &'a str,
        description: &'a str,
        file: &'a str,
    },
    /// A step, or a SAML case, has its results.
    CaseFinished { step: &'a StepResult },
    /// A request has been waiting longer than the slow threshold, and still is.
    Slow {
        client: &'a str,
        scenario: &'a str,
        step: &'a str,
        /// `METHOD URL` of the request waited for.
        request: &'a str,
        waited: Duration,
    },
    /// A failed scenario is about to be played again (`--retries`).
    Retrying {
        result: &'a ScenarioResult,
        attempt: u32,
    },
    /// A scenario ended and deleted what it created.
    ScenarioFinished { result: &'a ScenarioResult },
    /// The whole result tree, after the last scenario.
    RunFinished { run: &'a RunResult },
    /// Report files the run wrote (after [`Event::RunFinished`]).
    ReportsWritten { files: &'a [String] },
}

/// A view of a run: it is told every event, in order.
pub trait Reporter: Send {
    fn event(&mut self, event: &Event<'_>);
}

/// A reporter that ignores everything.
pub struct Silent;

impl Reporter for Silent {
    fn event(&mut self, _: &Event<'_>) {}
}

/// The events of one scenario, kept until it ends, so scenarios played
/// together (`--jobs`) are reported whole, one after the other.
#[derive(Default)]
pub struct Recorder {
    events: Vec<Recorded>,
}

enum Recorded {
    Started {
        client: String,
        name: String,
        description: String,
        file: String,
    },
    Case(Box<StepResult>),
    Slow {
        client: String,
        scenario: String,
        step: String,
        request: String,
        waited: Duration,
    },
    Retrying(Box<ScenarioResult>, u32),
    Finished(Box<ScenarioResult>),
}

impl Reporter for Recorder {
    fn event(&mut self, event: &Event<'_>) {
        let kept = match *event {
            Event::ScenarioStarted {
                client,
                name,
                description,
                file,
            } => Recorded::Started {
                client: client.into(),
                name: name.into(),
                description: description.into(),
                file: file.into(),
            },
            Event::CaseFinished { step } => Recorded::Case(Box::new(step.clone())),
            Event::Slow {
                client,
                scenario,
                step,
                request,
                waited,
            } => Recorded::Slow {
                client: client.into(),
                scenario: scenario.into(),
                step: step.into(),
                request: request.into(),
                waited,
            },
            Event::Retrying { result, attempt } => {
                Recorded::Retrying(Box::new(result.clone()), attempt)
            }
            Event::ScenarioFinished { result } => Recorded::Finished(Box::new(result.clone())),
            // Run-level events are never part of one scenario.
            Event::RunStarted { .. } | Event::RunFinished { .. } | Event::ReportsWritten { .. } => {
                return;
            }
        };
        self.events.push(kept);
    }
}

impl Recorder {
    /// Tell `to` everything recorded, in the order it happened.
    pub fn replay(self, to: &mut dyn Reporter) {
        for e in &self.events {
            let event = match e {
                Recorded::Started {
                    client,
                    name,
                    description,
                    file,
                } => Event::ScenarioStarted {
                    client,
                    name,
                    description,
                    file,
                },
                Recorded::Case(step) => Event::CaseFinished { step },
                Recorded::Slow {
                    client,
                    scenario,
                    step,
                    request,
                    waited,
                } => Event::Slow {
                    client,
                    scenario,
                    step,
                    request,
                    waited: *waited,
                },
                Recorded::Retrying(result, attempt) => Event::Retrying {
                    result,
                    attempt: *attempt,
                },
                Recorded::Finished(result) => Event::ScenarioFinished { result },
            };
            to.event(&event);
        }
    }
}

/// Several reporters told the same events, in the order given.
pub struct Fanout<'r>(pub Vec<&'r mut dyn Reporter>);

impl Reporter for Fanout<'_> {
    fn event(&mut self, event: &Event<'_>) {
        for r in &mut self.0 {
            r.event(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Names(Vec<String>);
    impl Reporter for Names {
        fn event(&mut self, e: &Event<'_>) {
            self.0.push(
                match e {
                    Event::ScenarioStarted { name, .. } => format!("start {name}"),
                    Event::Slow { step, .. } => format!("slow {step}"),
                    Event::CaseFinished { step } => format!("case {}", step.name),
                    _ => "other".into(),
                }
                .to_string(),
            );
        }
    }

    #[test]
    fn a_recorder_replays_a_scenarios_events_in_order() {
        let mut r = Recorder::default();
        r.event(&Event::ScenarioStarted {
            client: "c",
            name: "users",
            description: "",
            file: "f",
        });
        r.event(&Event::Slow {
            client: "c",
            scenario: "users",
            step: "create",
            request: "POST /Users",
            waited: Duration::from_secs(5),
        });
        let mut names = Names::default();
        r.replay(&mut names);
        assert_eq!(names.0, ["start users", "slow create"]);
    }
}
