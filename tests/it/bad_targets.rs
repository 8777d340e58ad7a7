//! A target that misbehaves gets a clear error or a failed check, never a
//! panic or a hang: HTML, garbage JSON, 500, 429 with Retry-After, a huge
//! body, a hang, a redirect to another host, a bad TLS certificate.

use crate::common;

use std::time::Duration;

use idgate::redact::Secret;
use idgate::result::{Outcome, StepStatus};

use idgate::http::{Client, ClientOptions, Request, TransportError};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::stub::MATCH;

/// A target whose `/Users` answers `resp`.
async fn serve(resp: ResponseTemplate) -> MockServer {
    crate::stub::route("GET", "/Users", resp).await
}

fn get() -> Request {
    Request {
        method: "GET".into(),
        path: "/Users?filter=userName+eq+%22a%22".into(),
        headers: vec![],
        body: None,
        auth: idgate::http::Credential::Bearer,
    }
}

fn client(base: &str, opts: ClientOptions) -> Client {
    Client::new(base, Secret::new("tok-secret-9"), None, opts).unwrap()
}

#[tokio::test]
async fn html_page_fails_content_type_and_schema_with_a_clear_message() {
    let server = serve(ResponseTemplate::new(200).set_body_raw(
        "<!DOCTYPE html><html><body>Sign in</body></html>",
        "text/html",
    ))
    .await;
    let suite = common::suite_with(MATCH);
    let r = common::run_one(
        &suite,
        "entra-legacy",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    assert_eq!(
        common::outcome_of(&r, "scim.response.content-type").0,
        Outcome::Fail
    );
    let (o, detail) = common::outcome_of(&r, "scim.schema.list-response");
    assert_eq!(o, Outcome::Fail);
    assert!(
        detail.contains("not JSON (text/html)") && detail.contains("<!DOCTYPE html>"),
        "{detail}"
    );
}

#[tokio::test]
async fn garbage_json_fails_the_schema_check() {
    let server = serve(
        ResponseTemplate::new(200).set_body_raw("{\"totalResults\": 1,,", "application/scim+json"),
    )
    .await;
    let suite = common::suite_with(MATCH);
    let r = common::run_one(
        &suite,
        "entra-legacy",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (o, detail) = common::outcome_of(&r, "scim.schema.list-response");
    assert_eq!(o, Outcome::Fail);
    assert!(detail.contains("JSON parse error"), "{detail}");
}

#[tokio::test]
async fn server_error_fails_the_expectation_and_shows_the_status() {
    let server =
        serve(ResponseTemplate::new(500).set_body_raw("Internal Server Error", "text/plain")).await;
    let suite = common::suite_with(MATCH);
    let r = common::run_one(
        &suite,
        "entra-legacy",
        &server.uri(),
        ClientOptions::default(),
    )
    .await;
    let (o, detail) = common::outcome_of(&r, "scim.filter.username-eq");
    assert_eq!(o, Outcome::Fail);
    assert!(detail.contains("status 500"), "{detail}");
    assert_eq!(common::outcome_of(&r, "scim.schema.error").0, Outcome::Fail);
}

#[tokio::test]
async fn too_many_requests_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/scim+json"))
        .mount(&server)
        .await;
    let x = client(&server.uri(), ClientOptions::default())
        .send(&get())
        .await
        .unwrap();
    assert_eq!(x.response.status, 200);
    assert_eq!(x.throttled, vec![(429, 1)]);
}

#[tokio::test]
async fn endless_429_or_a_long_retry_after_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let err = client(&server.uri(), ClientOptions::default())
        .send(&get())
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::RateLimited { .. }), "{err}");
    assert!(err.to_string().contains("asked to wait 3600s"), "{err}");
}

#[tokio::test]
async fn a_huge_body_is_cut_off_and_reported() {
    let server = serve(
        ResponseTemplate::new(200).set_body_raw(vec![b'a'; 64 * 1024], "application/scim+json"),
    )
    .await;
    let opts = ClientOptions {
        max_body: 16 * 1024,
        ..ClientOptions::default()
    };
    let err = client(&server.uri(), opts).send(&get()).await.unwrap_err();
    assert!(
        matches!(err, TransportError::TooLarge { limit: 16384, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_hang_times_out_and_the_scenario_stops_with_an_error() {
    let server = serve(ResponseTemplate::new(200).set_delay(Duration::from_secs(30))).await;
    let suite = common::suite_with(MATCH);
    let opts = ClientOptions {
        timeout: Duration::from_secs(1),
        ..ClientOptions::default()
    };
    let r = common::run_one(&suite, "entra-legacy", &server.uri(), opts).await;
    assert_eq!(r.steps[0].status, StepStatus::Error);
    let reason = r.steps[0].reason.clone().unwrap();
    assert!(
        reason.contains("no complete response within 1s"),
        "{reason}"
    );
    assert_eq!(
        common::outcome_of(&r, "scim.filter.username-eq").0,
        Outcome::Error
    );
}

#[tokio::test]
async fn a_slow_answer_is_reported_while_it_is_awaited() {
    use idgate::run::{Event, PlanOptions, Reporter};
    #[derive(Default)]
    struct Slow(Vec<String>);
    impl Reporter for Slow {
        fn event(&mut self, e: &Event<'_>) {
            if let Event::Slow { step, request, .. } = e {
                self.0.push(format!("{step}: {request}"));
            }
        }
    }
    let server = serve(ResponseTemplate::new(200).set_delay(Duration::from_millis(900))).await;
    let suite = common::suite_with(MATCH);
    let session = common::session(&server.uri(), "stub-token-1234", ClientOptions::default());
    let pairs = idgate::session::plan::pairs(&suite, &["entra-legacy".into()], &[], &[]);
    let mut slow = Slow::default();
    let opts = PlanOptions {
        slow_after: Duration::from_millis(200),
        ..PlanOptions::default()
    };
    let r = idgate::run::run_plan(&suite, &session, &pairs, &mut slow, opts).await;
    assert_eq!(slow.0.len(), 1, "{:?}", slow.0);
    assert!(slow.0[0].starts_with("match: GET http://"), "{:?}", slow.0);
    // The wait went on: the answer, slow as it was, was still checked.
    assert_eq!(r[0].steps[0].status, StepStatus::Ran);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let server = serve(
        ResponseTemplate::new(302).insert_header("Location", "https://evil.example.test/steal"),
    )
    .await;
    let err = client(&server.uri(), ClientOptions::default())
        .send(&get())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, TransportError::Redirect { status: 302, .. }),
        "{text}"
    );
    assert!(
        text.contains("https://evil.example.test/steal") && text.contains("does not follow"),
        "{text}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_target_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(
        &format!("http://127.0.0.1:{port}"),
        ClientOptions::default(),
    )
    .send(&get())
    .await
    .unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
}

/// A TLS server whose certificate nobody trusts: a self-signed one made here.
fn self_signed_tls_server() -> u16 {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, ssl, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut b = x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let mut acceptor = ssl::SslAcceptor::mozilla_intermediate_v5(ssl::SslMethod::tls()).unwrap();
    acceptor.set_private_key(&key).unwrap();
    acceptor.set_certificate(&cert).unwrap();
    let acceptor = acceptor.build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(2) {
            let _ = acceptor.accept(stream);
        }
    });
    port
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error_that_names_ca_cert() {
    let port = self_signed_tls_server();
    let err = client(
        &format!("https://127.0.0.1:{port}"),
        ClientOptions::default(),
    )
    .send(&get())
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TransportError::Tls { .. }), "{text}");
    assert!(text.contains("--ca-cert"), "{text}");
}

/// After one request timed out, the rest of the run is skipped with the reason (a target that
/// does not answer would cost every later request its timeout); `--keep-going` plays on.
#[tokio::test]
async fn one_timeout_ends_the_run_early_unless_told_to_keep_going() {
    use idgate::run::{PlanOptions, Silent};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let suite = common::suite();
    let opts = ClientOptions {
        timeout: Duration::from_secs(1),
        ..ClientOptions::default()
    };
    for keep_going in [false, true] {
        let session = common::session(&server.uri(), "stub-token-1234", opts.clone());
        let pairs = idgate::session::plan::pairs(
            &suite,
            &["entra-2020".into()],
            &["smoke".into(), "discovery".into()],
            &[],
        );
        assert!(pairs.len() >= 2, "{}", pairs.len());
        let plan = PlanOptions {
            keep_going,
            ..PlanOptions::default()
        };
        let r = idgate::run::run_plan(&suite, &session, &pairs, &mut Silent, plan).await;
        assert_eq!(r[0].steps[0].status, StepStatus::Error);
        let later = &r[1].steps[0];
        if keep_going {
            assert_eq!(later.status, StepStatus::Error, "{later:?}");
        } else {
            assert_eq!(later.status, StepStatus::Skipped, "{later:?}");
            let reason = later.reason.clone().unwrap_or_default();
            assert!(
                reason.contains("timed out") && reason.contains("--keep-going"),
                "{reason}"
            );
        }
    }
}

/// A target that answers 413 at the head of a large request and closes without reading the
/// rest, as python3-saml's shell does (half the time after a shutdown, as Python's server does):
/// idgate either reads the 413 or meets the closed connection while still sending, as the
/// scheduler has it. The second is reported as the target having hung up, never as some other
/// transport error.
#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_hangs_up_on_a_large_request_is_said_to_have_hung_up() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut n = 0u32;
        while let Ok((mut conn, _)) = listener.accept().await {
            n += 1;
            let shut_down = n.is_multiple_of(2);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn
                    .write_all(b"HTTP/1.0 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n")
                    .await;
                if shut_down {
                    let _ = conn.shutdown().await;
                }
                // Closed with the body unread: what still comes is answered with a reset.
                drop(conn);
            });
        }
    });
    let http = idgate::http::Client::new(
        "",
        idgate::redact::Secret::new(""),
        None,
        idgate::session::saml_client_options(std::time::Duration::from_secs(30)),
    )
    .unwrap();
    let url = format!("http://{addr}/acs");
    let body = "A".repeat(16 << 20);
    let (mut answered, mut hung_up) = (0, 0);
    // Roughly one post in three meets the closed connection here; 120 never do only by a
    // vanishing chance.
    for _ in 0..120 {
        let req = idgate::saml::post::form_post(&url, std::slice::from_ref(&body), None, &[]);
        match http.send(&req).await {
            Ok(x) => {
                assert_eq!(x.response.status, 413);
                answered += 1;
            }
            Err(e @ idgate::http::TransportError::HungUp { .. }) => {
                assert!(
                    e.to_string()
                        .contains("closed the connection while the request was still being sent"),
                    "{e}"
                );
                hung_up += 1;
            }
            Err(e) => panic!("not said to have hung up: {e}"),
        }
        if hung_up >= 3 {
            break;
        }
    }
    assert!(hung_up > 0, "never hung up in {answered} posts");
}
