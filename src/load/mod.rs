//! `idgate load`: Entra's initial provisioning cycle for a tenant of a given size, replayed
//! with the chosen client's own requests at a bounded concurrency (and rate), measured in
//! histograms, judged the way Entra would judge it (`verdict`), and cleaned up through the
//! ledger like every run: each create is journaled before it is sent, and the deletes go at
//! the run's pace, resumable by `idgate cleanup`.
//!
//! The cycle, in Entra's order: each user matched by filter then created; each group matched
//! then created empty; members added in batches; then an update wave and a disable wave.

pub mod cycle;
pub mod merge;
pub mod repeat;
pub mod stats;
pub mod verdict;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Exchange, Request, TransportError};
use crate::ledger::{Entry, Ledger, resource_id};
use crate::pace::Pace;
use crate::partition::Partition;
use crate::result::CleanupResult;
use crate::run::cleanup::cleanup_paced;
use crate::scenario::Suite;
use crate::session::{Session, SetupError};
use cycle::{Names, Requests, UserValues, members_of};
use stats::{Answer, Stats, Summary};

/// What to replay: the tenant's size and how hard to push.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadSpec {
    pub users: usize,
    pub groups: usize,
    pub members_per_group: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// At most this many requests a second (none: as fast as the concurrency allows).
    pub rate: Option<f64>,
    /// Members per group PATCH. Entra's batch size is not published; its documented
    /// request adds one, and the gallery recommends that several in one PATCH work.
    pub member_batch: usize,
    pub client: String,
    #[serde(with = "partition_text")]
    pub partition: Partition,
}

impl LoadSpec {
    /// The requests Entra's cycle sends for this tenant (this share of it), cleanup apart:
    /// two per user (match, create), two per group, the member PATCHes, and the two waves.
    pub fn requests(&self) -> u64 {
        let (users, groups, members) = self.sizes();
        let batches = members.div_ceil(self.member_batch.max(1) as u64);
        users
            .saturating_mul(4)
            .saturating_add(groups.saturating_mul(batches.saturating_add(2)))
    }

    /// Users, groups and memberships: what Microsoft's cycle-time formula counts.
    pub fn objects(&self) -> u64 {
        let (users, groups, members) = self.sizes();
        users
            .saturating_add(groups)
            .saturating_add(groups.saturating_mul(members))
    }

    /// This share's users, groups, and members of each group (never more than its users: a
    /// share's groups hold its own users only, so no membership refers to another share).
    pub fn sizes(&self) -> (u64, u64, u64) {
        let users = self.share(self.users);
        (
            users,
            self.share(self.groups),
            (self.members_per_group as u64).min(users),
        )
    }

    /// How many of `0..n` fall in this share: every count-th from index-1.
    fn share(&self, n: usize) -> u64 {
        let (n, count, index) = (
            n as u64,
            u64::from(self.partition.count.max(1)),
            u64::from(self.partition.index.max(1)),
        );
        n / count + u64::from(index - 1 < n % count)
    }
}

mod partition_text {
    use super::Partition;
    pub fn serialize<S: serde::Serializer>(p: &Partition, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Partition, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Provisioning events as Entra counts them for quarantine: one per object operation (a user
/// created, a group created, a member added, a user updated or disabled), not per request.
/// A member that could not be added is a reference failure, which Entra's 40% and 40,000
/// thresholds leave out and its 60,000 one counts.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Events {
    pub succeeded: u64,
    pub failed: u64,
    pub reference_failed: u64,
}

/// A phase of the cycle and how far it got, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    pub phase: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What a load run measured, before it is judged.
#[derive(Debug, Clone)]
pub struct Measured {
    pub run_id: String,
    pub summary: Summary,
    pub events: Events,
    pub cleanup: Vec<CleanupResult>,
    /// The cycle stopped before its end (Ctrl-C, SIGTERM).
    pub interrupted: bool,
    /// The cycle was ended early, and why (the target stopped answering).
    pub gave_up: Option<String>,
}

/// Timeouts in a row after which the target is taken to have stopped answering: every later
/// request would cost its full timeout.
const TIMEOUTS_IN_A_ROW: usize = 20;

struct Cycle<'a> {
    session: &'a Session,
    requests: Requests<'a>,
    names: Names,
    base: String,
    created_by: String,
    pace: Option<Pace>,
    start: Instant,
    stats: Mutex<Stats>,
    events: Mutex<Events>,
    users: Mutex<Vec<Option<String>>>,
    groups: Mutex<Vec<Option<String>>>,
    timeouts_in_a_row: AtomicUsize,
    gave_up: Mutex<Option<String>>,
}

/// Replay the cycle of `spec` against the session's SCIM target, then delete what it created.
pub async fn run(
    suite: &Suite,
    session: &Session,
    spec: &LoadSpec,
    tick: &(dyn Fn(Tick) + Sync),
) -> Result<Measured, SetupError> {
    let base = session.target.scim.base().to_string();
    let requests = Requests::new(
        suite,
        &spec.client,
        &base,
        &session.values,
        spec.member_batch,
    )?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let users: Vec<usize> = (0..spec.users)
        .filter(|i| spec.partition.takes(*i))
        .collect();
    let groups: Vec<usize> = (0..spec.groups)
        .filter(|g| spec.partition.takes(*g))
        .collect();
    let c = Cycle {
        session,
        requests,
        names: Names::new(&session.values, &run_id, spec.partition),
        created_by: format!("load {run_id}"),
        base,
        pace: spec.rate.map(Pace::per_second),
        start: Instant::now(),
        stats: Mutex::new(Stats::default()),
        events: Mutex::new(Events::default()),
        users: Mutex::new(vec![None; users.len()]),
        groups: Mutex::new(vec![None; groups.len()]),
        timeouts_in_a_row: AtomicUsize::new(0),
        gave_up: Mutex::new(None),
    };
    let width = spec.concurrency.max(1);

    c.phase("users", users.len(), width, tick, |p| {
        c.provision_user(p, users[p])
    })
    .await;
    c.phase("groups", groups.len(), width, tick, |p| {
        c.provision_group(p, groups[p])
    })
    .await;
    // Each group's members in PATCHes of `batch`, worked out from the phase's index as it
    // goes: a tenant of many groups holds no list of every membership.
    let batch = spec.member_batch.max(1);
    let k = spec.members_per_group.min(users.len());
    let per_group = k.div_ceil(batch);
    let cycle = &c;
    c.phase("members", groups.len() * per_group, width, tick, |i| {
        let (g, part) = (i / per_group, i % per_group);
        let members: Vec<usize> = members_of(g, k, users.len())
            .skip(part * batch)
            .take(batch)
            .collect();
        async move { cycle.add_members(g, &members).await }
    })
    .await;
    c.phase("updates", users.len(), width, tick, |p| {
        c.change_user(p, users[p], "update-user")
    })
    .await;
    c.phase("disables", users.len(), width, tick, |p| {
        c.change_user(p, users[p], "disable-user")
    })
    .await;
    let wall = c.start.elapsed();
    // Read before cleanup: a Ctrl-C during cleanup does not make a whole cycle a stopped one.
    let interrupted = session.stopped();

    // What the cycle created goes at its pace, Ctrl-C or not; a second signal leaves the
    // rest in the ledger for `idgate cleanup`.
    let mine = format!("{} › ", c.created_by);
    let pending = {
        let ledger = session.ledger.lock().await;
        ledger
            .pending(&c.base)
            .iter()
            .filter(|e| e.created_by.starts_with(&mine))
            .count() as u64
            + ledger
                .unsettled(&c.base)
                .iter()
                .filter(|i| i.created_by.starts_with(&mine))
                .count() as u64
    };
    let deleted = AtomicU64::new(0);
    let progress = |_: &CleanupResult| {
        tick(Tick {
            phase: "cleanup",
            done: deleted.fetch_add(1, Ordering::Relaxed) + 1,
            total: pending,
        })
    };
    tick(Tick {
        phase: "cleanup",
        done: 0,
        total: pending,
    });
    let cleanup = cleanup_paced(
        &session.target.scim,
        &session.ledger,
        &c.base,
        Some(&c.created_by),
        width,
        c.pace.as_ref(),
        Some(&progress),
    )
    .await;
    let summary = c.stats.lock().expect("stats").summary(wall);
    let events = *c.events.lock().expect("events");
    let gave_up = c.gave_up.lock().expect("gave up").clone();
    Ok(Measured {
        run_id,
        summary,
        events,
        cleanup,
        interrupted,
        gave_up,
    })
}

impl Cycle<'_> {
    /// Play `total` operations, `width` at a time; none starts once the run is stopped.
    async fn phase<F, Fut>(
        &self,
        phase: &'static str,
        total: usize,
        width: usize,
        tick: &(dyn Fn(Tick) + Sync),
        op: F,
    ) where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let done = AtomicU64::new(0);
        tick(Tick {
            phase,
            done: 0,
            total: total as u64,
        });
        stream::iter(0..total)
            .for_each_concurrent(width, |i| {
                let (op, done) = (&op, &done);
                async move {
                    if self.stopped() {
                        return;
                    }
                    op(i).await;
                    tick(Tick {
                        phase,
                        done: done.fetch_add(1, Ordering::Relaxed) + 1,
                        total: total as u64,
                    });
                }
            })
            .await;
    }

    fn stopped(&self) -> bool {
        self.session.stopped() || self.gave_up.lock().expect("gave up").is_some()
    }

    fn event(&self, ok: bool) {
        let mut e = self.events.lock().expect("events");
        if ok {
            e.succeeded += 1;
        } else {
            e.failed += 1;
        }
    }

    /// Send one request of `kind`, at the pace, and measure it.
    async fn send(&self, kind: &'static str, req: Result<Request, String>) -> Option<Exchange> {
        let req = match req {
            Ok(r) => r,
            Err(e) => {
                // The probe at start rendered every action, so this is a value the target
                // gave back (an id) that the template cannot carry.
                self.give_up(format!("a {kind} request could not be built: {e}"));
                return None;
            }
        };
        if let Some(p) = &self.pace {
            p.wait().await;
        }
        let at = self.start.elapsed();
        let sent = Instant::now();
        let result = self.session.target.scim.send(&req).await;
        let took = sent.elapsed();
        let (answer, waits, exchange) = match result {
            Ok(x) => {
                let waits: Vec<Duration> = x
                    .throttled
                    .iter()
                    .map(|(_, s)| Duration::from_secs(*s))
                    .collect();
                (Answer::Status(x.response.status), waits, Some(x))
            }
            Err(TransportError::Timeout { .. }) => (Answer::Timeout, Vec::new(), None),
            // Still 429 after the waits it asked for: counted as the 429 it is, and the waits
            // are idgate honouring Retry-After, not the time the answer took.
            Err(TransportError::RateLimited { waited, .. }) => (
                Answer::Status(429),
                waited.iter().map(|s| Duration::from_secs(*s)).collect(),
                None,
            ),
            Err(_) => (Answer::NoAnswer, Vec::new(), None),
        };
        let waited: Duration = waits.iter().sum();
        self.stats.lock().expect("stats").record(
            kind,
            at,
            answer,
            took.saturating_sub(waited),
            &waits,
        );
        if answer == Answer::Timeout {
            let n = self.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= TIMEOUTS_IN_A_ROW {
                self.give_up(format!(
                    "{n} requests in a row got no answer within the timeout of {} s, so the cycle ended early",
                    self.session.target.scim.timeout().as_secs()
                ));
            }
        } else {
            self.timeouts_in_a_row.store(0, Ordering::Relaxed);
        }
        exchange
    }

    fn give_up(&self, why: String) {
        self.gave_up.lock().expect("gave up").get_or_insert(why);
    }

    /// Match by filter, then create: one event. A name that matches someone is not created
    /// (the run's names are its own, so that someone is not idgate's to touch).
    async fn provision_user(&self, position: usize, index: usize) {
        let user = UserValues::new(&self.names, index);
        let matched = self
            .send("match-user", self.requests.match_user(&user.user_name))
            .await;
        if !matched.as_ref().is_some_and(finds_nobody) {
            return self.event(false);
        }
        let id = self
            .create(
                "Users",
                &user.user_name,
                "create-user",
                self.requests.create_user(&user),
            )
            .await;
        self.event(id.is_some());
        self.users.lock().expect("users")[position] = id;
    }

    async fn provision_group(&self, position: usize, index: usize) {
        let name = self.names.group(index);
        let matched = self
            .send("match-group", self.requests.match_group(&name))
            .await;
        if !matched.as_ref().is_some_and(finds_nobody) {
            return self.event(false);
        }
        let external_id = uuid::Uuid::new_v4().to_string();
        let id = self
            .create(
                "Groups",
                &name,
                "create-group",
                self.requests.create_group(&name, &external_id),
            )
            .await;
        self.event(id.is_some());
        self.groups.lock().expect("groups")[position] = id;
    }

    /// A create, journaled as intended before it is sent and as created once answered; an
    /// unanswered one stays intended, for cleanup to look up by its name.
    async fn create(
        &self,
        kind: &str,
        name: &str,
        request_kind: &'static str,
        req: Result<Request, String>,
    ) -> Option<String> {
        let intent = self.session.ledger.lock().await.intend(
            &self.base,
            kind,
            name,
            &format!("{} › {request_kind}", self.created_by),
        );
        let x = self.send(request_kind, req).await?;
        let status = x.response.status;
        let id = (200..300)
            .contains(&status)
            .then(|| {
                serde_json::from_str::<Value>(&x.response.body)
                    .ok()
                    .and_then(|b| resource_id(&b))
            })
            .flatten();
        let mut ledger = self.session.ledger.lock().await;
        if let Some(id) = &id {
            ledger.created(Entry {
                target: self.base.clone(),
                kind: kind.to_string(),
                id: id.clone(),
                created_by: format!("{} › {request_kind}", self.created_by),
            });
        }
        if Ledger::answer_settles(status, id.is_some()) {
            ledger.settle(&intent);
        }
        id
    }

    /// One PATCH adding a batch of members; each member is an event, and a member whose user
    /// was never created, or a batch refused, is a reference failure.
    async fn add_members(&self, group: usize, members: &[usize]) {
        let Some(group_id) = self.groups.lock().expect("groups")[group].clone() else {
            self.events.lock().expect("events").reference_failed += members.len() as u64;
            return;
        };
        let ids: Vec<String> = {
            let users = self.users.lock().expect("users");
            members.iter().filter_map(|m| users[*m].clone()).collect()
        };
        let missing = (members.len() - ids.len()) as u64;
        self.events.lock().expect("events").reference_failed += missing;
        if ids.is_empty() {
            return;
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let x = self
            .send("add-members", self.requests.add_members(&group_id, &refs))
            .await;
        let ok = x.is_some_and(|x| (200..300).contains(&x.response.status));
        let mut e = self.events.lock().expect("events");
        if ok {
            e.succeeded += ids.len() as u64;
        } else {
            e.reference_failed += ids.len() as u64;
        }
    }

    /// The update or disable wave's PATCH of one created user.
    async fn change_user(&self, position: usize, index: usize, kind: &'static str) {
        let Some(id) = self.users.lock().expect("users")[position].clone() else {
            return;
        };
        let req = if kind == "update-user" {
            self.requests.update_user(&id, index)
        } else {
            self.requests.disable_user(&id)
        };
        let x = self.send(kind, req).await;
        self.event(x.is_some_and(|x| (200..300).contains(&x.response.status)));
    }
}

/// A 200 ListResponse that holds nobody: the name is free to create.
fn finds_nobody(x: &Exchange) -> bool {
    x.response.status == 200
        && serde_json::from_str::<Value>(&x.response.body)
            .ok()
            .and_then(|b| b.get("totalResults").and_then(Value::as_u64))
            == Some(0)
}

/// The version of `load.json`'s layout; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// A load run, judged: what every load report is written from, and what `idgate report
/// merge` reads back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub schema_version: u32,
    pub idgate_version: String,
    pub started_at: String,
    pub finished_at: String,
    /// The SCIM base URL.
    pub target: String,
    /// `embedded` or `external`.
    pub target_kind: String,
    pub spec: LoadSpec,
    pub run_id: String,
    pub summary: Summary,
    pub events: Events,
    pub requirements: Vec<verdict::Requirement>,
    pub estimate: verdict::Estimate,
    pub cleanup: CleanupTally,
    pub interrupted: bool,
    pub gave_up: Option<String>,
    /// idgate's `--timeout`, which the 60-second requirement is judged against.
    pub timeout_s: u64,
    /// `pass`, `fail`, `error` (the run could not finish: left resources, a target that
    /// stopped answering) or `interrupted`.
    pub verdict: String,
    pub exit_code: u8,
}

/// What a load run was, beside what it measured: where, when, and how patient.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub target: String,
    pub target_kind: String,
    pub started_at: String,
    pub finished_at: String,
    pub timeout_s: u64,
    /// Stopped by SIGTERM rather than Ctrl-C.
    pub terminated: bool,
}

/// What cleanup did: counts, and each resource it could not show gone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CleanupTally {
    pub deleted: u64,
    pub already_gone: u64,
    pub left_behind: Vec<CleanupResult>,
}

impl LoadResult {
    /// Judge `m`: the requirements, the estimate, the verdict and its exit code.
    pub fn judge(spec: &LoadSpec, m: Measured, run: RunFacts) -> LoadResult {
        let mut cleanup = CleanupTally::default();
        for r in &m.cleanup {
            match r.outcome.as_str() {
                "deleted" => cleanup.deleted += 1,
                "already-gone" => cleanup.already_gone += 1,
                _ => cleanup.left_behind.push(r.clone()),
            }
        }
        LoadResult::from_parts(spec, m, cleanup, run)
    }

    /// As [`LoadResult::judge`], with cleanup already tallied (the shares of a merged run).
    pub fn from_parts(
        spec: &LoadSpec,
        m: Measured,
        cleanup: CleanupTally,
        run: RunFacts,
    ) -> LoadResult {
        let requirements = verdict::judge(spec, &m, run.timeout_s);
        let estimate = verdict::estimate(spec, &m);
        let failed = requirements
            .iter()
            .any(|r| r.outcome == crate::result::Outcome::Fail);
        let (verdict, exit_code) = if m.interrupted {
            (
                "interrupted",
                if run.terminated {
                    crate::exit::TERMINATED
                } else {
                    crate::exit::INTERRUPTED
                },
            )
        } else if !cleanup.left_behind.is_empty() || m.gave_up.is_some() {
            ("error", crate::exit::RUNTIME)
        } else if failed {
            ("fail", crate::exit::CHECK_FAILED)
        } else {
            ("pass", crate::exit::OK)
        };
        LoadResult {
            schema_version: SCHEMA_VERSION,
            idgate_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: run.started_at,
            finished_at: run.finished_at,
            target: run.target,
            target_kind: run.target_kind,
            spec: spec.clone(),
            run_id: m.run_id,
            summary: m.summary,
            events: m.events,
            requirements,
            estimate,
            cleanup,
            interrupted: m.interrupted,
            gave_up: m.gave_up,
            timeout_s: run.timeout_s,
            verdict: verdict.to_string(),
            exit_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(users: usize, groups: usize, k: usize, batch: usize, share: &str) -> LoadSpec {
        LoadSpec {
            users,
            groups,
            members_per_group: k,
            concurrency: 1,
            rate: None,
            member_batch: batch,
            client: "entra-2020".into(),
            partition: share.parse().unwrap(),
        }
    }

    #[test]
    fn a_shares_size_is_counted_as_its_positions_are_taken() {
        for (n, share) in [
            (10, "1/3"),
            (10, "2/3"),
            (10, "3/3"),
            (2, "3/4"),
            (0, "1/2"),
        ] {
            let s = spec(n, n, 0, 1, share);
            let counted = (0..n).filter(|i| s.partition.takes(*i)).count() as u64;
            assert_eq!(s.sizes().0, counted, "{n} users, share {share}");
        }
        // A share's groups hold its own users only: members never outnumber them.
        assert_eq!(spec(10, 4, 8, 3, "2/2").sizes(), (5, 2, 5));
        // 5 users × 4 requests, 2 groups × (match, create, two PATCHes of at most 3).
        assert_eq!(spec(10, 4, 8, 3, "2/2").requests(), 5 * 4 + 2 * (2 + 2));
        assert_eq!(spec(10, 4, 8, 3, "2/2").objects(), 5 + 2 + 2 * 5);
        let huge = spec(usize::MAX / 2, usize::MAX / 2, 100_000, 1, "1/1");
        assert_eq!(huge.requests(), u64::MAX, "saturates, never wraps");
    }
}
