//! The shares of a partitioned load (`--partition k/n` on n CI runners) joined into one
//! result: requests and events add up, latency histograms merge exactly, and the whole is
//! judged again as one tenant, since Entra's thresholds count the tenant, not a share.

use super::stats::Summary;
use super::{CleanupTally, Events, LoadResult, LoadSpec, Measured, RunFacts};
use crate::partition::Partition;

/// Joins `parts` (the `load.json` of each share) into the result of the whole tenant. A share
/// that is missing or given twice is refused: a verdict on part of a tenant is no verdict.
pub fn merge(parts: Vec<LoadResult>) -> Result<LoadResult, String> {
    let first = parts.first().ok_or("no load.json to merge")?;
    let same = |a: &LoadSpec, b: &LoadSpec| {
        (
            a.users,
            a.groups,
            a.members_per_group,
            a.member_batch,
            &a.client,
            a.partition.count,
        ) == (
            b.users,
            b.groups,
            b.members_per_group,
            b.member_batch,
            &b.client,
            b.partition.count,
        )
    };
    if let Some(other) = parts
        .iter()
        .find(|p| p.target_kind == "external" && p.target != first.target)
    {
        return Err(format!(
            "these are not shares of one load: run {} replayed against {}, run {} against {}",
            first.run_id, first.target, other.run_id, other.target
        ));
    }
    if let Some(other) = parts.iter().find(|p| !same(&p.spec, &first.spec)) {
        return Err(format!(
            "these are not shares of one load: run {} replays {} users, {} groups, {} members each as {} in {} shares, and run {} does not",
            first.run_id,
            first.spec.users,
            first.spec.groups,
            first.spec.members_per_group,
            first.spec.client,
            first.spec.partition.count,
            other.run_id
        ));
    }
    let shares: Vec<Partition> = parts.iter().map(|p| p.spec.partition).collect();
    crate::partition::complete(&shares)?;
    let mut problems = Vec::new();
    let summaries: Vec<Summary> = parts.iter().map(|p| p.summary.clone()).collect();
    let summary = Summary::merge(&summaries)?;
    let mut events = Events::default();
    let mut cleanup = CleanupTally::default();
    for p in &parts {
        events.succeeded += p.events.succeeded;
        events.failed += p.events.failed;
        events.reference_failed += p.events.reference_failed;
        cleanup.deleted += p.cleanup.deleted;
        cleanup.already_gone += p.cleanup.already_gone;
        cleanup
            .left_behind
            .extend(p.cleanup.left_behind.iter().cloned());
    }
    problems.extend(parts.iter().filter_map(|p| {
        p.gave_up
            .as_ref()
            .map(|g| format!("share {}: {g}", p.spec.partition))
    }));
    let spec = LoadSpec {
        partition: Partition::WHOLE,
        concurrency: parts.iter().map(|p| p.spec.concurrency).sum(),
        rate: parts
            .iter()
            .map(|p| p.spec.rate)
            .try_fold(0.0, |sum, r| r.map(|r| sum + r)),
        ..first.spec.clone()
    };
    let measured = Measured {
        run_id: parts
            .iter()
            .map(|p| p.run_id.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        summary,
        events,
        cleanup: Vec::new(),
        interrupted: parts.iter().any(|p| p.interrupted),
        gave_up: (!problems.is_empty()).then(|| problems.join("; ")),
    };
    let facts = RunFacts {
        target: first.target.clone(),
        target_kind: first.target_kind.clone(),
        started_at: parts
            .iter()
            .map(|p| p.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: parts
            .iter()
            .map(|p| p.finished_at.clone())
            .max()
            .unwrap_or_default(),
        timeout_s: parts.iter().map(|p| p.timeout_s).max().unwrap_or(30),
        terminated: parts.iter().any(|p| p.exit_code == crate::exit::TERMINATED),
    };
    let mut merged = LoadResult::from_parts(&spec, measured, cleanup, facts);
    // The tenant the shares replayed: their own sizes added up (a share's groups hold its own
    // users only, so a whole tenant's spec would count memberships no share sent).
    let tenant = parts.iter().fold((0u64, 0u64, 0u64), |(u, g, m), p| {
        let (pu, pg, pm) = p.spec.sizes();
        (u + pu, g + pg, m + pg.saturating_mul(pm))
    });
    let requests = parts.iter().map(|p| p.estimate.requests).sum();
    let measured_again = Measured {
        run_id: merged.run_id.clone(),
        summary: merged.summary.clone(),
        events: merged.events,
        cleanup: Vec::new(),
        interrupted: merged.interrupted,
        gave_up: merged.gave_up.clone(),
    };
    merged.estimate = super::verdict::estimate_for(tenant, requests, &measured_again);
    Ok(merged)
}
