//! Plays the SAML battery: every case of `saml::cases` is built for the SP,
//! posted to its ACS URL, and judged by whether a session was opened and
//! for whom. The result is one scenario in the same result tree as SCIM.

use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::Observer;
use crate::result::*;
use crate::saml::cases::{self, Case, CaseContext, Expect};
use crate::saml::{IdpKey, ResponseSpec, post};
use crate::scenario::{CheckMeta, Severity};
use crate::scim::{ClientOptions, Exchange, ScimClient, TransportError};

/// The service provider under test.
#[derive(Debug, Clone)]
pub struct SpTarget {
    pub acs_url: String,
    /// The SP's entity ID, written into every AudienceRestriction.
    pub audience: String,
    /// A page that tells who is logged in, read with the cookies the ACS set.
    pub whoami_url: Option<String>,
    /// SP-initiated login: each case first GETs this URL, and its Response
    /// answers the AuthnRequest found in the redirect (InResponseTo).
    pub login_url: Option<String>,
    /// Clock skew the SP allows; timing cases sit just inside and outside it.
    pub skew: time::Duration,
    /// The user every valid response logs in.
    pub name_id: String,
}

/// idgate's test IdP and the keys its forgeries use.
pub struct Idp {
    pub key: IdpKey,
    pub attacker: IdpKey,
    pub cloned: IdpKey,
    pub entity_id: String,
}

/// Check metadata for every case, for the catalogue and `idgate list`.
pub fn catalogue() -> Vec<CheckMeta> {
    cases::all().iter().map(meta).collect()
}

fn meta(c: &Case) -> CheckMeta {
    let severity = match c.expect {
        Expect::Reject | Expect::AcceptOriginalOnly => Severity::Critical,
        Expect::Accept => Severity::Major,
        Expect::Report => Severity::Minor,
    };
    CheckMeta {
        id: c.id.to_string(),
        title: c.title.to_string(),
        severity,
        rule: format!(
            "SAML negative-test catalogue, group {:?} ({}): {}",
            c.group,
            c.group.title(),
            c.cite
        ),
        builtin: false,
    }
}

/// The SAML side of a target: the SP, idgate's IdP, and a client that
/// treats redirects as answers (an ACS often redirects after login).
pub struct SamlSide {
    pub sp: SpTarget,
    pub idp: Idp,
    http: ScimClient,
}

impl SamlSide {
    pub fn new(sp: SpTarget, idp: Idp) -> SamlSide {
        let opts = ClientOptions {
            redirects_are_errors: false,
            ..ClientOptions::default()
        };
        let http = ScimClient::new("", crate::redact::Secret::new(""), None, opts)
            .expect("a plain HTTP client builds");
        SamlSide { sp, idp, http }
    }

    /// The client that posts to the SP.
    pub fn http_client(&self) -> &ScimClient {
        &self.http
    }
}

/// What the SP did with the last post of a case.
pub struct Verdict {
    pub status: u16,
    pub accepted: bool,
    pub session_user: Option<String>,
}

/// Start an SP-initiated login: the AuthnRequest ID to answer and the cookies
/// the SP set with it.
pub async fn start_login(http: &ScimClient, url: &str) -> Result<(String, Vec<String>), String> {
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
}

/// Post every value of a built case as a fresh browser would, then ask who got the session.
pub async fn post_case(
    http: &ScimClient,
    sp: &SpTarget,
    built: &cases::BuiltCase,
    login_cookies: &[String],
) -> Result<Posted, TransportError> {
    let mut last: Option<Exchange> = None;
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
        last = Some(
            http.send(&post::form_post(&sp.acs_url, &values, None, cookies))
                .await?,
        );
    }
    let acs = last.expect("every case posts at least once");
    let mut verdict = Verdict {
        status: acs.response.status,
        accepted: acs.response.status < 400 && !acs.response.cookies.is_empty(),
        session_user: None,
    };
    let mut whoami = None;
    if let Some(url) = &sp.whoami_url
        && acs.response.status < 400
    {
        let w = http.send(&post::get(url, &acs.response.cookies)).await?;
        verdict.accepted = w.response.status == 200;
        if verdict.accepted {
            verdict.session_user = post::session_user(&w.response.body);
        }
        whoami = Some(w);
    }
    Ok(Posted {
        verdict,
        acs,
        whoami,
    })
}

impl Verdict {
    pub fn describe(&self) -> String {
        match (self.accepted, &self.session_user) {
            (true, Some(u)) => format!("accepted (status {}), session for {u}", self.status),
            (true, None) => format!("accepted (status {}), session user unknown", self.status),
            (false, _) => format!("rejected (status {})", self.status),
        }
    }
}

/// Play every case (or those whose id contains `filter`) against `sp`.
pub async fn run_battery(
    side: &SamlSide,
    filter: Option<&str>,
    stop: &watch::Receiver<bool>,
    observer: &mut dyn Observer,
) -> ScenarioResult {
    let started = Instant::now();
    let (http, idp, sp) = (&side.http, &side.idp, &side.sp);
    let scenario = crate::scenario::Scenario {
        name: "saml-battery".into(),
        description: "Forged, expired and malformed SAML Responses posted to the SP's ACS URL"
            .into(),
        file: "src/saml/cases.rs".into(),
        clients: vec!["saml-idp".into()],
        tags: vec!["saml".into()],
        vars: vec![],
        steps: vec![],
    };
    observer.scenario_started("saml-idp", &scenario);
    let mut steps = Vec::new();
    for case in cases::all()
        .iter()
        .filter(|c| filter.is_none_or(|f| c.id.contains(f)))
    {
        let step = if *stop.borrow() {
            skipped(case, "the run was interrupted".into())
        } else {
            play(http, idp, sp, case).await
        };
        observer.step_finished(&step);
        steps.push(step);
    }
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
    };
    observer.scenario_finished(&result);
    result
}

fn check(case: &Case, outcome: Outcome) -> CheckResult {
    let m = meta(case);
    CheckResult {
        id: m.id,
        title: m.title,
        severity: m.severity,
        rule: m.rule,
        outcome,
        expected: None,
        actual: None,
        message: None,
        location: None,
        curl: None,
    }
}

fn skipped(case: &Case, reason: String) -> StepResult {
    let mut c = check(case, Outcome::Skip);
    c.message = Some(reason.clone());
    StepResult {
        name: case.id.to_string(),
        location: format!("saml case {}", case.id),
        status: StepStatus::Skipped,
        reason: Some(reason),
        exchanges: vec![],
        checks: vec![c],
    }
}

async fn play(http: &ScimClient, idp: &Idp, sp: &SpTarget, case: &Case) -> StepResult {
    let now = OffsetDateTime::now_utc();
    let mut spec = ResponseSpec::new(&idp.entity_id, &sp.acs_url, &sp.audience, &sp.name_id, now);
    let mut login_cookies = Vec::new();
    if let Some(url) = &sp.login_url {
        match start_login(http, url).await {
            Ok((id, cookies)) => {
                spec.in_response_to = Some(id);
                login_cookies = cookies;
            }
            Err(e) => return skipped(case, format!("the SP-initiated login failed: {e}")),
        }
    }
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attacker, &idp.cloned);
    ctx.skew = sp.skew;
    let built = match cases::build(case.id, &ctx) {
        Ok(b) => b,
        Err(e) => return skipped(case, format!("idgate could not build this case: {e}")),
    };
    let mut step = StepResult {
        name: case.id.to_string(),
        location: format!("saml case {}", case.id),
        status: StepStatus::Ran,
        reason: None,
        exchanges: vec![],
        checks: vec![],
    };
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
    } = match post_case(http, sp, &built, &login_cookies).await {
        Ok(p) => p,
        Err(e) => return error(step, e),
    };
    let original = &built.original_user;
    let (outcome, expected) = judge(case.expect, &verdict, original);
    let mut c = check(case, outcome);
    c.location = Some(format!("saml case {} ({})", case.id, case.changes));
    if outcome != Outcome::Pass {
        c.expected = Some(expected);
        c.actual = Some(format!(
            "{}: {}",
            verdict.describe(),
            crate::check::excerpt(&x.response.body, 160)
        ));
        c.curl = Some(x.curl("IDGATE_SCIM_TOKEN"));
        c.message = match outcome {
            Outcome::Skip => Some(
                "accepted, but which user got the session is unknown: pass --saml-whoami-url"
                    .into(),
            ),
            _ => Some(format!(
                "the posted Response is in report.json under this case; it changes: {}",
                case.changes
            )),
        };
        // The evidence stays with failures only, so reports stay small when all is well.
        step.exchanges.push(x);
        step.exchanges.extend(whoami_exchange);
    } else if case.expect == Expect::Report {
        c.message = Some(format!("policy: {}", verdict.describe()));
    }
    step.checks.push(c);
    step
}

fn judge(expect: Expect, v: &Verdict, original: &str) -> (Outcome, String) {
    if v.status >= 500 {
        return (
            Outcome::Fail,
            "an answer, not a server error: a malformed message must not crash the SP".into(),
        );
    }
    let is_original = v
        .session_user
        .as_deref()
        .map(|u| u.eq_ignore_ascii_case(original));
    match expect {
        Expect::Accept => {
            let ok = v.accepted && is_original != Some(false);
            (
                if ok { Outcome::Pass } else { Outcome::Fail },
                format!("accepted, session for {original}"),
            )
        }
        Expect::Reject => (
            if v.accepted {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            "rejected: an error and no session".into(),
        ),
        Expect::AcceptOriginalOnly => {
            let outcome = match (v.accepted, is_original) {
                (false, _) => Outcome::Pass,
                (true, Some(true)) => Outcome::Pass,
                (true, Some(false)) => Outcome::Fail,
                (true, None) => Outcome::Skip,
            };
            (
                outcome,
                format!("rejected, or a session for {original} only"),
            )
        }
        Expect::Report => (Outcome::Pass, "reported, not judged".into()),
    }
}
