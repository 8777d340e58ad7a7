//! What a step or an expectation builds on: the checks that must have passed
//! before it in the same scenario run (`needs`). A check whose precondition
//! failed is skipped with the reason, never failed on top of it.

use std::collections::HashMap;

use crate::result::{CheckResult, Outcome, StepResult};

/// The latest outcome of every check so far in one scenario run.
#[derive(Debug, Default)]
pub struct Trace {
    seen: HashMap<String, Seen>,
}

#[derive(Debug, Clone)]
struct Seen {
    outcome: Outcome,
    step: String,
    why: Option<String>,
}

impl Trace {
    /// Remember every check of a finished step.
    pub fn record(&mut self, step: &StepResult) {
        for c in &step.checks {
            self.seen.insert(c.id.clone(), seen(&step.name, c));
        }
    }

    /// Why `needs` are not met, with the checks of the step so far (`current`, in
    /// step `step`) counted after the earlier ones; `None` when every one passed.
    pub fn unmet(&self, needs: &[String], step: &str, current: &[CheckResult]) -> Option<String> {
        for id in needs {
            let here = current
                .iter()
                .rev()
                .find(|c| &c.id == id)
                .map(|c| seen(step, c));
            let Some(s) = here.or_else(|| self.seen.get(id).cloned()) else {
                return Some(format!(
                    "it needs `{id}` to pass first, and that has not run"
                ));
            };
            if matches!(s.outcome, Outcome::Pass | Outcome::Flaky) {
                continue;
            }
            let word = match s.outcome {
                Outcome::Fail => "failed",
                Outcome::Error => "could not be checked",
                Outcome::Skip => "was skipped",
                Outcome::Reported => "was only reported",
                Outcome::Pass | Outcome::Flaky => unreachable!("passed"),
            };
            let why = s.why.map(|w| format!(": {w}")).unwrap_or_default();
            return Some(format!(
                "it needs `{id}`, which {word} at step `{}`{why}",
                s.step
            ));
        }
        None
    }
}

fn seen(step: &str, c: &CheckResult) -> Seen {
    Seen {
        outcome: c.outcome,
        step: step.to_string(),
        why: c.actual.clone().or_else(|| c.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{Location, StepStatus};
    use crate::scenario::Severity;

    fn check(id: &str, outcome: Outcome, actual: Option<&str>) -> CheckResult {
        CheckResult {
            actual: actual.map(String::from),
            ..CheckResult::new(id, "", Severity::High, "", outcome)
        }
    }

    #[test]
    fn a_need_is_met_by_a_pass_before_it_and_explained_otherwise() {
        let mut t = Trace::default();
        t.record(&StepResult {
            name: "create".into(),
            location: Location::file("s.toml"),
            status: StepStatus::Ran,
            reason: None,
            fallback: None,
            exchanges: vec![],
            checks: vec![check("a.created", Outcome::Fail, Some("status 400"))],
            millis: 0,
            saml: None,
        });
        let need = |id: &str| vec![id.to_string()];
        assert_eq!(
            t.unmet(&need("a.created"), "read", &[]).unwrap(),
            "it needs `a.created`, which failed at step `create`: status 400"
        );
        assert!(
            t.unmet(&need("b.never"), "read", &[])
                .unwrap()
                .contains("has not run")
        );
        // A pass earlier in the same step meets it.
        let now = [check("b.now", Outcome::Pass, None)];
        assert!(t.unmet(&need("b.now"), "read", &now).is_none());
    }
}
