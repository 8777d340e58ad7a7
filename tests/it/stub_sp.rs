//! Every SAML verdict can fail: an SP that accepts anything fails every case
//! a correct SP rejects, and one that refuses everything fails every case it
//! must accept; the seed scenarios fail on an SP that ignores their rules.
//! (Report cases are policy: their outcome is "reported", never a pass or a failure.)

use crate::common;

use idgate::result::Outcome;
use idgate::run::saml::run_battery;
use idgate::run::{Silent, run_scenario};
use idgate::saml::cases::{self, Expect};
use idgate::session::{SamlSide, Session, SpTarget, Target};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An SP stub: the ACS answers `acs_status` (with a session cookie when 200),
/// whoami names `user` with fixed names.
async fn stub_sp(acs_status: u16, user: &str) -> MockServer {
    let server = MockServer::start().await;
    let mut acs = ResponseTemplate::new(acs_status);
    if acs_status == 200 {
        acs = acs.insert_header("Set-Cookie", "sid=1; Path=/");
    }
    Mock::given(method("POST"))
        .and(path("/acs"))
        .respond_with(acs)
        .mount(&server)
        .await;
    let who = serde_json::json!({"name_id": user, "first_name": "Fixed", "last_name": "Name"});
    Mock::given(method("GET"))
        .and(path("/whoami"))
        .respond_with(ResponseTemplate::new(200).set_body_json(who))
        .mount(&server)
        .await;
    server
}

fn side(server: &MockServer) -> SamlSide {
    side_at(&server.uri())
}

/// The SAML side for an SP at `base` (`/acs`, `/whoami`).
fn side_at(base: &str) -> SamlSide {
    common::saml_side(SpTarget {
        acs_url: format!("{base}/acs"),
        audience: "https://sp.example.test".into(),
        login_url: None,
        whoami_url: Some(format!("{base}/whoami")),
        whoami: Default::default(),
        skew: time::Duration::minutes(3),
        skew_given: true,
        max_skew: time::Duration::seconds(300),
        want_assertions_signed: false,
        authn_requests_signed: false,
        rotation: false,
        name_id: "alice@example.com".into(),
        profile: None,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_accepts_anyone_fails_every_case_it_should_refuse() {
    let server = stub_sp(200, "admin@example.com").await;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), &common::all_cases(), &stop, &mut Silent).await;
    for case in cases::all() {
        let (outcome, detail) = common::outcome_of(&r, &case.id);
        let want = match case.expect {
            // No login, no rotation metadata: what needs them is skipped.
            _ if case.needs.is_some() => Outcome::Skip,
            Expect::Reject | Expect::AcceptOriginalOnly | Expect::Accept => Outcome::Fail,
            Expect::Report => Outcome::Reported,
            // It accepts a Response an hour past its limits: beyond any maximum.
            Expect::Measure => Outcome::Fail,
        };
        // Accept cases fail too: the session went to admin, not alice.
        assert_eq!(outcome, want, "{}: {detail}", case.id);
    }
}

/// The rotation cases play only against an SP said to hold idgate's rotation metadata
/// (`--saml-rotation`); otherwise they are skipped with what would let them play.
#[tokio::test(flavor = "multi_thread")]
async fn rotation_cases_play_only_when_the_sp_holds_the_rotation_metadata() {
    let server = stub_sp(200, "alice@example.com").await;
    let rotation: Vec<&idgate::saml::Case> = cases::all()
        .iter()
        .filter(|c| c.needs.as_deref() == Some("rotation"))
        .collect();
    assert_eq!(rotation.len(), 2);
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), &rotation, &stop, &mut Silent).await;
    for case in &rotation {
        let (outcome, detail) = common::outcome_of(&r, &case.id);
        assert_eq!(outcome, Outcome::Skip, "{detail}");
        assert!(
            detail.contains("--saml-rotation") && detail.contains("--rotation earlier"),
            "{detail}"
        );
    }
    let mut given = side(&server);
    given.sp.rotation = true;
    let r = run_battery(&given, &rotation, &stop, &mut Silent).await;
    // An SP that takes anything takes the next key (right) and the retired one (wrong).
    assert_eq!(
        common::outcome_of(&r, "saml.rotation-next-key").0,
        Outcome::Pass
    );
    assert_eq!(
        common::outcome_of(&r, "saml.rotation-retired-key").0,
        Outcome::Fail
    );
}

/// An SP that logs anyone in and starts SP-initiated logins at `/login` with a redirect that
/// carries its AuthnRequest, signed (SigAlg and Signature) or not.
async fn login_sp(signed: bool) -> MockServer {
    let server = stub_sp(200, "alice@example.com").await;
    common::mount_login(&server, signed).await;
    server
}

/// An SP whose metadata declares AuthnRequestsSigned and whose login redirect carries no
/// signature fails saml.authn-request-signed; signed, or without the declaration, it passes,
/// and the case says which it was. Without a login URL the case is skipped.
#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_authn_request_from_an_sp_that_declares_signing_fails() {
    let case = cases::find("saml.authn-request-signed").unwrap();
    let (_tx, stop) = tokio::sync::watch::channel(false);
    for (declared, signed, want, says) in [
        (true, false, Outcome::Fail, "with an unsigned AuthnRequest"),
        (
            true,
            true,
            Outcome::Pass,
            "its AuthnRequest was signed (the SP declares AuthnRequestsSigned=true)",
        ),
        (
            false,
            false,
            Outcome::Pass,
            "its AuthnRequest was unsigned (the SP declares AuthnRequestsSigned=false)",
        ),
    ] {
        let server = login_sp(signed).await;
        let mut side = side(&server);
        side.sp.login_url = Some(format!("{}/login", server.uri()));
        side.sp.authn_requests_signed = declared;
        let r = run_battery(&side, &[case], &stop, &mut Silent).await;
        let (outcome, detail) = common::outcome_of(&r, &case.id);
        assert_eq!(
            outcome, want,
            "declared {declared}, signed {signed}: {detail}"
        );
        assert!(detail.contains(says), "{detail}");
    }
    let server = login_sp(false).await;
    let r = run_battery(&side(&server), &[case], &stop, &mut Silent).await;
    let (outcome, detail) = common::outcome_of(&r, &case.id);
    assert_eq!(outcome, Outcome::Skip, "{detail}");
    assert!(detail.contains("--saml-login-url"), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_refuses_everyone_fails_every_case_it_must_accept() {
    let server = stub_sp(403, "nobody").await;
    let idp = common::fixture_idp();
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), &common::all_cases(), &stop, &mut Silent).await;
    let mut accept_cases = 0;
    for case in cases::all() {
        let (outcome, _) = common::outcome_of(&r, &case.id);
        let mut ctx = cases::CaseContext::new(
            common::fixture_spec(),
            &idp.key,
            &idp.attack.attacker,
            &idp.attack.cloned,
        );
        ctx.rotation = Some(&idp.rotation);
        let built = cases::build(&case.id, &ctx).unwrap();
        let want = if case.needs.is_some() {
            Outcome::Skip
        } else if built.posts.len() > 1 {
            // A replay whose genuine first post is refused tests nothing: an error, not a pass.
            Outcome::Error
        } else if case.expect == Expect::Accept {
            Outcome::Fail
        } else if case.expect == Expect::Report {
            Outcome::Reported
        } else {
            Outcome::Pass
        };
        accept_cases += usize::from(case.expect == Expect::Accept);
        assert_eq!(outcome, want, "{}", case.id);
    }
    assert!(accept_cases >= 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_checks_fail_on_an_sp_that_ignores_their_rules() {
    let server = stub_sp(200, "whoever@evil.test").await;
    let suite = common::suite();
    let scenario = suite
        .scenarios
        .iter()
        .find(|s| s.name == "saml-seeds")
        .expect("shipped");
    let target = Target {
        scim: idgate::http::Client::new(
            "",
            idgate::redact::Secret::new(""),
            None,
            Default::default(),
        )
        .unwrap(),
        token_env: "IDGATE_SCIM_TOKEN".into(),
        saml: Some(side(&server)),
    };
    let session = Session::with_target(target);
    let r = run_scenario(&suite, &session, scenario, "saml-idp", &mut Silent).await;
    for id in [
        "saml.seed.email-domain",
        "saml.seed.jit-provisioning",
        "saml.seed.claims-short",
        "saml.seed.claims-uri",
    ] {
        let (outcome, detail) = common::outcome_of(&r, id);
        assert_eq!(outcome, Outcome::Fail, "{id}: {detail}");
    }
}

/// An SP that answers every request, then closes the connection a moment
/// later without saying so (as servers do after refusing an oversized body).
async fn closing_sp() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1 << 16];
                // Read the head and as much body as comes at once; the answer does not depend on it.
                let _ = tokio::time::timeout(
                    std::time::Duration::from_millis(200),
                    conn.read(&mut buf),
                )
                .await;
                let _ = conn
                    .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno")
                    .await;
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_drops_connections_after_answering_costs_no_case() {
    // Each post goes on a connection of its own, so one the SP dropped after
    // answering never fails the next case (a pooled one once did, about one
    // run in 27, as a "connection closed before message completed" error).
    let base = closing_sp().await;
    let side = common::saml_side(SpTarget {
        acs_url: format!("{base}/acs"),
        audience: "https://sp.example.test".into(),
        login_url: None,
        whoami_url: None,
        whoami: Default::default(),
        skew: time::Duration::minutes(3),
        skew_given: true,
        max_skew: time::Duration::seconds(300),
        want_assertions_signed: false,
        authn_requests_signed: false,
        rotation: false,
        name_id: "alice@example.com".into(),
        profile: None,
    });
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side, &common::all_cases(), &stop, &mut Silent).await;
    let errors = common::outcomes(std::slice::from_ref(&r), Outcome::Error);
    // Replays are errors by design when their genuine first post is refused.
    let unexpected: Vec<&String> = errors
        .iter()
        .filter(|e| !e.contains("replay") && !e.contains("duplicate-param"))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
}

/// An SP that accepts connections and never answers.
async fn hanging_sp() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_saml_side_of_a_session_honours_timeout_and_ca_cert() {
    use idgate::session::{IdpKeys, IdpOptions, Needs, Options, ScimTarget, SpChoice, SpEndpoint};
    let base = hanging_sp().await;
    let options = |ca_cert: Option<std::path::PathBuf>| Options {
        scim: ScimTarget::None,
        sp: SpChoice::Endpoint(SpEndpoint {
            acs_url: format!("{base}/acs"),
            audience: "https://sp.example.test".into(),
            whoami_url: None,
            whoami: Default::default(),
            login_url: None,
            want_assertions_signed: false,
            authn_requests_signed: false,
            rotation: false,
        }),
        timeout: std::time::Duration::from_secs(1),
        ca_cert,
        idp: IdpOptions {
            keys: IdpKeys::Fixtures,
            ..IdpOptions::default()
        },
        ..Options::default()
    };
    let needs = Needs {
        saml: true,
        ..Needs::default()
    };
    // --timeout: a hanging ACS costs one second per case, not thirty.
    let session = Session::open(&options(None), &needs).await.unwrap();
    let side = session.target.saml.as_ref().expect("an SP is tested");
    let valid = idgate::saml::cases::find("saml.valid").unwrap();
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(side, &[valid], &stop, &mut Silent).await;
    let (outcome, detail) = common::outcome_of(&r, "saml.valid");
    assert_eq!(outcome, Outcome::Error, "{detail}");
    assert!(
        detail.contains("no complete response within 1s"),
        "{detail}"
    );
    // --ca-cert: the SP's transport reads it (a file that is no certificate is refused).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let Err(e) = Session::open(&options(Some(bad)), &needs).await else {
        panic!("a --ca-cert that is no certificate is refused")
    };
    assert!(e.to_string().contains("is not a PEM certificate"), "{e}");
}

/// A session whose identity cannot be read is neither a pass nor a failure, whatever the
/// ACS's text says: the forgery cases are skipped, one warning names the flag, and the text
/// (which names the forged user) is never searched.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_session_is_a_warning_never_a_text_search() {
    let server =
        common::accepting_sp("Welcome admin@example.com", serde_json::json!({"ok": true})).await;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), &common::all_cases(), &stop, &mut Silent).await;
    for case in cases::all()
        .iter()
        .filter(|c| c.expect == Expect::AcceptOriginalOnly)
    {
        let (outcome, detail) = common::outcome_of(&r, &case.id);
        // A fetched canary fails a case whatever the session; none is fetched here.
        assert_eq!(outcome, Outcome::Skip, "{}: {detail}", case.id);
        assert!(
            detail.contains("--saml-whoami-pointer"),
            "{}: {detail}",
            case.id
        );
    }
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("--saml-whoami-pointer"),
        "{}",
        r.warnings[0]
    );
    // Each case that was posted keeps its evidence, passed or not (what needs a login or the
    // rotation metadata is skipped here, so nothing was posted; a measurement's evidence is its
    // figure).
    let unposted: Vec<&str> = cases::all()
        .iter()
        .filter(|c| c.expect == Expect::Measure || c.needs.is_some())
        .map(|c| c.id.as_str())
        .collect();
    for step in r
        .steps
        .iter()
        .filter(|s| !unposted.contains(&s.name.as_str()))
    {
        let e = step
            .saml
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no evidence", step.name));
        assert_eq!(e.acs_status, 200, "{}", step.name);
        assert_eq!(e.identity, None, "{}", step.name);
    }
}

/// With the pointers, the same shape is read: the identity decides, exactly.
#[tokio::test(flavor = "multi_thread")]
async fn the_whoami_pointers_read_what_detection_cannot() {
    let who = serde_json::json!({"profile": {"login": "alice@example.com", "claims": {"email": ["alice@example.com"]}}});
    let server = common::accepting_sp("ok", who).await;
    let mut sp = side(&server).sp.clone();
    sp.whoami.identity_pointer = Some("/profile/login".into());
    sp.whoami.attributes_pointer = Some("/profile/claims".into());
    let side = common::saml_side(sp);
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side, &common::all_cases(), &stop, &mut Silent).await;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let (outcome, detail) = common::outcome_of(&r, "saml.xsw1");
    // The SP accepts everything but always for alice, with her signed attributes: a pass.
    assert_eq!(outcome, Outcome::Pass, "{detail}");
    let e = r
        .steps
        .iter()
        .find(|s| s.name == "saml.xsw1")
        .unwrap()
        .saml
        .clone()
        .unwrap();
    assert_eq!(e.identity.as_deref(), Some("alice@example.com"));
    assert_eq!(e.identity_at.as_deref(), Some("/profile/login"));
}

/// A session for the signed user whose attributes carry values the IdP did not sign fails
/// every forgery case it is accepted in (attribute integrity).
#[tokio::test(flavor = "multi_thread")]
async fn forged_attribute_values_fail_the_forgery_cases() {
    let who = serde_json::json!({"nameId": "alice@example.com", "attributes": {"email": "admin@example.com"}});
    let server = common::accepting_sp("ok", who).await;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side(&server), &common::all_cases(), &stop, &mut Silent).await;
    let (outcome, detail) = common::outcome_of(&r, "saml.xsw1");
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    assert!(
        detail.contains("attributes the IdP did not sign"),
        "{detail}"
    );
    // The valid case is not a forgery case: the verdict there rests on the identity.
    assert_eq!(common::outcome_of(&r, "saml.valid").0, Outcome::Pass);
}

/// An SP that answers 403 to `served` requests, then stops listening, as one that crashed.
async fn sp_that_dies_after(served: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for _ in 0..served {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            // Read the head, then as much body as it announces, so the answer is not a reset.
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let n = conn.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() >= head_end + 4 + length {
                        break;
                    }
                }
            }
            let _ = conn
                .write_all(
                    b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
        // The listener drops here: every later connection is refused.
    });
    base
}

/// A message after which the SP no longer answers is a finding of that case, and the battery
/// stops posting (the rest are skipped with the reason), rather than erroring 100 times.
#[tokio::test(flavor = "multi_thread")]
async fn an_sp_that_stops_answering_fails_the_case_that_stopped_it() {
    let base = sp_that_dies_after(3).await;
    let mut side = side_at(&base);
    side.sp.whoami_url = None;
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let r = run_battery(&side, &common::all_cases(), &stop, &mut Silent).await;
    // Post, probe, post: the second case's probe finds nobody.
    let second = &r.steps[1];
    let (outcome, detail) = common::outcome_of(&r, &second.name);
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    assert!(detail.contains("stopped answering"), "{detail}");
    assert_eq!(common::outcome_of(&r, &r.steps[0].name).0, Outcome::Fail);
    for step in &r.steps[2..] {
        assert_eq!(step.checks[0].outcome, Outcome::Skip, "{}", step.name);
        assert!(
            step.reason.as_deref().unwrap_or("").contains(&second.name),
            "{:?}",
            step.reason
        );
    }
}
