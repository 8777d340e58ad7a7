//! JUnit XML for CI: a testsuite per (client, scenario), a testcase per check.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::failure_text;
use crate::redact::Redactor;
use crate::result::{Outcome, RunResult};

pub fn render(run: &RunResult, redactor: &Redactor) -> String {
    let mut report = Report::new("idgate");
    let findings = crate::finding::findings(run);
    for scenario in &run.scenarios {
        let mut suite = TestSuite::new(format!("{}/{}", scenario.client, scenario.name));
        suite.set_time(std::time::Duration::from_millis(scenario.millis));
        suite.add_property(("file", scenario.file.as_str()));
        suite.add_property(("target", run.target.scim_base.as_str()));
        suite.add_property(("findings-in-run", findings.len().to_string().as_str()));
        for w in &scenario.warnings {
            suite.add_property(("warning", redactor.apply(w).as_str()));
        }
        let classname = format!("{}.{}", scenario.client, scenario.name);
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (step, check) in scenario.checks() {
            let text = redactor.apply(&failure_text(step, check));
            let status = match check.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                // Passed on a retry: a success, with the earlier failure said.
                Outcome::Flaky => {
                    let mut s = TestCaseStatus::success();
                    s.add_rerun(quick_junit::TestRerun::new(NonSuccessKind::Failure));
                    s
                }
                Outcome::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    if let Some(m) = &check.message {
                        s.set_message(redactor.apply(m));
                    }
                    s
                }
                // Neither a pass nor a failure: JUnit's nearest word is "skipped".
                Outcome::Reported => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(redactor.apply(&format!(
                        "reported, not judged: {}",
                        check.message.as_deref().unwrap_or("policy")
                    )));
                    s
                }
                Outcome::Fail | Outcome::Error => {
                    let kind = if check.outcome == Outcome::Fail {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut s = TestCaseStatus::non_success(kind);
                    // Which finding this is, so a CI page listing many failures still
                    // says how many distinct defects there are.
                    let finding = crate::finding::number_of(&findings, check).map(|n| {
                        let f = &findings[n - 1];
                        format!(
                            "finding #{n} of {} (occurs {} time(s) in this run)\n",
                            findings.len(),
                            f.occurrences.len()
                        )
                    });
                    s.set_message(redactor.apply(&check.title));
                    s.set_type(check.id.as_str());
                    s.set_description(format!("{}{text}", finding.unwrap_or_default()));
                    s
                }
            };
            // Unique within the suite: a step repeated, or one check judged twice in a step,
            // gets its occurrence number, so CI tools do not merge or drop results.
            let base = format!("{} › {}", step.name, check.id);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                base
            } else {
                format!("{base} ({n})")
            };
            let mut case = TestCase::new(name, status);
            case.set_classname(classname.as_str());
            case.set_time(std::time::Duration::from_millis(step.millis));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit XML serializes")
}
