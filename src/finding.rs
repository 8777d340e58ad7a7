//! Findings: one per defect, however many times it showed. A check that fails for the same
//! reason at several steps, scenarios or clients is one problem with the target, and a reader
//! counting problems must see one line for it, with the places it occurred folded beneath.

use serde::Serialize;

use crate::result::{CheckResult, Outcome, RunResult};

/// One defect of the target.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// 1-based, in report order: the number the terminal and the reports cite.
    pub number: usize,
    /// The first occurrence's result (id, title, severity, rule, expected and actual); the
    /// others differ from it at most in ids, times and positions.
    #[serde(flatten)]
    pub check: CheckResult,
    pub occurrences: Vec<Occurrence>,
}

/// One place a finding showed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Occurrence {
    pub client: String,
    pub scenario: String,
    pub step: String,
    /// `file:line` of the expectation that failed (or of its step).
    pub at: String,
}

impl Occurrence {
    pub fn label(&self) -> String {
        format!("{}/{} › {}", self.client, self.scenario, self.step)
    }
}

/// What makes two failures the same defect: the check, what it wanted, and what came back
/// with ids, times, numbers and list positions masked.
fn key(check: &str, expected: Option<&str>, actual: Option<&str>, message: Option<&str>) -> String {
    format!(
        "{check}\u{0}{}\u{0}{}\u{0}{}",
        mask(expected.unwrap_or_default()),
        mask(actual.unwrap_or_default()),
        mask(message.unwrap_or_default())
    )
}

/// Masks what differs between occurrences of one defect: runs of digits (ids, indices,
/// timestamps, ports) and long hexadecimal or UUID-like words. A status code after "status"
/// stays: a 400 and a 500 where a 404 was wanted are two defects.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hexy = word.len() >= 8
            && word.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && word.chars().any(|c| c.is_ascii_digit());
        let status =
            word.len() == 3 && word.chars().all(|c| c.is_ascii_digit()) && out.ends_with("status ");
        if hexy {
            out.push('#');
        } else if status {
            out.push_str(word);
        } else {
            let mut digits = false;
            for c in word.chars() {
                if c.is_ascii_digit() {
                    if !digits {
                        out.push('#');
                    }
                    digits = true;
                } else {
                    digits = false;
                    out.push(c);
                }
            }
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The run's findings: every failed check result, grouped by defect, most severe first
/// (then by check id), with the places each occurred in run order.
pub fn findings(run: &RunResult) -> Vec<Finding> {
    let mut found: Vec<(String, Finding)> = Vec::new();
    for scenario in &run.scenarios {
        for (step, check) in scenario.checks() {
            if check.outcome != Outcome::Fail {
                continue;
            }
            let k = key_of(check);
            let at = check
                .location
                .as_ref()
                .unwrap_or(&step.location)
                .to_string();
            let occurrence = Occurrence {
                client: scenario.client.clone(),
                scenario: scenario.name.clone(),
                step: step.name.clone(),
                at,
            };
            match found.iter_mut().find(|(have, _)| *have == k) {
                Some((_, f)) => f.occurrences.push(occurrence),
                None => found.push((
                    k,
                    Finding {
                        number: 0,
                        check: check.clone(),
                        occurrences: vec![occurrence],
                    },
                )),
            }
        }
    }
    let mut out: Vec<Finding> = found.into_iter().map(|(_, f)| f).collect();
    // Stable: equal severity and id keep run order.
    // Critical first (the enum's order).
    out.sort_by(|a, b| (a.check.severity, &a.check.id).cmp(&(b.check.severity, &b.check.id)));
    for (i, f) in out.iter_mut().enumerate() {
        f.number = i + 1;
    }
    out
}

/// The grouping key of one failed check result: results with equal keys are one finding.
pub fn key_of(check: &CheckResult) -> String {
    key(
        &check.id,
        check.expected.as_deref(),
        check.actual.as_deref(),
        check.message.as_deref(),
    )
}

/// The finding a failed check result belongs to, by the key `findings` groups with.
pub fn number_of(findings: &[Finding], check: &CheckResult) -> Option<usize> {
    let k = key_of(check);
    findings
        .iter()
        .find(|f| key_of(&f.check) == k)
        .map(|f| f.number)
}

/// The first `shown` places, then how many more: `a, b, c and 4 more`.
pub fn fold(places: &[String], shown: usize) -> String {
    let mut out = places
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if places.len() > shown {
        out.push_str(&format!(" and {} more", places.len() - shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_ids_times_and_indices_only() {
        assert_eq!(
            mask("/Resources/3/meta/location: \"/Users/2a77ae92331c4f7da3732e1770c2ce6c\""),
            "/Resources/#/meta/location: \"/Users/#\""
        );
        assert_eq!(
            mask("2026-12-02T12:47:19Z at http://127.0.0.1:42391/x"),
            "#-#-#T#:#:#Z at http://#.#.#.#:#/x"
        );
        assert_eq!(
            mask("status 400 (invalidValue)"),
            "status 400 (invalidValue)"
        );
        assert_ne!(mask("status 400: {}"), mask("status 500: {}"));
        assert_eq!(
            mask("status 201: {\"id\":\"17\"}"),
            "status 201: {\"id\":\"#\"}"
        );
        assert_eq!(mask("userName differs"), "userName differs");
        assert_eq!(
            mask("9c68c662-ba7b-4c07-9d6a-e4938ee17e13"),
            mask("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
        );
    }
}
