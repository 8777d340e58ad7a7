//! The embedded reference target: a compliant SCIM 2.0 server and SAML 2.0 service provider,
//! with fault switches that each break one rule.
//!
//! It shares no code with idgate's client and checks: it is a second, independent
//! implementation, so a bug in one cannot hide the same bug in the other.

mod fault;
mod saml;
mod scim;

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::Fault;

/// For the fuzz targets (`fuzz/`): the reference SP's reading of a posted value, base64
/// decoding, the DOCTYPE check and the XML parse, which must refuse, never panic.
#[doc(hidden)]
pub fn fuzz_sp_read(value: &str) {
    if let Ok(xml) = saml::fuzz_read(value) {
        let _ = xml.len();
    }
}
pub use saml::{
    DEFAULT_ENTITY_ID, DEFAULT_IDP_CERT_PEM, DEFAULT_IDP_ENTITY_ID, SESSION_COOKIE, SpOptions,
};

/// How to run the reference target.
#[derive(Clone)]
pub struct ReferenceOptions {
    /// Where to listen; `127.0.0.1:0` (any free port) by default.
    pub addr: SocketAddr,
    /// The bearer token every SCIM request must carry. The default is a fresh random value;
    /// an empty token matches no request.
    pub token: String,
    /// Rules to break on purpose.
    pub faults: Vec<Fault>,
    /// The SAML service provider's settings.
    pub saml: SpOptions,
}

// Written by hand so the token never reaches a log through `{:?}`.
impl std::fmt::Debug for ReferenceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceOptions")
            .field("addr", &self.addr)
            .field("token", &"***")
            .field("faults", &self.faults)
            .field("saml", &self.saml)
            .finish()
    }
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        ReferenceOptions {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: uuid::Uuid::new_v4().to_string(),
            faults: Vec::new(),
            saml: SpOptions::default(),
        }
    }
}

/// A reference target serving in the background. Dropping it stops the server too; `stop`
/// also waits for it to finish.
#[derive(Debug)]
pub struct RunningReference {
    /// The address actually bound.
    pub addr: SocketAddr,
    /// The SCIM base URL, e.g. `http://127.0.0.1:PORT/scim/v2`.
    pub scim_base: String,
    /// Where the IdP posts SAML Responses: `http://127.0.0.1:PORT/saml/acs`.
    pub saml_acs_url: String,
    /// The SP's entity ID, which Audience must name.
    pub saml_audience: String,
    /// The session probe: 200 with the signed-in user for a session cookie, else 401.
    pub saml_whoami_url: String,
    /// SP-initiated sign-in: redirects to the IdP with an AuthnRequest.
    pub saml_login_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningReference {
    /// Stops accepting connections, lets requests in flight finish (up to five seconds), and
    /// returns once the server is down.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

/// Binds `opts.addr`, starts serving in a background task, and returns once listening.
pub async fn start(opts: ReferenceOptions) -> std::io::Result<RunningReference> {
    let listener = tokio::net::TcpListener::bind(opts.addr).await?;
    let addr = listener.local_addr()?;
    let app = build(&opts, addr.to_string());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // A dropped sender (the handle was dropped) also means stop.
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningReference {
        addr,
        scim_base: format!("http://{addr}/scim/v2"),
        saml_acs_url: acs_url(&addr.to_string()),
        saml_audience: opts.saml.entity_id.clone(),
        saml_whoami_url: format!("http://{addr}/saml/whoami"),
        saml_login_url: format!("http://{addr}/saml/login"),
        shutdown: Some(shutdown),
        task: Some(task),
    })
}

/// The reference target's routes: SCIM under `/scim/v2`, the SAML SP under `/saml`. SCIM URLs
/// in responses use the request's Host header, falling back to `opts.addr`; the SP's ACS URL is
/// always the one at `opts.addr`.
pub fn router(opts: &ReferenceOptions) -> Router {
    build(opts, opts.addr.to_string())
}

fn build(opts: &ReferenceOptions, fallback_host: String) -> Router {
    let faults: HashSet<Fault> = opts.faults.iter().copied().collect();
    Router::new()
        .nest(
            "/saml",
            saml::router(&opts.saml, &faults, acs_url(&fallback_host)),
        )
        .nest(
            "/scim/v2",
            scim::router(opts.token.clone(), faults, fallback_host),
        )
        .fallback(scim::not_found)
}

/// The SP's ACS URL on `host`: Destination and Recipient must equal it.
fn acs_url(host: &str) -> String {
    format!("http://{host}/saml/acs")
}
