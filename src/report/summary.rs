//! What every summary of a run agrees on, whatever its format: the area a
//! check belongs to, one outcome for many results, the clients, the verdict
//! and the counts by area. The HTML page and the Markdown summary both read
//! them from here, so the two cannot tell a different story.

use std::collections::BTreeMap;

use crate::exit;
use crate::result::{Counts, Outcome, RunResult};

/// The part of the standards a check belongs to, read from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    /// `scim.entra.*`: what Entra's provisioning cycle needs beyond the RFCs.
    EntraCycle,
    /// Every other `scim.*` check, and the `rfc7644.*` suite: RFC 7643 and RFC 7644.
    ScimRfc,
    /// `saml.*`.
    Saml,
    /// Any check id outside `scim.`, `rfc7644.` and `saml.`.
    Other,
}

impl Area {
    /// Every area, in the order the reports list them.
    pub const ALL: [Area; 4] = [Area::EntraCycle, Area::ScimRfc, Area::Saml, Area::Other];

    /// The area of a check, from the prefix of its id.
    pub fn of(check_id: &str) -> Area {
        if check_id.starts_with("scim.entra.") {
            Area::EntraCycle
        } else if check_id.starts_with("scim.") || check_id.starts_with("rfc7644.") {
            Area::ScimRfc
        } else if check_id.starts_with("saml.") {
            Area::Saml
        } else {
            Area::Other
        }
    }

    /// The area's name as a heading shows it.
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
            Outcome::Reported => 1,
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

/// The one-line verdict every view agrees on, from the exit code: a class
/// (`pass`, `fail`, `error`, `interrupted`, `none`) and a headline.
pub fn verdict(run: &RunResult) -> (&'static str, &'static str) {
    match run.exit_code() {
        exit::OK if run.counts().pass + run.counts().flaky == 0 => ("none", "No checks ran"),
        exit::OK => ("pass", "All checks passed"),
        exit::RUNTIME => ("error", "The target could not be reached for some steps"),
        exit::CHECK_FAILED => ("fail", "Checks failed"),
        exit::INTERRUPTED => ("interrupted", "The run was interrupted"),
        exit::TERMINATED => ("interrupted", "The run was terminated (SIGTERM)"),
        _ => ("error", "The run did not complete"),
    }
}

/// Every check result of the run counted by the area of its check.
pub fn by_area(run: &RunResult) -> BTreeMap<Area, Counts> {
    let mut out: BTreeMap<Area, Counts> = BTreeMap::new();
    for s in &run.scenarios {
        for (_, check) in s.checks() {
            out.entry(Area::of(&check.id))
                .or_default()
                .add(check.outcome);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Area::of("rfc7644.filter.eq"), Area::ScimRfc);
    }
}
