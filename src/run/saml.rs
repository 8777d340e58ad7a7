//! Plays the SAML battery: every case of `saml::cases` is built for the SP,
//! posted to its ACS URL, and judged by whether a session was opened and
//! for whom. The result is one scenario in the same result tree as SCIM.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::clock::{self, Tolerance};
use super::{Event, Reporter};
use crate::http::{Client, Exchange, TransportError};
use crate::result::*;
use crate::saml::cases::{self, Case, CaseContext, Expect};
use crate::saml::whoami::{Attributes, SessionView, attribute_differences};
use crate::saml::{Idp, ResponseSpec, post};
use crate::session::{SamlSide, SpTarget};

/// What the SP did with the last post of a case.
pub struct Verdict {
    pub status: u16,
    pub accepted: bool,
    /// What the session endpoint showed, when it was asked and a session exists.
    pub session: Option<SessionView>,
}

/// Start an SP-initiated login: the AuthnRequest ID to answer and the cookies
/// the SP set with it.
pub async fn start_login(http: &Client, url: &str) -> Result<(String, Vec<String>), String> {
    let x = http
        .send(&post::get(url, &[]))
        .await
        .map_err(|e| e.to_string())?;
    let location = x.response.header("location").ok_or_else(|| {
        format!(
            "GET {url} answered {} without redirecting to the IdP",
            x.response.status
        )
    })?;
    let id = post::authn_request_id(location)?;
    Ok((id, x.response.cookies.clone()))
}

/// The last ACS exchange, and the whoami exchange when there was one.
pub struct Posted {
    pub verdict: Verdict,
    pub acs: Exchange,
    pub whoami: Option<Exchange>,
    /// A replay case's first post was refused (its status): the replay proves nothing.
    pub earlier_refused: Option<u16>,
}

/// Post every value of a built case as a fresh browser would, then ask who got the session.
pub async fn post_case(
    http: &Client,
    sp: &SpTarget,
    built: &cases::BuiltCase,
    login_cookies: &[String],
) -> Result<Posted, TransportError> {
    let mut last: Option<Exchange> = None;
    let mut earlier_refused = None;
    for (i, value) in built.posts.iter().enumerate() {
        let mut values = vec![value.clone()];
        if i == 0
            && let Some(second) = &built.second_value
        {
            values.push(second.clone());
        }
        // Each post comes from a fresh browser: a replay carries no session of the first.
        // Only the first post comes from the browser that started the login.
        let cookies = if i == 0 { login_cookies } else { &[] };
        // The RelayState goes with the post the case is about, the last.
        let relay = (i + 1 == built.posts.len())
            .then_some(built.relay_state.as_deref())
            .flatten();
        let x = http
            .send(&post::form_post(&sp.acs_url, &values, relay, cookies))
            .await?;
        // Every post before the last is the genuine one a replay repeats; it must get in.
        if i + 1 < built.posts.len() && x.response.status >= 400 && earlier_refused.is_none() {
            earlier_refused = Some(x.response.status);
        }
        last = Some(x);
    }
    let acs = last.expect("every case posts at least once");
    let mut verdict = Verdict {
        status: acs.response.status,
        accepted: acs.response.status < 400 && !acs.response.cookies.is_empty(),
        session: None,
    };
    let mut whoami = None;
    if let Some(url) = &sp.whoami_url
        && acs.response.status < 400
    {
        // The session may live in the login's cookies as well as the ACS's.
        let cookies: Vec<String> = login_cookies
            .iter()
            .chain(&acs.response.cookies)
            .cloned()
            .collect();
        let w = http.send(&post::get(url, &cookies)).await?;
        verdict.accepted = w.response.status == 200;
        if verdict.accepted {
            verdict.session = Some(sp.whoami.read(&w.response.body));
        }
        whoami = Some(w);
    }
    Ok(Posted {
        verdict,
        acs,
        whoami,
        earlier_refused,
    })
}

impl Verdict {
    pub fn describe(&self) -> String {
        let identity = self.session.as_ref().map(|s| s.identity.as_deref());
        match (self.accepted, identity) {
            (true, Some(Some(u))) => format!("accepted (status {}), session for {u}", self.status),
            (true, Some(None)) => format!(
                "accepted (status {}), a session whose identity idgate could not read",
                self.status
            ),
            (true, None) => format!(
                "accepted (status {}), a session cookie; who got it was not asked (no --saml-whoami-url)",
                self.status
            ),
            (false, _) => format!("rejected (status {})", self.status),
        }
    }

    /// The identity the session endpoint showed.
    fn identity(&self) -> Option<&str> {
        self.session.as_ref()?.identity.as_deref()
    }

    /// What this verdict rests on, kept with every case.
    fn evidence(&self, signed_identity: &str) -> SamlEvidence {
        SamlEvidence {
            acs_status: self.status,
            session: match (self.accepted, &self.session) {
                (false, _) => SessionState::None,
                (true, Some(_)) => SessionState::Opened,
                (true, None) => SessionState::NotAsked,
            },
            identity: self.identity().map(String::from),
            identity_at: self.session.as_ref().and_then(|s| s.identity_at.clone()),
            attributes: self.session.as_ref().and_then(|s| s.attributes.clone()),
            signed_identity: signed_identity.to_string(),
        }
    }
}

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
        clear_payloads(dir);
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
    http.send(&post::get(&sp.acs_url, &[])).await.map(|_| ())
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
    CheckResult {
        id: case.id.clone(),
        title: case.title.clone(),
        severity: case.severity,
        rule,
        outcome,
        expected: None,
        actual: None,
        message: None,
        location: None,
        curl: None,
    }
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

/// A valid Response's spec for the SP, issued now; SP-initiated, it answers a fresh login
/// (whose cookies come back with it).
async fn fresh_spec(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
) -> Result<(ResponseSpec, Vec<String>), String> {
    let now = OffsetDateTime::now_utc();
    let mut spec = ResponseSpec::new(&idp.entity_id, &sp.acs_url, &sp.audience, &sp.name_id, now);
    let mut login_cookies = Vec::new();
    if let Some(url) = &sp.login_url {
        let (id, cookies) = start_login(http, url)
            .await
            .map_err(|e| format!("the SP-initiated login failed: {e}"))?;
        spec.in_response_to = Some(id);
        login_cookies = cookies;
    }
    Ok((spec, login_cookies))
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
    let (spec, cookies) = fresh_spec(http, idp, sp).await?;
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
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
    // Without a login, every Response is unsolicited: this case would repeat saml.valid.
    if case.id == "saml.unsolicited" && sp.login_url.is_none() {
        return skipped(
            case,
            "needs --saml-login-url: without a login every case is unsolicited".into(),
        );
    }
    let (spec, login_cookies) = match fresh_spec(http, idp, sp).await {
        Ok(x) => x,
        Err(e) => return errored(case, e),
    };
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
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
    // A fetch of the canary while reading this message: an external entity, an
    // XInclude or a stylesheet was followed, whatever the verdict.
    let fetched = canary.hits_for(&case.id);
    if !fetched.is_empty() {
        outcome = Outcome::Fail;
        expected = "no fetch: a message must never make the SP load a URL".into();
    }
    let mut c = check(case, outcome);
    c.location = Some(Location::of(&case.span));
    if outcome == Outcome::Reported {
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
            match payloads.map(|dir| save_payload(dir, &case.id, &built)) {
                Some(Ok(line)) => line.replace("ACS_URL", &shell_quote(&sp.acs_url)),
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

/// The Location of an ACS redirect that leads to the RelayState cases' foreign host, read as a
/// browser reads it (a backslash is a slash, `//host` is the same scheme on another host).
fn redirects_to_foreign_host(x: &Exchange) -> Option<String> {
    if !(300..400).contains(&x.response.status) {
        return None;
    }
    let location = x.response.header("location")?;
    let normal = location.trim().replace('\\', "/").to_ascii_lowercase();
    let after_scheme = match normal.split_once("://") {
        Some((_, rest)) => rest,
        None => normal.strip_prefix("//")?,
    };
    let host = after_scheme
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("");
    (host == cases::FOREIGN_HOST).then(|| location.to_string())
}

/// Saves the last post of a case under `dir` (`CASE.b64` as posted, `CASE.xml` to read) and
/// returns the curl line that posts the file again, with `ACS_URL` for the URL.
fn save_payload(dir: &Path, id: &str, built: &cases::BuiltCase) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let last = built.posts.last().map_or("", String::as_str);
    let b64 = dir.join(format!("{id}.b64"));
    std::fs::write(&b64, last)?;
    std::fs::write(dir.join(format!("{id}.xml")), &built.xml)?;
    let mut line = format!(
        "curl -sS -X POST ACS_URL --data-urlencode SAMLResponse@{}",
        shell_quote(&b64.display().to_string())
    );
    if let Some(relay) = &built.relay_state {
        line.push_str(&format!(
            " --data-urlencode {}",
            shell_quote(&format!("RelayState={relay}"))
        ));
    }
    if let Some(second) = &built.second_value {
        let path = dir.join(format!("{id}.second.b64"));
        std::fs::write(&path, second)?;
        line.push_str(&format!(
            " --data-urlencode SAMLResponse@{}",
            shell_quote(&path.display().to_string())
        ));
    }
    Ok(line)
}

/// Removes an earlier run's saved payloads, so that every file there belongs to this run.
/// Only idgate's own names (`saml.*.b64`, `saml.*.xml`) are touched.
fn clear_payloads(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("saml.") && (name.ends_with(".b64") || name.ends_with(".xml")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A case's outcome, what was wanted, and the sentence that explains an outcome that is
/// neither a plain pass nor a plain failure.
struct Judged {
    outcome: Outcome,
    expected: String,
    why: Option<String>,
}

impl Judged {
    fn new(outcome: Outcome, expected: impl Into<String>) -> Judged {
        Judged {
            outcome,
            expected: expected.into(),
            why: None,
        }
    }
    fn because(mut self, why: impl Into<String>) -> Judged {
        self.why = Some(why.into());
        self
    }
}

/// The verdict of one case, by exact comparison of the session's identity and attributes
/// with what the IdP signed: never by searching the SP's answer for a name, since a forged
/// identity can be a prefix of the signed one (`admin@example.com` in
/// `admin@example.com.evil.test`).
fn judge(expect: Expect, v: &Verdict, original: &str, signed: &Attributes) -> Judged {
    if v.status >= 500 {
        return Judged::new(
            Outcome::Fail,
            "an answer, not a server error: a malformed message must not crash the SP",
        );
    }
    let is_original = v.identity().map(|u| u.eq_ignore_ascii_case(original));
    // Attributes the session shows with values the IdP did not sign.
    let forged_attributes = v
        .session
        .as_ref()
        .and_then(|s| s.attributes.as_ref())
        .map(|a| attribute_differences(a, signed))
        .filter(|d| !d.is_empty());
    let unreadable = "a session was opened, but idgate could not read whose: pass \
        --saml-whoami-pointer (and --saml-attributes-pointer) to say where the session \
        endpoint's JSON holds the identity";
    match expect {
        Expect::Accept => {
            let ok = v.accepted && is_original != Some(false);
            Judged::new(
                if ok { Outcome::Pass } else { Outcome::Fail },
                format!("accepted, session for {original}"),
            )
        }
        Expect::Reject => Judged::new(
            if v.accepted {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            "rejected: an error and no session",
        ),
        Expect::AcceptOriginalOnly => {
            let expected = format!(
                "rejected, or a session for {original} only, with the attributes the IdP signed"
            );
            match (v.accepted, is_original, forged_attributes) {
                (false, ..) => Judged::new(Outcome::Pass, expected),
                (true, Some(false), _) => Judged::new(Outcome::Fail, expected),
                (true, _, Some(diff)) => Judged::new(Outcome::Fail, expected).because(format!(
                    "the session carries attributes the IdP did not sign: {}",
                    diff.join("; ")
                )),
                (true, Some(true), None) => Judged::new(Outcome::Pass, expected),
                (true, None, None) if v.session.is_some() => {
                    Judged::new(Outcome::Skip, expected).because(unreadable)
                }
                (true, None, None) => Judged::new(Outcome::Skip, expected).because(
                    "accepted, but who got the session is unknown: pass --saml-whoami-url",
                ),
            }
        }
        Expect::Report => Judged::new(Outcome::Reported, "reported, not judged"),
        // Measured by play_measure, never judged here.
        Expect::Measure => Judged::new(Outcome::Error, "a measurement"),
    }
}

/// A listener on 127.0.0.1 that the fetch-inviting cases point at: any
/// request it receives means the SP followed a URL inside a message.
pub struct Canary {
    pub url: String,
    hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Canary {
    pub async fn start() -> std::io::Result<Canary> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/idgate-canary", listener.local_addr()?);
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = hits.clone();
        let task = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut conn, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let n = tokio::time::timeout(
                        std::time::Duration::from_secs(2),
                        conn.read(&mut buf),
                    )
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                    let line = String::from_utf8_lossy(&buf[..n]);
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    seen.lock().expect("canary lock").push(path);
                    let _ = conn
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        Ok(Canary { url, hits, task })
    }

    /// The paths fetched for `case_id` (its canary path ends with the id without `saml.`).
    pub fn hits_for(&self, case_id: &str) -> Vec<String> {
        let name = case_id.trim_start_matches("saml.");
        self.hits
            .lock()
            .expect("canary lock")
            .iter()
            .filter(|p| {
                p.ends_with(&format!("/{name}"))
                    || p.contains(&format!("/{name}/"))
                    || p.contains(&format!("/{name}?"))
            })
            .map(|p| format!("{}{p}", self.origin()))
            .collect()
    }

    /// `http://127.0.0.1:PORT`, what the fetched paths are relative to.
    fn origin(&self) -> &str {
        self.url.trim_end_matches("/idgate-canary")
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        self.task.abort();
    }
}
