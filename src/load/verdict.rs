//! The verdict Entra would give: each requirement Microsoft states for a provisioning target
//! under load, judged from what the run measured, with the figures that judged it and the
//! sentence it comes from; and how long a real first cycle of this tenant would take.

use serde::{Deserialize, Serialize};

use super::{Events, LoadSpec, Measured};
use crate::result::Outcome;

/// Microsoft's gallery requirement, in requests a second per tenant.
pub const REQUIRED_PER_SECOND: f64 = 25.0;
/// Entra's quarantine thresholds (Microsoft Learn, "Application provisioning in quarantine
/// status"): failures before any evaluation, the share and count of non-reference failures
/// that quarantine, and the count of all failures that does.
pub const ESCROW_FROM: u64 = 5_000;
pub const QUARANTINE_SHARE: f64 = 0.40;
pub const QUARANTINE_FAILURES: u64 = 40_000;
pub const QUARANTINE_ALL_FAILURES: u64 = 60_000;
/// Microsoft's cycle-time formula: 0.01 to 0.08 minutes per user, group and group member.
pub const MINUTES_PER_OBJECT: (f64, f64) = (0.01, 0.08);

const RATE_SOURCE: &str = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups";
const QUARANTINE_SOURCE: &str = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status";
const RETRY_SOURCE: &str =
    "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works";
const ANSWER_SOURCE: &str = "https://learn.microsoft.com/en-us/answers/questions/1151866/";
const CYCLE_SOURCE: &str = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-when-will-provisioning-finish-specific-user";

/// One requirement, judged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    /// The sentence the requirement comes from, quoted.
    pub rule: String,
    pub source: String,
    pub outcome: Outcome,
    /// What was measured, in words, with the figures.
    pub evidence: String,
}

/// How long a real first cycle of this tenant would take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Estimate {
    /// Users, groups and memberships.
    pub objects: u64,
    /// The requests Entra's cycle sends for them.
    pub requests: u64,
    /// At the rate the endpoint served this run.
    pub endpoint_minutes: Option<f64>,
    /// Microsoft's formula, low and high.
    pub entra_minutes: (f64, f64),
    pub text: String,
    pub source: String,
}

/// Every requirement of a load run, in a fixed order.
pub fn judge(spec: &LoadSpec, m: &Measured, timeout_s: u64) -> Vec<Requirement> {
    vec![
        rate(spec, m),
        quarantine(&m.events),
        every_object(&m.events, m),
        answers_in_time(m, timeout_s),
    ]
}

/// Requests answered 2xx, per second of the cycle.
pub fn served_per_second(m: &Measured) -> f64 {
    if m.summary.wall_s <= 0.0 {
        return 0.0;
    }
    (m.summary.requests - m.summary.failed) as f64 / m.summary.wall_s
}

fn rate(spec: &LoadSpec, m: &Measured) -> Requirement {
    let served = served_per_second(m);
    let p50 = m
        .summary
        .kinds
        .iter()
        .map(|k| k.p50_ms)
        .fold(0.0_f64, f64::max);
    let (outcome, evidence) = match spec.rate {
        Some(r) if r < REQUIRED_PER_SECOND => (
            Outcome::Skip,
            format!("not measured: --rate {r} holds idgate below {REQUIRED_PER_SECOND} a second"),
        ),
        _ if m.summary.requests == 0 => (Outcome::Skip, "no request was sent".to_string()),
        _ => {
            let line = format!(
                "{served:.1} requests a second answered 2xx ({} of {} requests in {:.1} s) at --concurrency {}",
                m.summary.requests - m.summary.failed,
                m.summary.requests,
                m.summary.wall_s,
                spec.concurrency
            );
            let cap = if p50 > 0.0 {
                spec.concurrency as f64 * 1000.0 / p50
            } else {
                f64::INFINITY
            };
            let throttled = &m.summary.throttled;
            if served >= REQUIRED_PER_SECOND {
                (Outcome::Pass, line)
            } else if throttled.answers_429 > 0 {
                (
                    Outcome::Fail,
                    format!(
                        "{line}; the target answered 429 {} times, and honouring its Retry-After kept idgate waiting {:.1} s in all",
                        throttled.answers_429, throttled.waited_s
                    ),
                )
            } else if cap < REQUIRED_PER_SECOND {
                (
                    Outcome::Fail,
                    format!(
                        "{line}; the slowest kind's median answer took {p50:.0} ms, so {} requests in flight serve at most {cap:.1} a second",
                        spec.concurrency
                    ),
                )
            } else {
                // Fast answers, but not 2xx: what was refused is the cause, not the pace.
                (
                    Outcome::Fail,
                    format!(
                        "{line}; the answers came fast (median {p50:.0} ms at worst), but {} of {} were not 2xx",
                        m.summary.failed, m.summary.requests
                    ),
                )
            }
        }
    };
    Requirement {
        id: "load.requests-per-second".into(),
        title: format!("Serves at least {REQUIRED_PER_SECOND} requests a second"),
        rule: "\"Support at least 25 requests per second per tenant to ensure that users and groups are provisioned and deprovisioned without delay (Required)\"".into(),
        source: RATE_SOURCE.into(),
        outcome,
        evidence,
    }
}

/// Whether Entra would quarantine the job, counted as its quarantine page counts.
pub fn would_quarantine(e: &Events) -> (bool, String) {
    let all = e.failed + e.reference_failed;
    let judged = e.failed + e.succeeded;
    let share = if judged == 0 {
        0.0
    } else {
        e.failed as f64 / judged as f64
    };
    let counts = format!(
        "{} failed, {} reference failures, {} succeeded: {:.1}% of non-reference events failed",
        e.failed,
        e.reference_failed,
        e.succeeded,
        share * 100.0
    );
    if all > QUARANTINE_ALL_FAILURES {
        return (
            true,
            format!("{counts}; {all} failures in all pass the absolute {QUARANTINE_ALL_FAILURES}"),
        );
    }
    if all >= ESCROW_FROM && (share > QUARANTINE_SHARE || e.failed > QUARANTINE_FAILURES) {
        return (
            true,
            format!(
                "{counts}; from {ESCROW_FROM} failures Entra evaluates, and more than {:.0}% (or {QUARANTINE_FAILURES}) quarantines",
                QUARANTINE_SHARE * 100.0
            ),
        );
    }
    let reach = if share > QUARANTINE_SHARE {
        // The same share in a bigger tenant reaches the evaluation.
        let objects = (ESCROW_FROM as f64 / share).ceil();
        format!("; the same share in a tenant of {objects:.0} or more events would be quarantined")
    } else {
        String::new()
    };
    (false, format!("{counts}; below Entra's thresholds{reach}"))
}

fn quarantine(e: &Events) -> Requirement {
    let (quarantined, evidence) = would_quarantine(e);
    Requirement {
        id: "load.no-quarantine".into(),
        title: "Entra would not quarantine the app".into(),
        rule: "\"5,000 failures are the minimum to start evaluating whether to quarantine because of too many failures. [...] If more than 40% of provisioning events fail, or there are more than 40,000 failures, the provisioning job will go into quarantine. Reference failures won't be counted as part of the 40% threshold or 40,000 threshold. [...] There's an absolute threshold of 60,000 failures that accounts for both reference and non-reference failures.\"".into(),
        source: QUARANTINE_SOURCE.into(),
        outcome: if quarantined {
            Outcome::Fail
        } else {
            Outcome::Pass
        },
        evidence,
    }
}

fn every_object(e: &Events, m: &Measured) -> Requirement {
    let failures = e.failed + e.reference_failed;
    let answers: Vec<String> = m
        .summary
        .answers
        .iter()
        .filter(|(a, _)| !a.starts_with('2'))
        .map(|(a, n)| format!("{n} × {a}"))
        .collect();
    let (outcome, evidence) = if failures == 0 && e.succeeded > 0 {
        (
            Outcome::Pass,
            format!("all {} events succeeded", e.succeeded),
        )
    } else if e.succeeded == 0 && failures == 0 {
        (Outcome::Skip, "no object was provisioned".into())
    } else {
        (
            Outcome::Fail,
            format!(
                "{} of {} events failed ({} of them references); answers other than 2xx: {}",
                failures,
                failures + e.succeeded,
                e.reference_failed,
                if answers.is_empty() {
                    "none (a match found someone)".into()
                } else {
                    answers.join(", ")
                }
            ),
        )
    };
    Requirement {
        id: "load.every-object-provisioned".into(),
        title: "Every user, group and membership is provisioned in the first cycle".into(),
        rule: "\"If an error in the target system prevents an individual user from being added, updated, or deleted in the target system, the operation is retried in the next sync cycle.\" A failure under load is a user who waits a cycle for access.".into(),
        source: RETRY_SOURCE.into(),
        outcome,
        evidence,
    }
}

fn answers_in_time(m: &Measured, timeout_s: u64) -> Requirement {
    let timeouts = m.summary.answers.get("timeout").copied().unwrap_or(0);
    let slowest_s = m.summary.slowest_ms / 1000.0;
    let (outcome, evidence) = if slowest_s >= 60.0 || (timeouts > 0 && timeout_s >= 60) {
        (
            Outcome::Fail,
            format!(
                "the slowest answer took {slowest_s:.1} s; {timeouts} request(s) got none within {timeout_s} s"
            ),
        )
    } else if timeouts > 0 {
        (
            Outcome::Skip,
            format!(
                "{timeouts} request(s) got no answer within idgate's --timeout of {timeout_s} s, so whether they would within 60 s is not known; run with --timeout 60 to judge this"
            ),
        )
    } else {
        (
            Outcome::Pass,
            format!("the slowest answer took {slowest_s:.2} s"),
        )
    };
    Requirement {
        id: "load.answers-within-60s".into(),
        title: "Every request is answered within 60 seconds".into(),
        rule: "\"A requirement for SCIM endpoints to work with Azure AD provisioning is the ability to provide responses within 60 seconds.\" (Microsoft Q&A, an answer by a Microsoft employee; not in the documentation)".into(),
        source: ANSWER_SOURCE.into(),
        outcome,
        evidence,
    }
}

/// A real first cycle of this tenant: Microsoft's formula, and what the endpoint's measured
/// rate allows; the slower of the two sets the time.
pub fn estimate(spec: &LoadSpec, m: &Measured) -> Estimate {
    let (users, groups, members) = spec.sizes();
    estimate_for(
        (users, groups, groups.saturating_mul(members)),
        spec.requests(),
        m,
    )
}

/// As [`estimate`], for a tenant of (users, groups, memberships) whose cycle sends `requests`.
pub fn estimate_for(tenant: (u64, u64, u64), requests: u64, m: &Measured) -> Estimate {
    let (users, groups, memberships) = tenant;
    let objects = users.saturating_add(groups).saturating_add(memberships);
    let entra = (
        objects as f64 * MINUTES_PER_OBJECT.0,
        objects as f64 * MINUTES_PER_OBJECT.1,
    );
    let served = served_per_second(m);
    let endpoint_minutes = (served > 0.0).then(|| requests as f64 / served / 60.0);
    let size = format!(
        "{users} users, {groups} groups and {memberships} memberships ({objects} objects, {requests} requests)"
    );
    let text = match endpoint_minutes {
        Some(e) if e > entra.1 => format!(
            "A first cycle of {size} would take about {e:.0} minutes: at the {served:.1} requests a second this endpoint served, it is slower than Entra's own pace ({:.0} to {:.0} minutes by Microsoft's formula)",
            entra.0, entra.1
        ),
        Some(e) => format!(
            "A first cycle of {size} takes Entra {:.0} to {:.0} minutes by Microsoft's formula; this endpoint would serve its requests in {e:.1} minutes, so Entra's pace, not the endpoint, sets the time",
            entra.0, entra.1
        ),
        None => format!(
            "A first cycle of {size} takes Entra {:.0} to {:.0} minutes by Microsoft's formula; this run served no request, so the endpoint's part is unknown",
            entra.0, entra.1
        ),
    };
    Estimate {
        objects,
        requests,
        endpoint_minutes,
        entra_minutes: entra,
        text,
        source: CYCLE_SOURCE.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn events(succeeded: u64, failed: u64, reference_failed: u64) -> Events {
        Events {
            succeeded,
            failed,
            reference_failed,
        }
    }

    #[test]
    fn quarantine_follows_microsofts_examples() {
        // "a job with 4,000 failures wouldn't go into quarantine"
        assert!(!would_quarantine(&events(0, 4_000, 0)).0);
        // "30,000 users failed provisioning and 5,000 were successful would lead to quarantine"
        assert!(would_quarantine(&events(5_000, 30_000, 0)).0);
        // "20,000 failures and 100,000 success wouldn't go into quarantine"
        assert!(!would_quarantine(&events(100_000, 20_000, 0)).0);
        // "40,000 users failed to be provisioned and 21,000 manager updates failed [...] exceeds"
        assert!(would_quarantine(&events(1_000_000, 40_000, 21_000)).0);
        // Reference failures are left out of the 40%.
        assert!(!would_quarantine(&events(10_000, 1_000, 20_000)).0);
        // More than 40,000 non-reference failures, whatever the share.
        assert!(would_quarantine(&events(1_000_000, 40_001, 0)).0);
    }

    /// A run whose answers came as `answers` (status or `timeout`), the slowest after `slowest`.
    fn measured(answers: &[(crate::load::stats::Answer, u64)], slowest: Duration) -> Measured {
        let mut stats = crate::load::stats::Stats::default();
        for (answer, n) in answers {
            for _ in 0..*n {
                stats.record("match-user", Duration::ZERO, *answer, slowest, &[]);
            }
        }
        Measured {
            run_id: "t".into(),
            summary: stats.summary(Duration::from_secs(1)),
            events: Events::default(),
            cleanup: Vec::new(),
            interrupted: false,
            gave_up: None,
        }
    }

    #[test]
    fn an_answer_of_a_minute_or_more_fails_and_a_short_timeout_cannot_judge() {
        use crate::load::stats::Answer;
        let ok = [(Answer::Status(200), 3)];
        let fast = measured(&ok, Duration::from_millis(200));
        assert_eq!(answers_in_time(&fast, 30).outcome, Outcome::Pass);
        let slow = measured(&ok, Duration::from_secs(61));
        let r = answers_in_time(&slow, 120);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.evidence);
        assert!(r.evidence.contains("61.0 s"), "{}", r.evidence);
        let timed_out = [(Answer::Status(200), 2), (Answer::Timeout, 1)];
        let r = answers_in_time(&measured(&timed_out, Duration::from_secs(30)), 30);
        assert_eq!(r.outcome, Outcome::Skip, "{}", r.evidence);
        assert!(r.evidence.contains("--timeout 60"), "{}", r.evidence);
        let r = answers_in_time(&measured(&timed_out, Duration::from_secs(60)), 60);
        assert_eq!(r.outcome, Outcome::Fail, "{}", r.evidence);
    }

    #[test]
    fn a_small_run_failing_too_often_says_where_it_would_be_quarantined() {
        let (q, why) = would_quarantine(&events(50, 50, 0));
        assert!(!q);
        assert!(why.contains("10000 or more events"), "{why}");
    }
}
