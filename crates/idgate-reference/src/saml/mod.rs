//! The reference SAML 2.0 service provider: an ACS for the HTTP-POST binding, SP-initiated
//! login over HTTP-Redirect, metadata, and a session probe.
//!
//! It verifies signatures with bergshamra, never with idgate's own signer (`crate::saml`), and
//! applies the Web Browser SSO profile strictly; each SAML fault switch turns off or bends one
//! rule. Decisions where SAML leaves room:
//! - Destination is required on every Response (the catalogue's reading; SAML core allows it
//!   to be missing on an unsigned one).
//! - A Response must hold exactly one Assertion, protected by the Response signature or its
//!   own; signatures on the Response or its Assertions must all verify.
//! - An AuthnRequest ID is answered once; unsolicited responses are allowed by default.
//! - The user's e-mail is the NameID when its Format is emailAddress, else the e-mail claim,
//!   and must be in an allowed domain.

mod document;
mod request;
mod rules;
mod signature;
mod state;

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use time::OffsetDateTime;

use self::rules::Login;
use self::signature::Trust;
use self::state::User;
use crate::fault::Fault;

/// The faults switched on for one server.
pub type Faults = HashSet<Fault>;

/// The SP's entity ID (the audience) unless configured otherwise.
pub const DEFAULT_ENTITY_ID: &str = "https://sp.idgate.test";
/// The IdP entity ID trusted by default: the one idgate's test IdP is run with.
pub const DEFAULT_IDP_ENTITY_ID: &str = "https://idp.example/";
/// The IdP certificate trusted by default: the committed test IdP's (`fixtures/saml`).
pub const DEFAULT_IDP_CERT_PEM: &str = include_str!("../../../../fixtures/saml/idp-cert.pem");
/// The second signing certificate of the default IdP metadata: the committed test IdP's next key,
/// announced for a certificate rotation.
pub const DEFAULT_NEXT_CERT_PEM: &str = include_str!("../../../../fixtures/saml/next-cert.pem");
/// The certificate of the default IdP's earlier metadata that its current one no longer lists:
/// the committed test IdP's retired key.
pub const DEFAULT_RETIRED_CERT_PEM: &str =
    include_str!("../../../../fixtures/saml/retired-cert.pem");
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "idgate_sp_session";

/// Posted bodies above this size are refused with 413 before anything is parsed.
const MAX_BODY: usize = 256 * 1024;
/// How long an AuthnRequest stays answerable.
const REQUEST_LIFETIME: time::Duration = time::Duration::minutes(10);

/// How the reference SP is set up.
#[derive(Debug, Clone)]
pub struct SpOptions {
    /// The SP's entity ID; Audience must name it.
    pub entity_id: String,
    /// The IdP's entity ID; both Issuers must be it.
    pub idp_entity_id: String,
    /// The IdP's signing certificates (PEM), as the IdP metadata the SP holds lists them: the
    /// key it signs with and, during a certificate rotation, the next one. Only these keys are
    /// trusted; a certificate sent in a signature's KeyInfo never is.
    pub idp_cert_pems: Vec<String>,
    /// Signing certificates of IdP metadata the SP was given before and no longer holds (the
    /// key a rotation retired): never trusted, unless the `keeps-retired-key` fault keeps them.
    pub earlier_idp_cert_pems: Vec<String>,
    /// Where `GET /saml/login` sends the browser; `None` makes that route answer 404.
    pub idp_sign_in_url: Option<String>,
    /// Clock skew allowed on every time check.
    pub skew: Duration,
    /// Whether responses without InResponseTo (IdP-initiated) are accepted.
    pub allow_unsolicited: bool,
    /// E-mail domains users may come from; empty allows any.
    pub allowed_email_domains: Vec<String>,
}

impl Default for SpOptions {
    fn default() -> Self {
        SpOptions {
            entity_id: DEFAULT_ENTITY_ID.into(),
            idp_entity_id: DEFAULT_IDP_ENTITY_ID.into(),
            idp_cert_pems: vec![DEFAULT_IDP_CERT_PEM.into(), DEFAULT_NEXT_CERT_PEM.into()],
            earlier_idp_cert_pems: vec![DEFAULT_RETIRED_CERT_PEM.into()],
            idp_sign_in_url: None,
            skew: Duration::from_secs(180),
            allow_unsolicited: true,
            allowed_email_domains: vec!["example.com".into()],
        }
    }
}

/// The options, resolved for one server (the ACS URL is known once bound).
#[derive(Debug, Clone)]
pub struct SpConfig {
    pub entity_id: String,
    pub idp_entity_id: String,
    pub acs_url: String,
    pub idp_sign_in_url: Option<String>,
    pub skew: time::Duration,
    pub allow_unsolicited: bool,
    pub allowed_email_domains: Vec<String>,
}

impl SpConfig {
    fn new(opts: &SpOptions, acs_url: String) -> SpConfig {
        SpConfig {
            entity_id: opts.entity_id.clone(),
            idp_entity_id: opts.idp_entity_id.clone(),
            acs_url,
            idp_sign_in_url: opts.idp_sign_in_url.clone(),
            skew: time::Duration::try_from(opts.skew).unwrap_or(time::Duration::minutes(3)),
            allow_unsolicited: opts.allow_unsolicited,
            allowed_email_domains: opts.allowed_email_domains.clone(),
        }
    }

    #[cfg(test)]
    fn test(acs_url: &str) -> SpConfig {
        SpConfig::new(&SpOptions::default(), acs_url.into())
    }
}

/// Why a message was refused; shown to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
}

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Rejection {
        Rejection {
            reason: reason.into(),
        }
    }
}

struct App {
    cfg: SpConfig,
    trust: Trust,
    faults: Faults,
    state: Mutex<state::State>,
}

impl App {
    fn fault(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// The state; every write is whole, so a panic elsewhere cannot leave it half-done.
    fn state(&self) -> MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The SP's routes, to be nested under `/saml`; `acs_url` is the absolute URL of `/saml/acs`
/// as the IdP posts to it (Destination and Recipient must equal it).
pub fn router(opts: &SpOptions, faults: &Faults, acs_url: String) -> Router {
    let app = Arc::new(App {
        cfg: SpConfig::new(opts, acs_url),
        trust: Trust::new(&opts.idp_cert_pems, &opts.earlier_idp_cert_pems),
        faults: faults.clone(),
        state: Mutex::new(state::State::default()),
    });
    Router::new()
        .route("/acs", post(acs))
        .route("/whoami", get(whoami))
        .route("/login", get(login))
        .route("/metadata", get(metadata))
        .with_state(app)
}

fn rejected(status: StatusCode, reason: &str) -> Response {
    (
        status,
        axum::Json(json!({"status": "rejected", "reason": reason})),
    )
        .into_response()
}

/// `POST /saml/acs`: the HTTP-POST binding (SAML bindings 3.5).
async fn acs(State(app): State<Arc<App>>, request: Request) -> Response {
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_BODY).await else {
        return rejected(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("request body over {MAX_BODY} bytes"),
        );
    };
    let mut responses = Vec::new();
    let mut relay_state = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "SAMLResponse" => responses.push(v.into_owned()),
            "RelayState" if relay_state.is_none() => relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    let value = match responses.as_slice() {
        [one] => one,
        [] => return rejected(StatusCode::BAD_REQUEST, "no SAMLResponse form field"),
        _ => {
            return rejected(
                StatusCode::FORBIDDEN,
                "SAMLResponse given more than once; which one counts would be a guess",
            );
        }
    };
    match consume(&app, value).await {
        Ok((user, attributes)) => {
            let token = app.state().sign_in(user.clone(), attributes);
            let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; Path=/");
            // A fault: the browser is sent wherever the RelayState says.
            if let Some(target) = relay_state.as_deref()
                && app.fault(Fault::RelayStateFollowed)
                && let Ok(location) = header::HeaderValue::from_str(target)
            {
                return (
                    StatusCode::SEE_OTHER,
                    [(header::SET_COOKIE, cookie)],
                    [(header::LOCATION, location)],
                )
                    .into_response();
            }
            (
                StatusCode::OK,
                [(header::SET_COOKIE, cookie)],
                axum::Json(json!({
                    "status": "accepted",
                    "name_id": user.name_id,
                    "relay_state": relay_state,
                })),
            )
                .into_response()
        }
        Err(r) => rejected(StatusCode::FORBIDDEN, &r.reason),
    }
}

/// Decodes, parses, verifies and checks one SAMLResponse value; on success the IDs are
/// remembered and the request it answers is closed.
async fn consume(app: &App, value: &str) -> Result<(User, Vec<(String, String)>), Rejection> {
    let mut xml = document::decode_base64(value)?;
    if document::doctype(&xml)?.is_some() {
        if !app.fault(Fault::ResolvesExternalEntities) {
            return Err(Rejection::new(
                "DOCTYPE is not allowed (no entity is ever expanded or fetched)",
            ));
        }
        xml = document::expand_entities(&xml).await?;
    }
    let now = OffsetDateTime::now_utc();
    // Whatever a parser or verifier bug does with hostile input, the answer stays a 403.
    let login = std::panic::catch_unwind(AssertUnwindSafe(|| judge(app, &xml, now)))
        .unwrap_or_else(|_| {
            Err(Rejection::new(
                "internal error: the SP panicked judging the message",
            ))
        })?;
    let mut state = app.state();
    let cfg = &app.cfg;
    match &login.in_response_to {
        Some(irt) if !app.fault(Fault::IgnoresInResponseTo) && !state.is_outstanding(irt, now) => {
            return Err(Rejection::new(format!(
                "InResponseTo {irt:?} names no outstanding AuthnRequest"
            )));
        }
        None if !cfg.allow_unsolicited => {
            return Err(Rejection::new("unsolicited responses are not allowed"));
        }
        _ => {}
    }
    if !app.fault(Fault::NoReplayCache) {
        for id in [&login.response_id, &login.assertion_id] {
            if state.was_seen(id, now) {
                return Err(Rejection::new(format!(
                    "ID {id:?} was already consumed (replay)"
                )));
            }
        }
        for id in [&login.response_id, &login.assertion_id] {
            state.remember(id.clone(), login.valid_until, now);
        }
    }
    if let Some(irt) = &login.in_response_to {
        state.take_request(irt);
    }
    let user = User {
        name_id: login.name_id,
        email: login.email,
        first_name: login.first_name,
        last_name: login.last_name,
    };
    Ok((user, login.attributes))
}

/// Everything that depends on the message alone.
fn judge(app: &App, xml: &str, now: OffsetDateTime) -> Result<Login, Rejection> {
    let mut doc = document::parse(xml)?;
    if app.fault(Fault::RejectsPrettyPrinted) {
        document::strip_whitespace(&mut doc);
    }
    let signatures = signature::verify(&doc, &app.trust, &app.faults, now)?;
    rules::check(&doc, &signatures, &app.cfg, &app.faults, now)
}

/// What the ACS does with a posted value before any rule: decode, look for a DOCTYPE, parse.
pub(crate) fn fuzz_read(value: &str) -> Result<String, Rejection> {
    let xml = document::decode_base64(value)?;
    document::doctype(&xml)?;
    document::parse(&xml)?;
    Ok(xml)
}

/// `GET /saml/whoami`: the signed-in user, from the session cookie.
async fn whoami(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, v)| v.to_string());
    let state = app.state();
    let session = token.as_deref().and_then(|t| state.whoami(t));
    match session {
        Some((u, attributes)) => axum::Json(json!({
            "name_id": u.name_id,
            "email": u.email,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "attributes": attribute_map(attributes),
        }))
        .into_response(),
        None => rejected(StatusCode::UNAUTHORIZED, "no session"),
    }
}

/// The session's attributes as JSON, each name with its list of values.
fn attribute_map(attributes: &[(String, String)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in attributes {
        if let serde_json::Value::Array(values) = map
            .entry(name.clone())
            .or_insert_with(|| serde_json::Value::Array(vec![]))
        {
            values.push(value.clone().into());
        }
    }
    serde_json::Value::Object(map)
}

/// `GET /saml/login`: SP-initiated sign-in; the AuthnRequest ID is kept for InResponseTo.
async fn login(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let Some(sign_in) = &app.cfg.idp_sign_in_url else {
        return rejected(
            StatusCode::NOT_FOUND,
            "no IdP sign-in URL is configured (SpOptions::idp_sign_in_url)",
        );
    };
    let relay_state = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "RelayState")
            .map(|(_, v)| v.into_owned())
    });
    let now = OffsetDateTime::now_utc();
    let id = request::new_id();
    let xml = request::authn_request(&app.cfg, &id, sign_in, now);
    app.state().add_request(id, now + REQUEST_LIFETIME, now);
    let location = request::redirect_url(sign_in, &xml, relay_state.as_deref());
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap_or_else(|_| rejected(StatusCode::BAD_REQUEST, "unusable sign-in URL"))
}

/// `GET /saml/metadata`: the SP's metadata.
async fn metadata(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        request::metadata(&app.cfg),
    )
        .into_response()
}
