//! The executor: plays a scenario as one client against a target, step by
//! step, turning each exchange into check results, carrying captured values
//! forward, and deleting what it created when the scenario ends. `run` plays
//! a whole plan, the SAML battery included, into one result tree.

pub mod cleanup;
mod clock;
pub mod event;
mod needs;
pub mod saml;
pub mod vars;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::check::{Finding, builtin, expect, snapshot};
use crate::http::{Exchange, Request, TransportError};
use crate::ledger::{Entry, Ledger};
use crate::result::*;
use crate::scenario::{Client, Expect, RequestTemplate, Scenario, Step, StepRequest, Suite};
use crate::scim::wire;
use crate::session::{Plan, Session};
pub use cleanup::cleanup;
use event::Recorder;
pub use event::{Event, Reporter, Silent};
use needs::Trace;
use vars::Vars;

/// How a plan is played.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Play a failed scenario again up to this many times; a later pass is flaky.
    pub retries: u32,
    /// Stop after the first scenario that fails.
    pub fail_fast: bool,
    /// How many scenarios play at once (0 and 1: one at a time).
    pub jobs: usize,
    /// A request still unanswered after this long is reported as slow (and waited for).
    pub slow_after: Duration,
    /// Play on after a request timed out (by default the rest of the run is skipped: a target
    /// that does not answer would cost every later request its timeout).
    pub keep_going: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            retries: 0,
            fail_fast: false,
            jobs: 1,
            slow_after: Duration::from_secs(5),
            keep_going: false,
        }
    }
}

/// Play the whole plan: its scenario pairs, then the SAML battery (unless a
/// `--fail-fast` failure or a stop came first), into one result tree. Without `--fail-fast`
/// the battery plays while the scenarios do (the SP and the SCIM endpoint are apart, and
/// neither waits on the other); its events are held back and shown after the scenarios',
/// as if it had come last.
pub async fn run(
    suite: &Suite,
    session: &Session,
    plan: &Plan<'_>,
    observer: &mut dyn Reporter,
    opts: PlanOptions,
) -> RunResult {
    let started_at = now();
    observer.event(&Event::RunStarted {
        target: &session.info,
        scenarios: plan.pairs.len(),
        cases: plan.cases.len(),
    });
    let battery = session
        .target
        .saml
        .as_ref()
        .filter(|_| !plan.cases.is_empty());
    let scenarios = match battery {
        Some(side) if !opts.fail_fast => {
            let alongside = async {
                let mut recorder = event::Recorder::default();
                let result =
                    saml::run_battery(side, &plan.cases, &session.stop, &mut recorder).await;
                (recorder, result)
            };
            let (mut scenarios, (recorder, result)) = futures_util::future::join(
                run_plan(suite, session, &plan.pairs, observer, opts),
                alongside,
            )
            .await;
            recorder.replay(observer);
            scenarios.push(result);
            scenarios
        }
        _ => {
            let mut scenarios = run_plan(suite, session, &plan.pairs, observer, opts).await;
            let failed_fast = opts.fail_fast && scenarios.iter().any(ScenarioResult::failed);
            if let Some(side) = battery
                && !failed_fast
                && !session.stopped()
            {
                scenarios.push(saml::run_battery(side, &plan.cases, &session.stop, observer).await);
            }
            scenarios
        }
    };
    let run = RunResult {
        idgate_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        finished_at: now(),
        target: session.info.clone(),
        scenarios,
        interrupted: session.stopped(),
        terminated: session.terminated(),
        partition: (!plan.partition.is_whole()).then(|| plan.partition.to_string()),
    };
    observer.event(&Event::RunFinished { run: &run });
    run
}

/// Whether an RFC 3339 timestamp carries a fraction of a second (`12:00:05.214Z`): its writer
/// tells apart writes less than a second apart.
fn has_fraction_of_second(stamp: &str) -> bool {
    stamp
        .split_once('T')
        .and_then(|(_, clock)| clock.get(8..))
        .is_some_and(|rest| {
            // `.000` is a whole-second clock writing milliseconds: no fraction in fact.
            rest.strip_prefix('.').is_some_and(|f| {
                let digits: &str = &f[..f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len())];
                digits.bytes().any(|d| d != b'0')
            })
        })
}

/// The time now, as report timestamps write it (RFC 3339, UTC).
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Play `scenario` as `client_name`.
pub async fn run_scenario(
    suite: &Suite,
    session: &Session,
    scenario: &Scenario,
    client_name: &str,
    observer: &mut dyn Reporter,
) -> ScenarioResult {
    run_scenario_with(
        suite,
        session,
        scenario,
        client_name,
        observer,
        PlanOptions::default(),
    )
    .await
}

async fn run_scenario_with(
    suite: &Suite,
    session: &Session,
    scenario: &Scenario,
    client_name: &str,
    observer: &mut dyn Reporter,
    opts: PlanOptions,
) -> ScenarioResult {
    let started = Instant::now();
    observer.event(&Event::ScenarioStarted {
        client: client_name,
        name: &scenario.name,
        description: &scenario.description,
        file: &scenario.file,
    });
    let client = &suite.clients[client_name];
    let target = &session.target;
    let stop = &session.stop;
    let ledger = &session.ledger;
    let base = target.scim.base().to_string();
    let created_by = format!("{client_name}/{}", scenario.name);
    let mut vars = Vars::with_values(&base, &session.values);
    let mut steps = Vec::new();
    // Why a capture is missing, for the reason of the steps that needed it.
    let mut missing_captures: HashMap<String, String> = HashMap::new();
    // An earlier timeout ended the run: this scenario's steps are skipped, saying so.
    let mut abort: Option<String> = session.gave_up();

    for (name, template) in &scenario.vars {
        match template.render(&mut vars) {
            Ok(v) => vars.set(name, Value::String(v)),
            Err(m) => abort = Some(format!("scenario variable `{name}` needs `{m}`")),
        }
    }
    // A scenario for an optional feature the target does not advertise tests nothing.
    for feature in &scenario.requires {
        if abort.is_none() {
            abort = session.advertised().await.why_not(feature, true);
        }
    }
    let mut trace = Trace::default();

    for step in &scenario.steps {
        if !step.clients.is_empty() && !step.clients.iter().any(|c| c == client_name) {
            continue;
        }
        let mut unmet = None;
        for c in &step.when {
            if unmet.is_none() {
                unmet = session.advertised().await.why_not(&c.feature, c.advertised);
            }
        }
        let unmet = unmet.or_else(|| trace.unmet(&step.needs, &step.name, &[]));
        let result = if let Some(reason) = &abort {
            skipped(suite, step, client_name, reason.clone())
        } else if *stop.borrow() {
            abort = Some("the run was interrupted".into());
            skipped(suite, step, client_name, "the run was interrupted".into())
        } else if let Some(reason) = unmet {
            skipped(suite, step, client_name, reason)
        } else {
            let ctx = StepContext {
                suite,
                session,
                scenario,
                client,
                client_name,
                base: &base,
                created_by: &created_by,
                slow_after: opts.slow_after,
                keep_going: opts.keep_going,
                trace: &trace,
            };
            let started = Instant::now();
            let mut r = run_step(&ctx, step, &mut vars, &mut missing_captures, observer).await;
            r.millis = started.elapsed().as_millis() as u64;
            if r.status == StepStatus::Error {
                abort = Some(format!(
                    "an earlier step (`{}`) could not get an answer from the target",
                    step.name
                ));
            }
            r
        };
        observer.event(&Event::CaseFinished { step: &result });
        trace.record(&result);
        steps.push(result);
    }

    let cleanup = cleanup(&target.scim, ledger, &base, Some(&created_by)).await;
    let result = ScenarioResult {
        name: scenario.name.clone(),
        client: client_name.to_string(),
        file: scenario.file.clone(),
        description: scenario.description.clone(),
        tags: scenario.tags.clone(),
        steps,
        cleanup,
        millis: started.elapsed().as_millis() as u64,
        attempts: 1,
        warnings: vec![],
    };
    observer.event(&Event::ScenarioFinished { result: &result });
    result
}

struct StepContext<'a> {
    suite: &'a Suite,
    session: &'a Session,
    scenario: &'a Scenario,
    client: &'a Client,
    client_name: &'a str,
    base: &'a str,
    created_by: &'a str,
    slow_after: Duration,
    keep_going: bool,
    /// What passed so far in this scenario run, for `needs`.
    trace: &'a Trace,
}

fn expects_for<'a>(step: &'a Step, client: &'a str) -> impl Iterator<Item = &'a Expect> {
    step.expects
        .iter()
        .filter(move |e| e.clients.is_empty() || e.clients.iter().any(|c| c == client))
}

fn check_result(suite: &Suite, id: &str, outcome: Outcome) -> CheckResult {
    let meta = suite.checks.get(id);
    CheckResult::new(
        id,
        meta.map_or_else(|| id.to_string(), |m| m.title.clone()),
        meta.map_or(crate::scenario::Severity::High, |m| m.severity),
        meta.map_or_else(String::new, |m| m.rule.clone()),
        outcome,
    )
}

/// A step that got no answer to check: each of its expectations gets `outcome`
/// (skip or error) with the reason.
fn unanswered(
    suite: &Suite,
    step: &Step,
    client: &str,
    outcome: Outcome,
    reason: String,
) -> StepResult {
    StepResult {
        name: step.name.clone(),
        location: Location::of(&step.span),
        status: if outcome == Outcome::Error {
            StepStatus::Error
        } else {
            StepStatus::Skipped
        },
        checks: expects_for(step, client)
            .map(|e| {
                let mut c = check_result(suite, &e.check, outcome);
                c.message = Some(reason.clone());
                c.location = Some(Location::of(&e.span));
                c
            })
            .collect(),
        reason: Some(reason),
        fallback: None,
        exchanges: Vec::new(),
        millis: 0,
        saml: None,
    }
}

fn skipped(suite: &Suite, step: &Step, client: &str, reason: String) -> StepResult {
    unanswered(suite, step, client, Outcome::Skip, reason)
}

/// A finding as a check result; a failure carries its evidence and the curl line.
fn recorded(
    suite: &Suite,
    id: &str,
    finding: Finding,
    location: Option<Location>,
    curl: &str,
) -> CheckResult {
    let outcome = if finding.passed {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let mut c = check_result(suite, id, outcome);
    c.location = location;
    if !finding.passed {
        c.expected = Some(finding.expected);
        c.actual = Some(finding.actual);
        c.message = finding.message;
        c.curl = Some(curl.to_string());
    }
    c
}

/// Why a step cannot be built: the value it needs and, when known, why it is missing.
fn why_missing(name: &str, missing: &HashMap<String, String>) -> String {
    missing.get(name).cloned().map_or_else(
        || format!("needs `{{{{{name}}}}}`, which has no value"),
        |why| format!("needs `{{{{{name}}}}}`: {why}"),
    )
}

fn snapshot_skipped(suite: &Suite, x: &Expect) -> CheckResult {
    let mut c = check_result(suite, &x.check, Outcome::Skip);
    c.location = Some(Location::of(&x.span));
    c.message = Some(
        "snapshots are off for this target (the shipped ones record idgate's reference target)"
            .into(),
    );
    c
}

/// An expectation that holds only a snapshot cannot judge anything while
/// snapshots are off (another target than the one they record).
fn snapshot_only_while_off(session: &Session, x: &Expect) -> bool {
    x.snapshot.is_some()
        && session.snapshots.mode == snapshot::SnapshotMode::Off
        && x.status.is_none()
        && x.verdict.is_none()
        && x.headers.is_empty()
        && x.json.is_empty()
}

fn template_of<'a>(step: &'a Step, client: &'a Client) -> Option<&'a RequestTemplate> {
    match &step.request {
        StepRequest::Send { action } => Some(&client.actions[action]),
        StepRequest::Raw(t) => Some(t),
        StepRequest::Saml(_) => None,
    }
}

async fn run_step(
    ctx: &StepContext<'_>,
    step: &Step,
    vars: &mut Vars,
    missing_captures: &mut HashMap<String, String>,
    observer: &mut dyn Reporter,
) -> StepResult {
    let suite = ctx.suite;
    let Some(template) = template_of(step, ctx.client) else {
        return run_saml_step(ctx, step, vars, missing_captures).await;
    };
    let mut result = StepResult {
        name: step.name.clone(),
        location: Location::of(&step.span),
        status: StepStatus::Ran,
        reason: None,
        fallback: None,
        exchanges: Vec::new(),
        checks: Vec::new(),
        millis: 0,
        saml: None,
    };
    for i in 0..step.repeat {
        // `with` is rendered per repetition, so `{{uuid}}` in it is new each time.
        vars.clear_step();
        vars.set_step("index", Value::from(i + 1));
        for (name, template) in &step.with {
            match template.render(vars) {
                Ok(v) => vars.set_step(name, Value::String(v)),
                Err(m) => {
                    return skipped(
                        suite,
                        step,
                        ctx.client_name,
                        why_missing(&m, missing_captures),
                    );
                }
            }
        }
        let request = match wire::build(template, ctx.client, vars) {
            Ok(r) => r,
            Err(m) => {
                return skipped(
                    suite,
                    step,
                    ctx.client_name,
                    why_missing(&m, missing_captures),
                );
            }
        };
        let needed = step
            .pause_if_whole_seconds
            .as_ref()
            .and_then(|t| t.render(vars).ok())
            .is_none_or(|stamp| !has_fraction_of_second(&stamp));
        if step.pause_ms > 0 && needed {
            tokio::time::sleep(Duration::from_millis(u64::from(step.pause_ms))).await;
        }
        // A stop is honoured between requests, never during one: a POST cut off
        // mid-flight could create a resource the ledger never hears of.
        if ctx.session.stopped() {
            return skipped(
                suite,
                step,
                ctx.client_name,
                "the run was interrupted".into(),
            );
        }
        let exchange = match send_tracked(ctx, step, &request, observer).await {
            Err(e) => {
                return unanswered(suite, step, ctx.client_name, Outcome::Error, e.to_string());
            }
            Ok(x) => x,
        };
        let curl = exchange.curl(&ctx.session.target.token_env);
        let checks = &mut result.checks;
        if let Some(f) = builtin::content_type(&exchange.response) {
            checks.push(recorded(suite, builtin::CONTENT_TYPE, f, None, &curl));
        }
        if let Some((id, f)) =
            builtin::schema_check(&exchange.response, template.returns.as_deref())
        {
            checks.push(recorded(suite, &id, f, None, &curl));
        }
        for x in expects_for(step, ctx.client_name) {
            let status = exchange.response.status;
            let applies = x.if_status.as_ref().is_none_or(|s| s.contains(&status));
            let not_applying = (!applies).then(|| {
                format!(
                    "it applies to an answer {:?}; this one was {status}",
                    x.if_status.as_deref().unwrap_or(&[])
                )
            });
            if let Some(reason) =
                not_applying.or_else(|| ctx.trace.unmet(&x.needs, &step.name, checks))
            {
                let mut c = check_result(suite, &x.check, Outcome::Skip);
                c.location = Some(Location::of(&x.span));
                c.message = Some(reason);
                checks.push(c);
                continue;
            }
            let mut f = expect::evaluate(x, &exchange.response, vars);
            if let Some(spec) = &x.snapshot {
                let subject = snapshot::Subject {
                    scenario: ctx.scenario,
                    step,
                    client: ctx.client_name,
                    check: &x.check,
                    spec,
                };
                f = snapshot::verify(f, &ctx.session.snapshots, &subject, &exchange, vars);
            }
            if snapshot_only_while_off(ctx.session, x) {
                checks.push(snapshot_skipped(suite, x));
            } else {
                checks.push(recorded(
                    suite,
                    &x.check,
                    f,
                    Some(Location::of(&x.span)),
                    &curl,
                ));
            }
        }
        let status = exchange.response.status;
        result.exchanges.push(exchange);
        // The client's own payload refused: that is the finding above; the
        // scenario goes on with the fallback, so later steps still test their rule.
        let answer = match (&step.fallback, (200..300).contains(&status)) {
            (Some(action), false) => {
                match send_fallback(ctx, step, action, vars, missing_captures, observer).await {
                    Ok((note, x)) => {
                        result.fallback = Some(format!(
                            "the client's own request was answered {status}; {note}"
                        ));
                        result.exchanges.push(x);
                        result.exchanges.last().expect("just pushed")
                    }
                    Err(note) => {
                        result.fallback = Some(format!(
                            "the client's own request was answered {status}; the fallback `{action}` {note}"
                        ));
                        result.exchanges.last().expect("pushed above")
                    }
                }
            }
            _ => result.exchanges.last().expect("pushed above"),
        };
        capture(step, answer, vars, missing_captures);
    }
    result
}

/// Send the step's fallback action; what it answered (for the step's note)
/// and the exchange, or why it could not be sent.
async fn send_fallback(
    ctx: &StepContext<'_>,
    step: &Step,
    action: &str,
    vars: &mut Vars,
    missing: &HashMap<String, String>,
    observer: &mut dyn Reporter,
) -> Result<(String, Exchange), String> {
    let template = &ctx.client.actions[action];
    let request = wire::build(template, ctx.client, vars)
        .map_err(|m| format!("could not be built: {}", why_missing(&m, missing)))?;
    if ctx.session.stopped() {
        return Err("was not sent: the run was interrupted".into());
    }
    let exchange = send_tracked(ctx, step, &request, observer)
        .await
        .map_err(|e| format!("got no answer: {e}"))?;
    Ok((
        format!(
            "went on with `{action}`, answered {}",
            exchange.response.status
        ),
        exchange,
    ))
}

/// Send `request`, telling the reporter once it has waited longer than the
/// slow threshold (the wait goes on until the answer or the timeout).
async fn send_watched(
    ctx: &StepContext<'_>,
    step: &Step,
    request: &Request,
    observer: &mut dyn Reporter,
) -> Result<Exchange, crate::http::TransportError> {
    let client = &ctx.session.target.scim;
    let send = client.send(request);
    tokio::pin!(send);
    tokio::select! {
        r = &mut send => return r,
        _ = tokio::time::sleep(ctx.slow_after) => {}
    }
    let shown = format!("{} {}{}", request.method, client.base(), request.path);
    observer.event(&Event::Slow {
        client: ctx.client_name,
        scenario: &ctx.scenario.name,
        step: &step.name,
        request: &shown,
        waited: ctx.slow_after,
    });
    send.await
}

/// A SAML step: a valid Response for the step's user, posted to the SP;
/// expectations read the verdict and the SP's whoami answer.
async fn run_saml_step(
    ctx: &StepContext<'_>,
    step: &Step,
    vars: &mut Vars,
    missing: &mut HashMap<String, String>,
) -> StepResult {
    use crate::saml::response::{Attribute, CLAIM_EMAIL, CLAIM_GIVEN_NAME, CLAIM_SURNAME};
    use crate::scenario::ClaimNames;
    let StepRequest::Saml(login) = &step.request else {
        unreachable!("called for SAML steps only")
    };
    let suite = ctx.suite;
    let Some(side) = &ctx.session.target.saml else {
        return skipped(
            suite,
            step,
            ctx.client_name,
            "no SAML SP is being tested (give --saml-acs-url)".into(),
        );
    };
    vars.clear_step();
    for (name, template) in &step.with {
        match template.render(vars) {
            Ok(v) => vars.set_step(name, Value::String(v)),
            Err(m) => return skipped(suite, step, ctx.client_name, why_missing(&m, missing)),
        }
    }
    let mut render = |t: &crate::scenario::template::Template| t.render(vars);
    let values = (|| {
        let name_id = render(&login.name_id)?;
        let email = match &login.email {
            Some(e) => render(e)?,
            None => name_id.clone(),
        };
        Ok::<_, String>((
            name_id,
            email,
            render(&login.first_name)?,
            render(&login.last_name)?,
        ))
    })();
    let (name_id, email, first, last) = match values {
        Ok(v) => v,
        Err(m) => return skipped(suite, step, ctx.client_name, why_missing(&m, missing)),
    };
    let now = time::OffsetDateTime::now_utc();
    let mut spec = crate::saml::ResponseSpec::new(
        &side.idp.entity_id,
        &side.sp.acs_url,
        &side.sp.audience,
        &name_id,
        now,
    );
    let short = || {
        vec![
            Attribute::basic("email", &email),
            Attribute::basic("firstName", &first),
            Attribute::basic("lastName", &last),
        ]
    };
    let uri = || {
        vec![
            Attribute::uri(CLAIM_EMAIL, &email),
            Attribute::uri(CLAIM_GIVEN_NAME, &first),
            Attribute::uri(CLAIM_SURNAME, &last),
        ]
    };
    spec.attributes = match login.claims {
        ClaimNames::Short => short(),
        ClaimNames::Uri => uri(),
        ClaimNames::Both => [short(), uri()].concat(),
    };
    let mut case_ctx = crate::saml::CaseContext::new(
        spec,
        &side.idp.key,
        &side.idp.attack.attacker,
        &side.idp.attack.cloned,
    );
    case_ctx.skew = side.sp.skew;
    let built = match crate::saml::cases::build("saml.valid", &case_ctx) {
        Ok(b) => b,
        Err(e) => {
            return unanswered(
                suite,
                step,
                ctx.client_name,
                Outcome::Error,
                format!("idgate could not build the Response: {e}"),
            );
        }
    };
    let mut result = StepResult {
        name: step.name.clone(),
        location: Location::of(&step.span),
        status: StepStatus::Ran,
        reason: None,
        fallback: None,
        exchanges: Vec::new(),
        checks: Vec::new(),
        millis: 0,
        saml: None,
    };
    let posted = match saml::post_case(side.http_client(), &side.sp, &built, &[]).await {
        Ok(p) => p,
        Err(e) => return unanswered(suite, step, ctx.client_name, Outcome::Error, e.to_string()),
    };
    let shown = posted.whoami.as_ref().unwrap_or(&posted.acs);
    for x in expects_for(step, ctx.client_name) {
        let finding = match x.verdict {
            Some(want) if want != posted.verdict.accepted => Finding::fail(
                if want {
                    "accepted: a session for the user"
                } else {
                    "rejected: an error and no session"
                },
                posted.verdict.describe(),
            ),
            _ => expect::evaluate(x, &shown.response, vars),
        };
        let finding = match &x.snapshot {
            Some(spec) => {
                let subject = snapshot::Subject {
                    scenario: ctx.scenario,
                    step,
                    client: ctx.client_name,
                    check: &x.check,
                    spec,
                };
                let posted = snapshot::saml_exchange(&posted.acs, &built.xml, &side.sp.acs_url);
                snapshot::verify(finding, &ctx.session.snapshots, &subject, &posted, vars)
            }
            None => finding,
        };
        let c = if snapshot_only_while_off(ctx.session, x) {
            snapshot_skipped(suite, x)
        } else {
            recorded(
                suite,
                &x.check,
                finding,
                Some(Location::of(&x.span)),
                &posted.acs.curl(&ctx.session.target.token_env),
            )
        };
        result.checks.push(c);
    }
    result.exchanges.push(posted.acs);
    result.exchanges.extend(posted.whoami);
    result
}

fn capture(
    step: &Step,
    exchange: &Exchange,
    vars: &mut Vars,
    missing: &mut HashMap<String, String>,
) {
    let body: Option<Value> = serde_json::from_str(&exchange.response.body).ok();
    for (name, pointer) in &step.capture {
        let value = match pointer.strip_prefix("header:") {
            Some(h) => exchange
                .response
                .header(h)
                .map(|v| Value::String(v.to_string())),
            None => body.as_ref().and_then(|b| b.pointer(pointer)).cloned(),
        };
        match value.filter(|v| !v.is_null()) {
            Some(v) => {
                vars.set(name, v);
                missing.remove(name);
            }
            None => {
                missing.insert(
                    name.clone(),
                    format!(
                        "step `{}` found no {pointer} in its response (status {})",
                        step.name, exchange.response.status
                    ),
                );
            }
        }
    }
}

/// The resource collection and id a path names: `/Users/abc?x` → (`Users`, `abc`).
fn resource_of(path: &str) -> (String, Option<String>) {
    let path = path.split('?').next().unwrap_or("");
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = parts.next().unwrap_or("").to_string();
    let id = parts.next().map(|id| {
        percent_encoding::percent_decode_str(id.trim_end_matches('/'))
            .decode_utf8_lossy()
            .into_owned()
    });
    (kind, id)
}

/// What the POST operations of a BulkResponse created (RFC 7644 §3.7.3): each successful
/// one gives the new resource's `location`, whose last two segments are its endpoint and id.
fn bulk_created(body: &str) -> Vec<(String, String)> {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let ops = body.get("Operations").and_then(Value::as_array);
    ops.into_iter()
        .flatten()
        .filter(|op| {
            op.get("method")
                .and_then(Value::as_str)
                .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
        })
        .filter(|op| match op.get("status") {
            Some(Value::String(s)) => s.starts_with('2'),
            Some(Value::Number(n)) => n.as_u64().is_some_and(|n| (200..300).contains(&n)),
            _ => false,
        })
        .filter_map(|op| {
            let location = op.get("location")?.as_str()?;
            let path = location.split(['?', '#']).next()?;
            let mut segments = path.trim_end_matches('/').rsplit('/');
            let id = segments.next().filter(|s| !s.is_empty())?;
            let kind = segments.next().filter(|s| !s.is_empty())?;
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            Some((kind.to_string(), id.into_owned()))
        })
        .collect()
}

/// Sends `request` with the ledger kept true on both sides of it: a create is journaled as
/// intended (with the unique name it carries) before it goes out, and what it created or
/// deleted is journaled once it is answered. A create whose answer never comes (a timeout, a
/// kill) stays intended, and cleanup looks it up by its name.
async fn send_tracked(
    ctx: &StepContext<'_>,
    step: &Step,
    request: &Request,
    observer: &mut dyn Reporter,
) -> Result<Exchange, TransportError> {
    let intent = match creates_named(request) {
        Some((kind, name)) => Some(ctx.session.ledger.lock().await.intend(
            ctx.base,
            &kind,
            &name,
            &format!("{} › {}", ctx.created_by, step.name),
        )),
        None => None,
    };
    let exchange = match send_watched(ctx, step, request, observer).await {
        Err(e @ TransportError::Timeout { .. }) if !ctx.keep_going => {
            ctx.session.give_up(format!(
                "the target timed out at {} › {}, so the run ended early (--keep-going plays on)",
                ctx.created_by, step.name
            ));
            return Err(e);
        }
        other => other?,
    };
    let journaled = track(ctx, request, &exchange, &step.name).await;
    if let Some(intent) = intent
        && Ledger::answer_settles(exchange.response.status, journaled)
    {
        ctx.session.ledger.lock().await.settle(&intent);
    }
    Ok(exchange)
}

/// The collection and unique name of a resource `req` would create: `userName` of a POST to
/// /Users, `displayName` of one to /Groups.
fn creates_named(req: &Request) -> Option<(String, String)> {
    let (kind, id) = resource_of(&req.path);
    if req.method != "POST" || id.is_some() {
        return None;
    }
    let attr = match kind.as_str() {
        "Users" => "userName",
        "Groups" => "displayName",
        _ => return None,
    };
    let body: Value = serde_json::from_str(req.body.as_deref()?).ok()?;
    let name = body.get(attr)?.as_str()?.to_string();
    Some((kind, name))
}

/// Journal what a request created or deleted; whether it journaled a create.
async fn track(ctx: &StepContext<'_>, req: &Request, x: &Exchange, step: &str) -> bool {
    let (kind, id) = resource_of(&req.path);
    let status = x.response.status;
    if req.method == "POST" && status == 200 && kind.eq_ignore_ascii_case("Bulk") {
        for (kind, id) in bulk_created(&x.response.body) {
            ctx.session.ledger.lock().await.created(Entry {
                target: ctx.base.to_string(),
                kind,
                id,
                created_by: format!("{} › {step}", ctx.created_by),
            });
        }
    } else if req.method == "POST" && (200..300).contains(&status) && id.is_none() {
        let created: Option<String> = serde_json::from_str::<Value>(&x.response.body)
            .ok()
            .and_then(|b| crate::ledger::resource_id(&b));
        if let Some(id) = created {
            ctx.session.ledger.lock().await.created(Entry {
                target: ctx.base.to_string(),
                kind,
                id,
                created_by: format!("{} › {step}", ctx.created_by),
            });
            return true;
        }
    } else if req.method == "DELETE"
        && status == 404
        && let Some(id) = id
    {
        // Gone, by the server's own word. A 2xx is not taken at its word: the entry stays until
        // cleanup's DELETE and GET show the resource is gone (a DELETE may answer 204 and keep
        // the resource, and then it must be reported, not forgotten).
        ctx.session
            .ledger
            .lock()
            .await
            .deleted(ctx.base, &kind, &id);
    }
    false
}

/// Play every (scenario, client) pair in order, stopping between scenarios
/// when the session is stopped; each scenario deletes what it created as it ends.
pub async fn run_plan(
    suite: &Suite,
    session: &Session,
    pairs: &[(&Scenario, String)],
    observer: &mut dyn Reporter,
    opts: PlanOptions,
) -> Vec<ScenarioResult> {
    let mut results = Vec::new();
    // Scenarios of a batch run together; each one's events are held back and
    // replayed whole, so the terminal never interleaves two scenarios.
    for batch in pairs.chunks(opts.jobs.max(1)) {
        if session.stopped() {
            break;
        }
        let plays = batch.iter().map(|(scenario, client)| async move {
            let mut recorder = Recorder::default();
            let r = play_with_retries(suite, session, scenario, client, &mut recorder, opts).await;
            (recorder, r)
        });
        let mut stop_now = false;
        for (recorder, result) in futures_util::future::join_all(plays).await {
            recorder.replay(observer);
            stop_now |= opts.fail_fast && result.failed();
            results.push(result);
        }
        if stop_now {
            break;
        }
    }
    results
}

/// One scenario, played again while it fails and retries are left.
async fn play_with_retries(
    suite: &Suite,
    session: &Session,
    scenario: &Scenario,
    client: &str,
    observer: &mut dyn Reporter,
    opts: PlanOptions,
) -> ScenarioResult {
    let mut result = run_scenario_with(suite, session, scenario, client, observer, opts).await;
    let mut failed_before: Vec<(String, String)> = Vec::new();
    let mut attempt = 1;
    while result.failed() && attempt <= opts.retries && !session.stopped() {
        observer.event(&Event::Retrying {
            result: &result,
            attempt: attempt + 1,
        });
        failed_before.extend(
            result
                .checks()
                .filter(|(_, c)| matches!(c.outcome, Outcome::Fail | Outcome::Error))
                .map(|(s, c)| (s.name.clone(), c.id.clone())),
        );
        attempt += 1;
        result = run_scenario_with(suite, session, scenario, client, observer, opts).await;
    }
    result.attempts = attempt;
    // A check that failed before and passes now is flaky, not a plain pass.
    for step in &mut result.steps {
        for c in &mut step.checks {
            if c.outcome == Outcome::Pass
                && failed_before.contains(&(step.name.clone(), c.id.clone()))
            {
                c.outcome = Outcome::Flaky;
                c.message = Some(format!(
                    "failed on an earlier attempt; passed on attempt {attempt}"
                ));
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fraction_of_a_second_is_told_from_whole_seconds() {
        assert!(has_fraction_of_second("2026-12-08T00:30:24.514Z"));
        assert!(has_fraction_of_second("2026-12-08T00:30:24.5+01:00"));
        assert!(!has_fraction_of_second("2026-12-08T00:30:24Z"));
        assert!(!has_fraction_of_second("2026-12-08T00:30:24+01:00"));
        assert!(!has_fraction_of_second("not a time"));
        assert!(!has_fraction_of_second("2026-12-08T00:30:24."));
        assert!(
            !has_fraction_of_second("2026-12-08T00:30:24.000Z"),
            "milliseconds of a whole-second clock"
        );
        assert!(has_fraction_of_second("2026-12-08T00:30:24.010Z"));
    }

    #[test]
    fn bulk_responses_name_what_they_created() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],"Operations":[
            {"method":"POST","bulkId":"a","status":"201","location":"https://x/scim/v2/Users/u%201"},
            {"method":"post","status":201,"location":"/v2/Groups/g1/"},
            {"method":"POST","status":"409","location":"https://x/Users/no"},
            {"method":"PATCH","status":"200","location":"https://x/Users/u2"},
            {"method":"POST","status":"201"}]}"#;
        assert_eq!(
            bulk_created(body),
            [
                ("Users".to_string(), "u 1".to_string()),
                ("Groups".to_string(), "g1".to_string())
            ]
        );
        assert!(bulk_created("<html>").is_empty());
    }

    use super::*;

    #[test]
    fn resource_paths() {
        assert_eq!(resource_of("/Users"), ("Users".into(), None));
        assert_eq!(resource_of("/Users?filter=x"), ("Users".into(), None));
        assert_eq!(
            resource_of("/Groups/a%20b"),
            ("Groups".into(), Some("a b".into()))
        );
    }
}
