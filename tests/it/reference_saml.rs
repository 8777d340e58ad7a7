//! The reference SAML SP driven over HTTP with idgate's case battery: with no fault its verdict
//! on every case matches the catalogue, and each SAML fault alone makes it get the case it names
//! wrong. The inputs come from idgate's test IdP; the SP verifies them with its own, independent
//! verifier. Nothing but 127.0.0.1 is bound or fetched.

use crate::common;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idgate::reference::{self, Fault, ReferenceOptions, RunningReference, SpOptions};
use idgate::saml::cases::{self, BuiltCase, CaseContext, Expect};
use idgate::saml::{IdpKey, ResponseSpec};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

const USER: &str = "alice@example.com";
const SIGN_IN_URL: &str = "https://idp.example/sso";

struct Keys {
    idp: IdpKey,
    attacker: IdpKey,
    cloned: IdpKey,
    rotation: idgate::saml::RotationKeys,
}

impl Keys {
    fn load() -> Keys {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml");
        let key = |name: &str| {
            let read = |f: String| std::fs::read(dir.join(f)).unwrap();
            IdpKey::from_pem(
                &read(format!("{name}-key.pem")),
                &read(format!("{name}-cert.pem")),
            )
            .unwrap()
        };
        Keys {
            idp: key("idp"),
            attacker: key("attacker"),
            cloned: key("cloned"),
            rotation: idgate::saml::RotationKeys::fixtures().unwrap(),
        }
    }
}

/// A loopback listener that counts connections: the cases that invite a fetch point at it.
struct Canary {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Canary {
    async fn start() -> Canary {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/canary", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\ncanary",
                    )
                    .await;
            }
        });
        Canary { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

struct Sp {
    running: RunningReference,
    client: reqwest::Client,
    /// The attributes whoami showed after the last accepted post.
    last_attributes: std::sync::Mutex<Value>,
    /// Where the last post's answer redirected, if it did.
    last_location: std::sync::Mutex<Option<String>>,
}

/// What the SP did with one post.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// 200, and whoami names this user.
    Accepted(String),
    /// A 4xx status and the reason given.
    Rejected(u16, String),
}

impl Sp {
    async fn start(faults: Vec<Fault>, saml: SpOptions) -> Sp {
        let running = reference::start(ReferenceOptions {
            faults,
            saml,
            ..ReferenceOptions::default()
        })
        .await
        .unwrap();
        assert!(running.addr.ip().is_loopback());
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Sp {
            running,
            client,
            last_attributes: std::sync::Mutex::new(Value::Null),
            last_location: std::sync::Mutex::new(None),
        }
    }

    async fn with_faults(faults: Vec<Fault>) -> Sp {
        Sp::start(
            faults,
            SpOptions {
                idp_sign_in_url: Some(SIGN_IN_URL.into()),
                ..SpOptions::default()
            },
        )
        .await
    }

    /// A valid response for `USER`; solicited through `GET /saml/login` when `solicited`.
    async fn spec(&self, solicited: bool) -> ResponseSpec {
        let mut spec = ResponseSpec::new(
            reference::DEFAULT_IDP_ENTITY_ID,
            &self.running.saml_acs_url,
            &self.running.saml_audience,
            USER,
            OffsetDateTime::now_utc(),
        );
        if solicited {
            spec.in_response_to = Some(self.login().await);
        }
        spec
    }

    /// Starts SP-initiated sign-in; returns the AuthnRequest ID.
    async fn login(&self) -> String {
        let resp = self
            .client
            .get(&self.running.saml_login_url)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302);
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(&format!("{SIGN_IN_URL}?SAMLRequest=")));
        let query = location.split_once('?').unwrap().1;
        let (_, request) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "SAMLRequest")
            .unwrap();
        let deflated = STANDARD.decode(request.as_bytes()).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains(&format!(
            "AssertionConsumerServiceURL=\"{}\"",
            self.running.saml_acs_url
        )));
        let id = xml.split(" ID=\"").nth(1).unwrap();
        id[..id.find('"').unwrap()].to_string()
    }

    /// Posts a raw form body to the ACS.
    async fn post_form(&self, body: String) -> Verdict {
        let resp = self
            .client
            .post(&self.running.saml_acs_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|c| c.to_str().unwrap().to_string());
        let resp_location = resp
            .headers()
            .get("location")
            .map(|c| c.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        assert!(status < 500, "{status}: {text}");
        // The SP turns a panic into a 403 for the client; for these tests it is a bug.
        assert!(
            !text.contains("the SP panicked judging the message"),
            "{text}"
        );
        // A redirect with a session (the RelayState fault) is a login like a 200.
        let location = resp_location;
        *self.last_location.lock().unwrap() = location.clone();
        if status != 200 && !(status == 303 && cookie.is_some()) {
            assert!(cookie.is_none(), "a session on {status}");
            let reason = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["reason"].as_str().map(str::to_string))
                .unwrap_or(text);
            return Verdict::Rejected(status, reason);
        }
        let cookie = cookie.expect("200 without a session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("Path=/"),
            "{cookie}"
        );
        let pair = cookie.split(';').next().unwrap().to_string();
        assert!(pair.starts_with("idgate_sp_session="), "{cookie}");
        let who = self.whoami(Some(&pair)).await;
        assert_eq!(who.0, 200, "{who:?}");
        *self.last_attributes.lock().unwrap() = who.1["attributes"].clone();
        Verdict::Accepted(who.1["name_id"].as_str().unwrap().to_string())
    }

    async fn whoami(&self, cookie: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(&self.running.saml_whoami_url);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Posts every post of `built`; earlier posts must be accepted, the last one's verdict is
    /// returned.
    async fn post_case(&self, id: &str, built: &BuiltCase) -> Verdict {
        let last = built.posts.len() - 1;
        let mut verdict = None;
        for (i, value) in built.posts.iter().enumerate() {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("SAMLResponse", value);
            if i == last
                && let Some(second) = &built.second_value
            {
                form.append_pair("SAMLResponse", second);
            }
            let relay = match (i == last, &built.relay_state) {
                (true, Some(r)) => r.as_str(),
                _ => "/after-login",
            };
            form.append_pair("RelayState", relay);
            let v = self.post_form(form.finish()).await;
            if i < last {
                assert_eq!(
                    v,
                    Verdict::Accepted(built.original_user.clone()),
                    "{id}: post {i}"
                );
            }
            verdict = Some(v);
        }
        verdict.unwrap()
    }
}

/// Whether `verdict` is what a correct SP does with the case; `None` for policy (Report).
fn correct(expect: Expect, built: &BuiltCase, verdict: &Verdict) -> Option<bool> {
    let original = |u: &String| *u == built.original_user;
    match (expect, verdict) {
        (Expect::Report, _) => None,
        (Expect::Accept, Verdict::Accepted(u)) => Some(original(u)),
        (Expect::Accept, Verdict::Rejected(..)) => Some(false),
        (Expect::Reject, v) => Some(matches!(v, Verdict::Rejected(..))),
        (Expect::AcceptOriginalOnly, Verdict::Accepted(u)) => Some(original(u)),
        (Expect::AcceptOriginalOnly, Verdict::Rejected(..)) => Some(true),
        // One post proves nothing of a tolerance: measured by the battery (mutation tests).
        (Expect::Measure, _) => None,
    }
}

/// Runs the whole battery against `sp`, each case from a fresh response (new IDs), solicited
/// through `GET /saml/login` or not, judged under an SP profile or none; returns the wrong
/// verdicts and the policy ones.
async fn battery(
    sp: &Sp,
    keys: &Keys,
    canary: &Canary,
    solicited: bool,
    profile: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut wrong = Vec::new();
    let mut report = Vec::new();
    for case in cases::all() {
        let case = case.under_profile(profile);
        let spec = sp.spec(solicited).await;
        let mut ctx = CaseContext::new(spec, &keys.idp, &keys.attacker, &keys.cloned);
        ctx.rotation = Some(&keys.rotation);
        ctx.canary_url = Some(canary.url.clone());
        let built = cases::build(&case.id, &ctx).unwrap();
        let verdict = sp.post_case(&case.id, &built).await;
        match correct(case.expect, &built, &verdict) {
            Some(true) => {}
            Some(false) => wrong.push(format!("{} ({:?}): {verdict:?}", case.id, case.expect)),
            None => report.push(format!("{}: {verdict:?}", case.id)),
        }
    }
    (wrong, report)
}

#[tokio::test]
async fn every_case_gets_the_catalogue_verdict() {
    let keys = Keys::load();
    let canary = Canary::start().await;
    let sp = Sp::with_faults(Vec::new()).await;
    // The reference SP holds the Entra profile's stricter rules too (an expired IdP
    // certificate refused), so it is right under that profile as well.
    for (solicited, profile) in [(true, None), (false, None), (false, Some("entra"))] {
        let (wrong, report) = battery(&sp, &keys, &canary, solicited, profile).await;
        println!(
            "policy cases (Report), solicited={solicited}, profile={profile:?}:\n  {}",
            report.join("\n  ")
        );
        assert!(
            wrong.is_empty(),
            "wrong verdicts (solicited={solicited}, profile={profile:?}):\n  {}",
            wrong.join("\n  ")
        );
    }
    assert_eq!(canary.hits(), 0, "the SP fetched a canary URL");
}

#[tokio::test]
async fn each_saml_fault_gets_its_case_wrong() {
    let keys = Keys::load();
    let canary = Canary::start().await;
    let mut not_broken = Vec::new();
    for fault in Fault::ALL.iter().filter(|f| f.area() == "saml") {
        // Under the Entra profile, so that a fault of a rule only that profile requires (an
        // expired IdP certificate) is judged too; a profile only makes cases stricter.
        let case = cases::find(fault.breaks())
            .unwrap()
            .under_profile(Some("entra"));
        let sp = Sp::with_faults(vec![*fault]).await;
        // Unsolicited, so that only the replay cache stands between a replay and a session.
        let spec = sp.spec(false).await;
        let mut ctx = CaseContext::new(spec, &keys.idp, &keys.attacker, &keys.cloned);
        ctx.rotation = Some(&keys.rotation);
        ctx.canary_url = Some(canary.url.clone());
        let built = cases::build(&case.id, &ctx).unwrap();
        let hits = canary.hits();
        let verdict = sp.post_case(&case.id, &built).await;
        // A session for the signed user that carries other values under a signed name is
        // as wrong as a session for someone else.
        let shown = sp.last_attributes.lock().unwrap().clone();
        let foreign = matches!(verdict, Verdict::Accepted(_))
            && built.signed_attributes.iter().any(|(name, signed)| {
                shown
                    .get(name)
                    .is_some_and(|v| v != &serde_json::json!(signed))
            });
        // A redirect to the RelayState's foreign host is an open redirect, whatever the session.
        let redirected = built.relay_state.is_some()
            && sp
                .last_location
                .lock()
                .unwrap()
                .as_deref()
                .is_some_and(|l| l.contains(cases::FOREIGN_HOST));
        if !foreign && !redirected && correct(case.expect, &built, &verdict) != Some(false) {
            not_broken.push(format!("{fault} on {}: {verdict:?}", case.id));
        }
        if *fault == Fault::ResolvesExternalEntities {
            assert!(canary.hits() > hits, "the XXE fault fetched nothing");
        }
        sp.running.stop().await;
    }
    assert!(
        not_broken.is_empty(),
        "faults that did not break their case:\n  {}",
        not_broken.join("\n  ")
    );
}

#[tokio::test]
async fn every_saml_fault_at_once_still_never_fails_with_5xx() {
    let keys = Keys::load();
    let canary = Canary::start().await;
    let faults = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.area() == "saml")
        .collect();
    let sp = Sp::with_faults(faults).await;
    for case in cases::all() {
        let spec = sp.spec(false).await;
        let mut ctx = CaseContext::new(spec, &keys.idp, &keys.attacker, &keys.cloned);
        ctx.rotation = Some(&keys.rotation);
        ctx.canary_url = Some(canary.url.clone());
        let built = cases::build(&case.id, &ctx).unwrap();
        for value in &built.posts {
            // post_form fails the test on any 5xx.
            sp.post_form(form(value)).await;
        }
    }
}

fn form(value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", value)
        .finish()
}

#[tokio::test]
async fn hostile_posts_are_refused_with_4xx() {
    let sp = Sp::with_faults(Vec::new()).await;
    let rejected = |v: Verdict| match v {
        Verdict::Rejected(status, reason) => format!("{status} {reason}"),
        other => panic!("accepted: {other:?}"),
    };
    let r = rejected(sp.post_form(String::new()).await);
    assert!(r.starts_with("400 no SAMLResponse"), "{r}");
    let big = format!("SAMLResponse={}", "A".repeat(300 * 1024));
    let r = rejected(sp.post_form(big).await);
    assert!(r.starts_with("413 "), "{r}");
    let r = rejected(sp.post_form(form("%%%")).await);
    assert!(r.starts_with("403 SAMLResponse is not base64"), "{r}");
    let r = rejected(sp.post_form(form(&STANDARD.encode([0xff, 0xfe]))).await);
    assert!(r.starts_with("403 "), "{r}");
    for xml in [
        "not xml".to_string(),
        "<a>".to_string(),
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>".to_string(),
        format!("{}{}", "<a>".repeat(20_000), "</a>".repeat(20_000)),
        "<?xml version=\"1.0\"?><!DOCTYPE a SYSTEM \"http://127.0.0.1:9/x\"><a/>".to_string(),
    ] {
        let r = rejected(sp.post_form(form(&STANDARD.encode(&xml))).await);
        assert!(r.starts_with("403 "), "{r}");
    }
    let get = sp
        .client
        .get(&sp.running.saml_acs_url)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn whoami_needs_the_session_and_shows_the_provisioned_user() {
    let keys = Keys::load();
    let sp = Sp::with_faults(Vec::new()).await;
    assert_eq!(sp.whoami(None).await.0, 401);
    assert_eq!(sp.whoami(Some("idgate_sp_session=forged")).await.0, 401);
    for (id, first) in [
        ("saml.claims-uri-names", "Test"),
        ("saml.claims-short-names", "Other"),
    ] {
        let mut spec = sp
            .spec(false)
            .await
            .for_subject(&format!("{}@example.com", first.to_lowercase()));
        for a in &mut spec.attributes {
            if a.values == ["Test"] {
                a.values = vec![first.to_string()];
            }
        }
        let ctx = CaseContext::new(spec, &keys.idp, &keys.attacker, &keys.cloned);
        let built = cases::build(id, &ctx).unwrap();
        let resp = sp
            .client
            .post(&sp.running.saml_acs_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&built.posts[0]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{id}");
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
        let pair = cookie.split(';').next().unwrap();
        let (status, who) = sp.whoami(Some(pair)).await;
        assert_eq!(status, 200);
        let address = format!("{}@example.com", first.to_lowercase());
        let expected = serde_json::json!({
            "name_id": address,
            "email": address,
            "first_name": first,
            "last_name": "User",
        });
        // The session's attributes are exactly the ones this login's assertion signed.
        let signed = serde_json::to_value(&built.signed_attributes).unwrap();
        assert_eq!(who["attributes"], signed, "{id}");
        let mut who = who;
        who.as_object_mut().unwrap().remove("attributes");
        assert_eq!(who, expected, "{id}");
    }
}

#[tokio::test]
async fn an_authn_request_is_answered_once() {
    let keys = Keys::load();
    let sp = Sp::with_faults(Vec::new()).await;
    let spec = sp.spec(true).await;
    let first = CaseContext::new(spec.clone(), &keys.idp, &keys.attacker, &keys.cloned);
    let built = cases::build("saml.valid", &first).unwrap();
    assert_eq!(
        sp.post_case("first", &built).await,
        Verdict::Accepted(USER.into())
    );
    // A second, fresh response (new IDs) to the same request.
    let mut again = spec.clone();
    again.response_id = "_again_r".into();
    again.assertion_id = "_again_a".into();
    let ctx = CaseContext::new(again, &keys.idp, &keys.attacker, &keys.cloned);
    let built = cases::build("saml.valid", &ctx).unwrap();
    match sp.post_case("second", &built).await {
        Verdict::Rejected(403, reason) => assert!(reason.contains("InResponseTo"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn options_decide_unsolicited_domains_and_skew() {
    let keys = Keys::load();
    let build = |spec: ResponseSpec, id: &str, skew: time::Duration| {
        let mut ctx = CaseContext::new(spec, &keys.idp, &keys.attacker, &keys.cloned);
        ctx.skew = skew;
        cases::build(id, &ctx).unwrap()
    };
    let three = time::Duration::minutes(3);

    let strict = Sp::start(
        Vec::new(),
        SpOptions {
            idp_sign_in_url: Some(SIGN_IN_URL.into()),
            allow_unsolicited: false,
            allowed_email_domains: Vec::new(),
            skew: std::time::Duration::from_secs(60),
            ..SpOptions::default()
        },
    )
    .await;
    let unsolicited = build(strict.spec(false).await, "saml.valid", three);
    assert!(matches!(
        strict.post_case("unsolicited", &unsolicited).await,
        Verdict::Rejected(403, r) if r.contains("unsolicited")
    ));
    let solicited = build(strict.spec(true).await, "saml.valid", three);
    assert_eq!(
        strict.post_case("solicited", &solicited).await,
        Verdict::Accepted(USER.into())
    );
    // Any domain: the whole NameID, comment and all, is the user.
    let split = build(strict.spec(true).await, "saml.comment-in-nameid", three);
    assert_eq!(
        strict.post_case("comment", &split).await,
        Verdict::Accepted("admin@example.com.evil.test".into())
    );
    // A one-minute skew: the timing cases built for it fall on the right sides.
    let minute = time::Duration::minutes(1);
    for (id, accepted) in [
        ("saml.expired-inside-skew", true),
        ("saml.expired-outside-skew", false),
        ("saml.not-yet-valid-inside-skew", true),
        ("saml.not-yet-valid-outside-skew", false),
    ] {
        let built = build(strict.spec(true).await, id, minute);
        let v = strict.post_case(id, &built).await;
        assert_eq!(matches!(v, Verdict::Accepted(_)), accepted, "{id}: {v:?}");
    }

    let other_domain = Sp::start(
        Vec::new(),
        SpOptions {
            allowed_email_domains: vec!["corp.example".into()],
            ..SpOptions::default()
        },
    )
    .await;
    let valid = build(other_domain.spec(false).await, "saml.valid", three);
    assert!(matches!(
        other_domain.post_case("domain", &valid).await,
        Verdict::Rejected(403, r) if r.contains("allowed domains")
    ));
}

#[tokio::test]
async fn login_and_metadata() {
    let sp = Sp::start(Vec::new(), SpOptions::default()).await;
    let resp = sp
        .client
        .get(&sp.running.saml_login_url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "no sign-in URL configured");
    let with_url = Sp::with_faults(Vec::new()).await;
    let resp = with_url
        .client
        .get(format!(
            "{}?RelayState=%2Fhome",
            with_url.running.saml_login_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.ends_with("&RelayState=%2Fhome"), "{location}");
    assert!(with_url.login().await.starts_with('_'));

    let metadata_url = sp.running.saml_acs_url.replace("/acs", "/metadata");
    let resp = sp.client.get(metadata_url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let md = resp.text().await.unwrap();
    assert!(md.contains(&format!("entityID=\"{}\"", reference::DEFAULT_ENTITY_ID)));
    assert!(md.contains(&format!("Location=\"{}\"", sp.running.saml_acs_url)));
    assert_eq!(sp.running.saml_audience, reference::DEFAULT_ENTITY_ID);
    assert!(sp.running.saml_whoami_url.starts_with("http://127.0.0.1:"));
}

/// Without `--saml-skew`, the battery measures the SP's tolerance and places the timing
/// cases around it: an SP allowing 40 s passes them although the guess was 180 s, and the
/// figure reads 40 s; given the wrong skew, the inside-skew cases fail as before.
#[tokio::test(flavor = "multi_thread")]
async fn the_clock_tolerance_is_measured_and_the_timing_cases_follow_it() {
    use idgate::result::Outcome;
    use idgate::run::Silent;
    use idgate::session::SpTarget;
    let running = reference::start(ReferenceOptions {
        saml: SpOptions {
            skew: std::time::Duration::from_secs(40),
            ..SpOptions::default()
        },
        ..ReferenceOptions::default()
    })
    .await
    .expect("reference target starts");
    let sp = |skew_given| SpTarget {
        acs_url: running.saml_acs_url.clone(),
        audience: running.saml_audience.clone(),
        login_url: None,
        whoami_url: Some(running.saml_whoami_url.clone()),
        whoami: Default::default(),
        skew: time::Duration::minutes(3),
        skew_given,
        max_skew: time::Duration::seconds(300),
        want_assertions_signed: false,
        authn_requests_signed: false,
        rotation: false,
        name_id: "alice@example.com".into(),
        profile: None,
    };
    let timing: Vec<_> = cases::all()
        .iter()
        .filter(|c| c.id.contains("clock") || c.skew_from.is_some())
        .collect();
    assert_eq!(timing.len(), 9);
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let measured =
        idgate::run::saml::run_battery(&common::saml_side(sp(false)), &timing, &stop, &mut Silent)
            .await;
    for case in &timing {
        let (outcome, detail) = common::outcome_of(&measured, &case.id);
        assert_eq!(outcome, Outcome::Pass, "{}: {detail}", case.id);
    }
    let (_, c) = measured
        .checks()
        .find(|(_, c)| c.id == "saml.clock-expired")
        .unwrap();
    let figure = c.message.clone().unwrap();
    assert!(
        figure.starts_with("accepts up to 3") || figure.starts_with("accepts up to 4"),
        "{figure}"
    );
    let guessed =
        idgate::run::saml::run_battery(&common::saml_side(sp(true)), &timing, &stop, &mut Silent)
            .await;
    assert_eq!(
        common::outcome_of(&guessed, "saml.expired-inside-skew").0,
        Outcome::Fail
    );
    running.stop().await;
}
