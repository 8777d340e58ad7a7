//! Plays the SAML battery: every case of `saml::cases` is built for the SP,
//! posted to its ACS URL, and judged by whether a session was opened and
//! for whom. The result is one scenario in the same result tree as SCIM.

use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::watch;

use super::{Event, Reporter};
use crate::http::{Client, Exchange, TransportError};
use crate::result::*;
use crate::saml::cases::{self, Case, CaseContext, Expect};
use crate::saml::{Idp, ResponseSpec, post};
use crate::session::{SamlSide, SpTarget};

/// What the SP did with the last post of a case.
pub struct Verdict {
    pub status: u16,
    pub accepted: bool,
    pub session_user: Option<String>,
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
        let x = http
            .send(&post::form_post(&sp.acs_url, &values, None, cookies))
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
        session_user: None,
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
            verdict.session_user = post::session_user(&w.response.body);
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
        match (self.accepted, &self.session_user) {
            (true, Some(u)) => format!("accepted (status {}), session for {u}", self.status),
            (true, None) => format!("accepted (status {}), session user unknown", self.status),
            (false, _) => format!("rejected (status {})", self.status),
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
            };
        }
    };
    let mut steps = Vec::new();
    for &case in cases {
        let step = if *stop.borrow() {
            skipped(case, "the run was interrupted".into())
        } else {
            play(http, idp, sp, case, &canary).await
        };
        observer.event(&Event::CaseFinished { step: &step });
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
    observer.event(&Event::ScenarioFinished { result: &result });
    result
}

fn check(case: &Case, outcome: Outcome) -> CheckResult {
    CheckResult {
        id: case.id.clone(),
        title: case.title.clone(),
        severity: case.severity,
        rule: case.rule.clone(),
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
        name: case.id.clone(),
        location: Location::of(&case.span),
        status: StepStatus::Skipped,
        reason: Some(reason),
        fallback: None,
        exchanges: vec![],
        checks: vec![c],
    }
}

/// A case that could not be played: an error, so a broken setup never reads as a pass.
fn errored(case: &Case, reason: String) -> StepResult {
    let mut step = skipped(case, reason);
    step.status = StepStatus::Error;
    step.checks[0].outcome = Outcome::Error;
    step
}

async fn play(http: &Client, idp: &Idp, sp: &SpTarget, case: &Case, canary: &Canary) -> StepResult {
    // Without a login, every Response is unsolicited: this case would repeat saml.valid.
    if case.id == "saml.unsolicited" && sp.login_url.is_none() {
        return skipped(
            case,
            "needs --saml-login-url: without a login every case is unsolicited".into(),
        );
    }
    let now = OffsetDateTime::now_utc();
    let mut spec = ResponseSpec::new(&idp.entity_id, &sp.acs_url, &sp.audience, &sp.name_id, now);
    let mut login_cookies = Vec::new();
    if let Some(url) = &sp.login_url {
        match start_login(http, url).await {
            Ok((id, cookies)) => {
                spec.in_response_to = Some(id);
                login_cookies = cookies;
            }
            Err(e) => return errored(case, format!("the SP-initiated login failed: {e}")),
        }
    }
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
    ctx.skew = sp.skew;
    ctx.canary_url = Some(canary.url.clone());
    let built = match cases::build(&case.id, &ctx) {
        Ok(b) => b,
        Err(e) => return errored(case, format!("idgate could not build this case: {e}")),
    };
    let mut step = StepResult {
        name: case.id.clone(),
        location: Location::of(&case.span),
        status: StepStatus::Ran,
        reason: None,
        fallback: None,
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
    let (mut outcome, mut expected) = judge(case.expect, &verdict, original);
    // No whoami URL: the ACS answer itself may name the user who got in.
    if outcome == Outcome::Skip {
        let body = &x.response.body;
        if built
            .attacker_user
            .as_deref()
            .is_some_and(|a| body.contains(a))
        {
            outcome = Outcome::Fail;
        } else if body.contains(original.as_str()) {
            outcome = Outcome::Pass;
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
    if outcome == Outcome::Reported {
        c.message = Some(format!("policy: {}", verdict.describe()));
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
        Expect::Report => (Outcome::Reported, "reported, not judged".into()),
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
