//! Plays the SAML battery: every case of `saml::cases` is built for the SP,
//! posted to its ACS URL, and judged by whether a session was opened and
//! for whom. The result is one scenario in the same result tree as SCIM.
//!
//! The rooms below it: `post` sends a case as a browser would, `verdict` judges what came
//! back, `payload` keeps a failed case's Response as files, `canary` notices fetches.

mod canary;
mod payload;
mod post;
mod verdict;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::clock::{self, Tolerance};
use super::event::{Event, Reporter};
use crate::http::{Client, TransportError};
use crate::result::*;
use crate::saml::cases::{self, Case, CaseContext, Expect};
use crate::saml::{Idp, ResponseSpec, post as binding};
use crate::session::{SamlSide, SpTarget};

pub use canary::Canary;
pub use post::{Login, Posted, post_case, start_login};
pub use verdict::Verdict;
use verdict::{Judged, judge, redirects_to_foreign_host};

/// Play `cases` against the SP of `side`.
pub async fn run_battery(
    side: &SamlSide,
    cases: &[&Case],
    stop: &watch::Receiver<bool>,
    observer: &mut dyn Reporter,
) -> ScenarioResult {
    let started = Instant::now();
    let (http, idp, sp) = (side.http_client(), &side.idp, &side.sp);
    let scenario = crate::scenario::Scenario {
        name: "saml-battery".into(),
        description: "Forged, expired and malformed SAML Responses posted to the SP's ACS URL"
            .into(),
        file: cases.first().map_or_else(
            || "scenarios/saml/cases.toml".to_string(),
            |c| c.span.source.name.clone(),
        ),
        clients: vec!["saml-idp".into()],
        tags: vec!["saml".into()],
        vars: vec![],
        requires: vec![],
        steps: vec![],
    };
    observer.event(&Event::ScenarioStarted {
        client: "saml-idp",
        name: &scenario.name,
        description: &scenario.description,
        file: &scenario.file,
    });
    let canary = match Canary::start().await {
        Ok(c) => c,
        Err(e) => {
            let step = StepResult {
                name: "canary".into(),
                location: Location::file("scenarios/saml/cases.toml"),
                status: StepStatus::Error,
                reason: Some(format!("cannot listen on 127.0.0.1 for fetches: {e}")),
                fallback: None,
                exchanges: vec![],
                checks: vec![],
                millis: 0,
                saml: None,
            };
            observer.event(&Event::CaseFinished { step: &step });
            return ScenarioResult {
                name: scenario.name,
                client: "saml-idp".into(),
                file: scenario.file,
                description: scenario.description,
                tags: scenario.tags,
                steps: vec![step],
                cleanup: vec![],
                millis: started.elapsed().as_millis() as u64,
                attempts: 1,
                warnings: vec![],
            };
        }
    };
    if let Some(dir) = &side.payloads {
        payload::clear(dir);
    }
    let mut steps = Vec::new();
    let mut measured: HashMap<String, Tolerance> = HashMap::new();
    // Set when the SP stopped answering: the case after which it did.
    let mut died_after: Option<String> = None;
    // Whether the SP has answered a post yet.
    let mut answered = false;
    for &case in cases {
        // Under an SP profile (`--saml-sp-profile`), a case it is stricter about is judged by it.
        let case = &*case.under_profile(sp.profile.as_deref());
        let case_started = Instant::now();
        let step = if *stop.borrow() {
            skipped(case, "the run was interrupted".into())
        } else if let Some(culprit) = &died_after {
            skipped(
                case,
                format!("the SP stopped answering after {culprit}, so nothing was posted"),
            )
        } else if case.expect == Expect::Measure {
            let (step, tolerance) = play_measure(http, idp, sp, case, &canary).await;
            if let Some(t) = tolerance {
                measured.insert(case.id.clone(), t);
            }
            step
        } else {
            let skew = skew_for(case, sp, &measured);
            play(http, idp, sp, case, &canary, side.payloads.as_deref(), skew).await
        };
        let mut step = step;
        step.millis = case_started.elapsed().as_millis() as u64;
        // Still there? A message that crashes or hangs an SP that was answering is a finding
        // of its own; an SP that never answered is a setup problem, left to the errors.
        answered |= step.status == StepStatus::Ran;
        let step = match (&died_after, step.status) {
            (None, StepStatus::Ran | StepStatus::Error) if answered => {
                match alive(http, sp).await {
                    Ok(()) => step,
                    Err(e) => {
                        died_after = Some(case.id.clone());
                        stopped_answering(case, step, e)
                    }
                }
            }
            _ => step,
        };
        observer.event(&Event::CaseFinished { step: &step });
        steps.push(step);
    }
    let warnings = unreadable_sessions(&steps, sp).into_iter().collect();
    let result = ScenarioResult {
        name: scenario.name,
        client: "saml-idp".into(),
        file: scenario.file,
        description: scenario.description,
        tags: scenario.tags,
        steps,
        cleanup: vec![],
        millis: started.elapsed().as_millis() as u64,
        attempts: 1,
        warnings,
    };
    observer.event(&Event::ScenarioFinished { result: &result });
    result
}
/// Whether the SP still answers: any HTTP answer to a GET of its ACS will do (many say 405).
async fn alive(http: &Client, sp: &SpTarget) -> Result<(), TransportError> {
    http.send(&binding::get(&sp.acs_url, &[])).await.map(|_| ())
}

/// The case after which the SP stopped answering fails, whatever it expected.
fn stopped_answering(case: &Case, mut step: StepResult, e: TransportError) -> StepResult {
    let mut c = check(case, Outcome::Fail);
    c.location = Some(Location::of(&case.span));
    c.expected = Some("the SP still answers after this message".into());
    c.actual = Some(format!(
        "it stopped answering (a crash or a denial of service): {e}"
    ));
    c.message = Some(format!("it changes: {}", case.changes));
    step.status = StepStatus::Ran;
    step.checks = vec![c];
    step
}

/// One warning when sessions were opened whose identity could not be read: the verdicts
/// of those cases are not known, and a reader must not take the battery as clean.
fn unreadable_sessions(steps: &[StepResult], sp: &SpTarget) -> Option<String> {
    let unread: Vec<&str> = steps
        .iter()
        // Only the cases that were skipped for it: an empty NameID is judged, not unread.
        .filter(|s| {
            s.checks.first().is_some_and(|c| c.outcome == Outcome::Skip)
                && s.saml
                    .as_ref()
                    .is_some_and(|e| e.session == SessionState::Opened && e.identity.is_none())
        })
        .map(|s| s.name.as_str())
        .collect();
    let first = unread.first()?;
    Some(format!(
        "the SP opened sessions in {} case(s) (first: {first}), but idgate could not read whose \
         from the answer of {}: cases that depend on who got the session are skipped, not \
         passed. Pass --saml-whoami-pointer (and --saml-attributes-pointer) with the JSON \
         pointer of the identity; idgate detects nameid, nameId, NameID, name_id, subject, \
         user and email at the top level or one level down",
        unread.len(),
        sp.whoami_url.as_deref().unwrap_or("the session endpoint"),
    ))
}

fn check(case: &Case, outcome: Outcome) -> CheckResult {
    // A case the IdP must help with says so wherever its rule is shown.
    let rule = match &case.idp_cooperation {
        Some(what) => format!("{} (needs the IdP's cooperation: {what})", case.rule),
        None => case.rule.clone(),
    };
    CheckResult::new(&case.id, &case.title, case.severity, rule, outcome)
}

/// The step of `case` that was played, with `checks` (more evidence is added by the caller).
fn played(case: &Case, checks: Vec<CheckResult>) -> StepResult {
    StepResult {
        name: case.id.clone(),
        location: Location::of(&case.span),
        status: StepStatus::Ran,
        reason: None,
        fallback: None,
        exchanges: vec![],
        checks,
        millis: 0,
        saml: None,
    }
}

fn skipped(case: &Case, reason: String) -> StepResult {
    let mut c = check(case, Outcome::Skip);
    c.message = Some(reason.clone());
    StepResult {
        status: StepStatus::Skipped,
        reason: Some(reason),
        ..played(case, vec![c])
    }
}

/// A case that could not be played: an error, so a broken setup never reads as a pass.
fn errored(case: &Case, reason: String) -> StepResult {
    let mut step = skipped(case, reason);
    step.status = StepStatus::Error;
    step.checks[0].outcome = Outcome::Error;
    step
}

/// The case judged on the AuthnRequest of its login as well as on the Response that answers it.
const AUTHN_REQUEST_SIGNED: &str = "saml.authn-request-signed";

/// Why `case` cannot be played against `sp`, when it cannot: what it `needs` and the run lacks.
fn unmet(case: &Case, sp: &SpTarget) -> Option<String> {
    match case.needs.as_deref()? {
        // Without a login, every Response is unsolicited: saml.unsolicited would repeat saml.valid.
        "login" if sp.login_url.is_none() => Some(
            "needs an SP-initiated login (--saml-login-url): without one every case is unsolicited"
                .into(),
        ),
        "rotation" if !sp.rotation => Some(
            "needs an SP given idgate's certificate-rotation metadata (`idgate saml metadata \
             --rotation earlier`, then `--rotation`) and --saml-rotation to say so"
                .into(),
        ),
        _ => None,
    }
}

/// A valid Response's spec for the SP, issued now; SP-initiated, it answers a fresh login
/// (whose cookies come back with it).
async fn fresh_spec(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
) -> Result<(ResponseSpec, Option<Login>), String> {
    let now = OffsetDateTime::now_utc();
    let mut spec = ResponseSpec::new(&idp.entity_id, &sp.acs_url, &sp.audience, &sp.name_id, now);
    let mut login = None;
    if let Some(url) = &sp.login_url {
        let started = start_login(http, url)
            .await
            .map_err(|e| format!("the SP-initiated login failed: {e}"))?;
        spec.in_response_to = Some(started.request_id.clone());
        login = Some(started);
    }
    Ok((spec, login))
}

/// The skew a timing case sits around: the given one, else what its `measure` case found,
/// never past the maximum (beyond it, the measure case has failed already, and the
/// outside-skew case should fail too).
fn skew_for(case: &Case, sp: &SpTarget, measured: &HashMap<String, Tolerance>) -> time::Duration {
    if sp.skew_given {
        return sp.skew;
    }
    match case.skew_from.as_ref().and_then(|m| measured.get(m)) {
        Some(t) => time::Duration::seconds(t.accepted).min(sp.max_skew),
        None => sp.skew,
    }
}

/// Whether the SP accepts `case` (a `measure` case) built `offset` seconds past its limit.
/// Each probe is a fresh valid Response (new IDs, a new login when SP-initiated), so a replay
/// cache cannot decide it.
async fn probe(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
    case: &Case,
    canary_url: &str,
    offset: i64,
) -> Result<bool, String> {
    let (spec, login) = fresh_spec(http, idp, sp).await?;
    let cookies = login.map(|l| l.cookies).unwrap_or_default();
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
    ctx.rotation = Some(&idp.rotation);
    ctx.canary_url = Some(canary_url.to_string());
    ctx.probe = time::Duration::seconds(offset);
    let built =
        cases::build(&case.id, &ctx).map_err(|e| format!("idgate could not build a probe: {e}"))?;
    let posted = post_case(http, sp, &built, &cookies)
        .await
        .map_err(|e| e.to_string())?;
    if posted.verdict.status >= 500 {
        return Err(format!(
            "the SP answered {} to a valid Response {offset} s past its limit",
            posted.verdict.status
        ));
    }
    Ok(posted.verdict.accepted)
}

/// Plays a `measure` case: the tolerance, failed only beyond `--saml-max-skew`.
async fn play_measure(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
    case: &Case,
    canary: &Canary,
) -> (StepResult, Option<Tolerance>) {
    let tolerance =
        match clock::measure(|offset| probe(http, idp, sp, case, &canary.url, offset)).await {
            Ok(t) => t,
            Err(e) => return (errored(case, e), None),
        };
    let max = sp.max_skew.whole_seconds();
    let figure = tolerance.describe();
    let mut c = check(
        case,
        if tolerance.accepted > max {
            Outcome::Fail
        } else {
            Outcome::Pass
        },
    );
    c.location = Some(Location::of(&case.span));
    if c.outcome == Outcome::Fail {
        c.expected = Some(format!(
            "no more than {max} s past the limit (--saml-max-skew)"
        ));
        c.actual = Some(figure.clone());
    }
    c.message = Some(figure);
    (played(case, vec![c]), Some(tolerance))
}

async fn play(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
    case: &Case,
    canary: &Canary,
    payloads: Option<&Path>,
    skew: time::Duration,
) -> StepResult {
    if let Some(why) = unmet(case, sp) {
        return skipped(case, why);
    }
    let (spec, login) = match fresh_spec(http, idp, sp).await {
        Ok(x) => x,
        Err(e) => return errored(case, e),
    };
    let login_cookies = login
        .as_ref()
        .map(|l| l.cookies.clone())
        .unwrap_or_default();
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
    ctx.rotation = Some(&idp.rotation);
    ctx.skew = skew;
    ctx.canary_url = Some(canary.url.clone());
    let built = match cases::build(&case.id, &ctx) {
        Ok(b) => b,
        Err(e) => return errored(case, format!("idgate could not build this case: {e}")),
    };
    let mut step = played(case, vec![]);
    let error = |mut step: StepResult, e: TransportError| {
        let mut c = check(case, Outcome::Error);
        c.message = Some(e.to_string());
        step.status = StepStatus::Error;
        step.reason = Some(e.to_string());
        step.checks.push(c);
        step
    };
    let Posted {
        verdict,
        acs: x,
        whoami: whoami_exchange,
        earlier_refused,
    } = match post_case(http, sp, &built, &login_cookies).await {
        Ok(p) => p,
        // The SP hung up while the message was still being sent: it would not read it whole
        // (python3-saml's shell answers 413 to a body over 2 MiB and closes at once; the write
        // of the rest then meets a broken pipe, or not, as the scheduler has it). No session
        // can come of a message the SP never read, so that is a refusal, judged like any
        // other, and the liveness probe after the case still tells a crash. A timeout stays an
        // error: an answer that did not come in time says nothing of what it would have been,
        // and a loaded machine must make neither a finding nor a pass. A replay's genuine
        // first post hung up on is an error too: the replay was never tried.
        Err(e @ TransportError::HungUp { .. }) if built.posts.len() == 1 => {
            return refused_unread(case, &built, e);
        }
        Err(e) => return error(step, e),
    };
    if let Some(status) = earlier_refused {
        return errored(
            case,
            format!(
                "the genuine first post was refused (status {status}), so the replay tested nothing"
            ),
        );
    }
    let original = &built.original_user;
    let Judged {
        mut outcome,
        mut expected,
        mut why,
    } = judge(case.expect, &verdict, original, &built.signed_attributes);
    step.saml = Some(verdict.evidence(original));
    // Refused under a policy the SP declared: its choice, reported with the reason.
    if outcome == Outcome::Fail
        && !verdict.accepted
        && case.refused_by_policy.as_deref() == Some("WantAssertionsSigned")
        && sp.want_assertions_signed
    {
        outcome = Outcome::Reported;
        why = Some("refused, as the SP's declared WantAssertionsSigned allows".into());
    }
    // A RelayState naming a foreign host, followed: an open redirect, whatever the session.
    if built.relay_state.is_some()
        && let Some(location) = redirects_to_foreign_host(&x)
    {
        outcome = Outcome::Fail;
        expected = format!(
            "no redirect to {}: a RelayState is the SP's own state, not a URL to follow blindly",
            cases::FOREIGN_HOST
        );
        why = Some(format!(
            "the ACS redirected to `{location}`, the RelayState's foreign URL"
        ));
    }
    // The AuthnRequest this login began with, unsigned though the SP declares it signs them.
    let mut noted = None;
    if case.id == AUTHN_REQUEST_SIGNED
        && let Some(login) = &login
    {
        let declared = format!(
            "the SP declares AuthnRequestsSigned={}",
            sp.authn_requests_signed
        );
        let how = if login.signed { "signed" } else { "unsigned" };
        noted = Some(format!("its AuthnRequest was {how} ({declared})"));
        if sp.authn_requests_signed && !login.signed && outcome != Outcome::Fail {
            outcome = Outcome::Fail;
            expected = "the AuthnRequest signed, with SigAlg and Signature on the redirect to \
                        the IdP, as the SP's metadata declares (AuthnRequestsSigned=\"true\")"
                .into();
            why = Some(format!(
                "the SP sent the browser to the IdP with an unsigned AuthnRequest: {}",
                crate::check::excerpt(&login.location, 200)
            ));
        }
    }
    // A fetch of the canary while reading this message: an external entity, an
    // XInclude or a stylesheet was followed, whatever the verdict.
    let fetched = canary.hits_for(&case.id);
    if !fetched.is_empty() {
        outcome = Outcome::Fail;
        expected = "no fetch: a message must never make the SP load a URL".into();
    }
    let mut c = check(case, outcome);
    c.location = Some(Location::of(&case.span));
    if outcome == Outcome::Pass {
        c.message = noted;
    } else if outcome == Outcome::Reported {
        c.message = Some(match &why {
            Some(w) => format!("{w}: {}", verdict.describe()),
            None => format!("policy: {}", verdict.describe()),
        });
    } else if outcome != Outcome::Pass {
        c.expected = Some(expected);
        c.actual = Some(if fetched.is_empty() {
            format!(
                "{}: {}",
                verdict.describe(),
                crate::check::excerpt(&x.response.body, 160)
            )
        } else {
            format!(
                "the SP fetched {} ({})",
                fetched.join(", "),
                verdict.describe()
            )
        });
        c.curl = Some(
            match payloads.map(|dir| payload::save(dir, &case.id, &built)) {
                Some(Ok(line)) => line.replace("ACS_URL", &payload::shell_quote(&sp.acs_url)),
                // Nowhere to save it (or the save failed): the whole post, inline.
                _ => x.curl("IDGATE_SCIM_TOKEN"),
            },
        );
        c.message = match (outcome, why) {
            (_, Some(why)) => Some(why),
            _ => Some(format!(
                "the posted Response is in report.json under this case; it changes: {}",
                case.changes
            )),
        };
        // The evidence stays with failures only, so reports stay small when all is well.
        step.exchanges.push(x);
        step.exchanges.extend(whoami_exchange);
    }
    step.checks.push(c);
    step
}

/// A case whose message the SP hung up on before it was sent whole, judged as a refusal.
fn refused_unread(case: &Case, built: &cases::BuiltCase, e: TransportError) -> StepResult {
    let verdict = Verdict::hung_up();
    let original = &built.original_user;
    let judged = judge(case.expect, &verdict, original, &built.signed_attributes);
    let mut c = check(case, judged.outcome);
    c.location = Some(Location::of(&case.span));
    if judged.outcome == Outcome::Pass || judged.outcome == Outcome::Reported {
        c.message = Some(format!("{}: {e}", verdict.describe()));
    } else {
        c.expected = Some(judged.expected);
        c.actual = Some(format!("{}: {e}", verdict.describe()));
    }
    let mut step = played(case, vec![c]);
    step.saml = Some(verdict.evidence(original));
    step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::keys::test_key;

    /// A message the SP hung up on is a refusal: right where refusing is, wrong where the
    /// valid Response is, policy where the case is policy; and its evidence says no answer.
    #[test]
    fn a_hang_up_is_judged_as_a_refusal() {
        let (idp, attacker, cloned) = (test_key("idp"), test_key("attacker"), test_key("cloned"));
        let spec = ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example/acs",
            "https://sp.example/",
            "alice@example.com",
            OffsetDateTime::now_utc(),
        );
        let ctx = CaseContext::new(spec, &idp, &attacker, &cloned);
        let hung_up = || TransportError::HungUp {
            method: "POST".into(),
            url: "https://sp.example/acs".into(),
            detail: "Broken pipe (os error 32)".into(),
        };
        for (id, want) in [
            ("saml.oversized", Outcome::Pass),
            ("saml.valid", Outcome::Fail),
            ("saml.alg-rsa-sha1", Outcome::Reported),
        ] {
            let case = cases::find(id).unwrap();
            let built = cases::build(id, &ctx).unwrap();
            let step = refused_unread(case, &built, hung_up());
            let c = &step.checks[0];
            assert_eq!(c.outcome, want, "{id}");
            let shown = c.actual.as_deref().or(c.message.as_deref()).unwrap();
            assert!(shown.starts_with("refused unread"), "{id}: {shown}");
            assert!(
                shown.contains("while the request was still being sent"),
                "{shown}"
            );
            let evidence = step.saml.as_ref().unwrap();
            assert_eq!(
                (evidence.acs_status, evidence.session),
                (0, SessionState::None)
            );
        }
    }
}
