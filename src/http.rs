//! The HTTP transport under both SCIM requests and SAML posts: sends one
//! request, records exactly what went and what came back, and turns every way
//! a target can misbehave at the transport level into a [`TransportError`]
//! that says what to do about it.
//!
//! A [`Transport`] is the connection pool and TLS set-up, made once per run
//! and shared (the system's CA bundle is read once); a [`Client`] is a
//! transport with a base URL, a bearer token and its own patience.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::redact::{Secret, is_secret_header};

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    /// `Authorization: Bearer <the client's token>`.
    Bearer,
    /// No Authorization header at all.
    None,
    /// A bearer token that cannot be the right one.
    WrongToken,
}

/// How patient a client is, and what it does with what comes back.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole request, from connect to the last body byte.
    pub timeout: Duration,
    /// Responses larger than this are cut off and reported.
    pub max_body: usize,
    /// How many times a 429 is retried.
    pub max_retries: u32,
    /// The longest `Retry-After` idgate waits before giving up.
    pub max_retry_after: Duration,
    /// A 3xx is an error (SCIM); off for a SAML ACS, where a redirect after login is normal.
    pub redirects_are_errors: bool,
    /// Every request on a new connection (`Connection: close`), as a fresh browser
    /// would: an SP that closes a connection after refusing a message must not
    /// make the next, unrelated request fail.
    pub fresh_connections: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            max_body: 4 * 1024 * 1024,
            max_retries: 3,
            max_retry_after: Duration::from_secs(30),
            redirects_are_errors: true,
            fresh_connections: false,
        }
    }
}

/// What a [`Transport`] is set up with.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    pub connect_timeout: Duration,
    /// PEM certificate(s) of a private CA, trusted besides the system's roots.
    pub ca_cert: Option<std::path::PathBuf>,
    pub user_agent: String,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(10),
            ca_cert: None,
            user_agent: concat!("idgate/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// The connection pool and TLS set-up every client of a run shares; cheap to clone.
#[derive(Clone, Debug)]
pub struct Transport {
    http: reqwest::Client,
}

impl Transport {
    pub fn new(opts: &TransportOptions) -> Result<Transport, String> {
        let mut builder = reqwest::Client::builder()
            // Redirects are answers, never followed: a token must go to the configured URL only.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.connect_timeout)
            .user_agent(opts.user_agent.clone());
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!("--ca-cert {} is not a PEM certificate: {e}", path.display())
            })?;
            // A file with no certificate in it would trust nothing new, silently.
            if certs.is_empty() {
                return Err(format!(
                    "--ca-cert {} is not a PEM certificate: it holds no BEGIN CERTIFICATE block",
                    path.display()
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Transport { http })
    }
}

/// A request ready for the wire: `path` is already encoded.
#[derive(Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub auth: Credential,
}

/// What was sent, with credentials replaced by `***`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// What came back.
#[derive(Clone, Serialize, Deserialize)]
pub struct Received {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// `name=value` of each Set-Cookie, kept to send back but never shown.
    #[serde(skip)]
    pub cookies: Vec<String>,
}

// Written by hand so cookies and credential headers never reach a Debug print.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str(),
                    if is_secret_header(n) {
                        "***"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body", &self.body)
            .field("auth", &self.auth)
            .finish()
    }
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cookie_names: Vec<&str> = self
            .cookies
            .iter()
            .map(|c| c.split('=').next().unwrap_or(""))
            .collect();
        f.debug_struct("Received")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("cookies", &cookie_names)
            .finish()
    }
}

impl Received {
    /// The first header of that name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One round trip, plus the 429 answers that came before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    pub request: SentRequest,
    pub response: Received,
    /// Earlier attempts answered 429: (status, seconds waited).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttled: Vec<(u16, u64)>,
    pub millis: u64,
}

impl Exchange {
    /// A shell line that repeats the request, reading the token from `token_env`.
    pub fn curl(&self, token_env: &str) -> String {
        curl_line(&self.request, token_env)
    }
}

pub fn curl_line(req: &SentRequest, token_env: &str) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!("curl -sS -X {} {}", req.method, q(&req.url));
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("authorization") {
            if value.starts_with("Bearer") && value.contains("***") {
                line.push_str(&format!(" -H \"Authorization: Bearer ${token_env}\""));
            } else {
                line.push_str(&format!(" -H {}", q(&format!("{name}: {value}"))));
            }
        } else if !name.eq_ignore_ascii_case("user-agent") {
            line.push_str(&format!(" -H {}", q(&format!("{name}: {value}"))));
        }
    }
    if let Some(body) = &req.body {
        line.push_str(&format!(" --data-raw {}", q(body)));
    }
    line
}

/// The target could not be talked to; no response to check.
#[derive(Debug, Clone, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TransportError {
    #[error(
        "{method} {url}: no complete response within {secs}s (raise --timeout if the target is just slow)"
    )]
    Timeout {
        method: String,
        url: String,
        secs: u64,
    },
    #[error("{method} {url}: cannot connect: {detail}")]
    Connect {
        method: String,
        url: String,
        detail: String,
    },
    #[error(
        "{method} {url}: TLS failed: {detail} (if the target uses a private CA, pass its certificate with --ca-cert FILE)"
    )]
    Tls {
        method: String,
        url: String,
        detail: String,
    },
    #[error(
        "{method} {url}: the target answered {status} redirecting to {location}; idgate does not follow redirects, since a SCIM client sends its token only to the configured base URL. Point --scim-url at the final address"
    )]
    Redirect {
        method: String,
        url: String,
        status: u16,
        location: String,
    },
    #[error(
        "{method} {url}: the response body is larger than {limit} bytes; idgate stopped reading"
    )]
    TooLarge {
        method: String,
        url: String,
        limit: usize,
    },
    #[error("{method} {url}: still answering 429 after {attempts} attempts{note}")]
    RateLimited {
        method: String,
        url: String,
        attempts: u32,
        note: String,
        /// The seconds waited for each `Retry-After` before giving up.
        #[serde(skip)]
        waited: Vec<u64>,
    },
    /// The target closed the connection while the request body was still being written (a
    /// broken pipe): it stopped reading the request, so no answer to it could be read either.
    #[error(
        "{method} {url}: the target closed the connection while the request was still being sent ({detail})"
    )]
    HungUp {
        method: String,
        url: String,
        detail: String,
    },
    #[error("{method} {url}: {detail}")]
    Other {
        method: String,
        url: String,
        detail: String,
    },
}

/// Sends requests to one base URL with one bearer token (an empty base: `path` is the whole URL).
/// Cheap to clone: clones share the transport's connection pool.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    base: String,
    token: Secret,
    /// `Bearer <token>` as a header value, made once; `None` when the token cannot be one.
    bearer: Option<HeaderValue>,
    opts: ClientOptions,
}

/// The token sent when a check needs one that cannot be right.
pub const WRONG_TOKEN: &str = "idgate-deliberately-wrong-token";

impl Client {
    /// A client on a transport of its own (tests, `idgate cleanup`).
    pub fn new(
        base: &str,
        token: Secret,
        ca_cert: Option<&Path>,
        opts: ClientOptions,
    ) -> Result<Client, String> {
        let transport = Transport::new(&TransportOptions {
            ca_cert: ca_cert.map(Path::to_path_buf),
            ..TransportOptions::default()
        })?;
        Ok(Client::on(transport, base, token, opts))
    }

    /// A client on a run's shared transport.
    pub fn on(transport: Transport, base: &str, token: Secret, opts: ClientOptions) -> Client {
        let bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Client {
            transport,
            base: base.trim_end_matches('/').to_string(),
            token,
            bearer,
            opts,
        }
    }

    /// The bearer token, for the redactor.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// How long this client waits for a response.
    pub fn timeout(&self) -> Duration {
        self.opts.timeout
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Send one request; 429s are retried after their `Retry-After`, bounded.
    pub async fn send(&self, req: &Request) -> Result<Exchange, TransportError> {
        let url = format!("{}{}", self.base, req.path);
        let started = Instant::now();
        let mut throttled = Vec::new();
        loop {
            let (sent, response) = self.once(req, &url).await?;
            if response.status == 429 {
                let wait = retry_after(response.header("retry-after"));
                let attempts = throttled.len() as u32 + 1;
                if attempts > self.opts.max_retries || wait > self.opts.max_retry_after {
                    let note = if wait > self.opts.max_retry_after {
                        format!(
                            "; it asked to wait {}s, longer than the {}s idgate waits",
                            wait.as_secs(),
                            self.opts.max_retry_after.as_secs()
                        )
                    } else {
                        String::new()
                    };
                    return Err(TransportError::RateLimited {
                        method: req.method.clone(),
                        url,
                        attempts,
                        note,
                        waited: throttled.iter().map(|(_, s)| *s).collect(),
                    });
                }
                throttled.push((429, wait.as_secs()));
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(Exchange {
                request: sent,
                response,
                throttled,
                millis: started.elapsed().as_millis() as u64,
            });
        }
    }

    async fn once(
        &self,
        req: &Request,
        url: &str,
    ) -> Result<(SentRequest, Received), TransportError> {
        let err = |detail: String| TransportError::Other {
            method: req.method.clone(),
            url: url.to_string(),
            detail,
        };
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| err(format!("`{}` is not an HTTP method", req.method)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        let mut shown = Vec::new();
        match req.auth {
            Credential::Bearer => {
                let v = self.bearer.clone().ok_or_else(|| {
                    err("the token contains characters not allowed in a header".into())
                })?;
                headers.insert(reqwest::header::AUTHORIZATION, v);
                shown.push(("Authorization".to_string(), "Bearer ***".to_string()));
            }
            Credential::WrongToken => {
                headers.insert(
                    reqwest::header::AUTHORIZATION,
                    HeaderValue::from_static("Bearer idgate-deliberately-wrong-token"),
                );
                shown.push(("Authorization".to_string(), format!("Bearer {WRONG_TOKEN}")));
            }
            Credential::None => {}
        }
        for (name, value) in &req.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| err(format!("`{name}` is not a header name")))?;
            let v = HeaderValue::from_str(value).map_err(|_| {
                err(format!(
                    "the value of header `{name}` is not allowed in a header"
                ))
            })?;
            headers.append(n, v);
            let v = if is_secret_header(name) {
                "***".to_string()
            } else {
                value.clone()
            };
            shown.push((name.clone(), v));
        }
        if self.opts.fresh_connections {
            headers.insert(
                reqwest::header::CONNECTION,
                HeaderValue::from_static("close"),
            );
        }
        let mut builder = self
            .transport
            .http
            .request(method, url)
            .timeout(self.opts.timeout)
            .headers(headers);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let sent = SentRequest {
            method: req.method.clone(),
            url: url.to_string(),
            headers: shown,
            body: req.body.clone(),
        };
        let mut resp = builder
            .send()
            .await
            .map_err(|e| self.classify(req, url, e))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                let value = if is_secret_header(n.as_str()) {
                    "***".to_string()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (n.as_str().to_string(), value)
            })
            .collect();
        let cookies: Vec<String> = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|c| c.trim().to_string())
            .collect();
        // 304 Not Modified answers a conditional read (RFC 7644 §3.14); it sends nowhere else.
        if self.opts.redirects_are_errors && (300..400).contains(&status) && status != 304 {
            let location = headers
                .iter()
                .find(|(n, _)| n == "location")
                .map_or("(no Location header)".to_string(), |(_, v)| v.clone());
            return Err(TransportError::Redirect {
                method: req.method.clone(),
                url: url.to_string(),
                status,
                location,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.opts.max_body {
                        return Err(TransportError::TooLarge {
                            method: req.method.clone(),
                            url: url.to_string(),
                            limit: self.opts.max_body,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(req, url, e)),
            }
        }
        Ok((
            sent,
            Received {
                status,
                headers,
                // Valid UTF-8 (nearly every answer) is taken as it is, without a copy.
                body: String::from_utf8(body)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                cookies,
            },
        ))
    }

    fn classify(&self, req: &Request, url: &str, e: reqwest::Error) -> TransportError {
        let method = req.method.clone();
        let url = url.to_string();
        let mut chain = Vec::new();
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        // The innermost causes say what really happened; reqwest's own text is generic.
        let detail = chain
            .iter()
            .skip(1)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(": ");
        let detail = if detail.is_empty() {
            e.to_string()
        } else {
            detail
        };
        let lower = detail.to_lowercase();
        if e.is_timeout() {
            TransportError::Timeout {
                method,
                url,
                secs: self.opts.timeout.as_secs(),
            }
        } else if lower.contains("certificate") || lower.contains("ssl") || lower.contains("tls") {
            TransportError::Tls {
                method,
                url,
                detail,
            }
        } else if hung_up_while_sending(&e) {
            TransportError::HungUp {
                method,
                url,
                detail,
            }
        } else if e.is_connect() {
            TransportError::Connect {
                method,
                url,
                detail,
            }
        } else {
            TransportError::Other {
                method,
                url,
                detail,
            }
        }
    }
}

/// Whether `e` says the target closed the connection while the request was still being
/// written: a broken pipe (which only a write can meet), or a reset met while hyper was writing
/// the body (its "error writing a body to connection"; a reset met while reading is not this).
fn hung_up_while_sending(e: &reqwest::Error) -> bool {
    let mut writing_body = false;
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        writing_body |= s.to_string().starts_with("error writing a body");
        match s.downcast_ref::<std::io::Error>().map(std::io::Error::kind) {
            Some(std::io::ErrorKind::BrokenPipe) => return true,
            Some(std::io::ErrorKind::ConnectionReset) => return writing_body,
            _ => {}
        }
        source = s.source();
    }
    false
}

/// `Retry-After` as seconds or an HTTP date; one second when absent or unreadable.
fn retry_after(value: Option<&str>) -> Duration {
    let Some(v) = value.map(str::trim) else {
        return Duration::from_secs(1);
    };
    if let Ok(secs) = v.parse::<u64>() {
        return Duration::from_secs(secs);
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    match time::PrimitiveDateTime::parse(v, &format) {
        Ok(at) => {
            let wait = at.assume_utc() - time::OffsetDateTime::now_utc();
            Duration::from_secs(wait.whole_seconds().max(0) as u64)
        }
        Err(_) => Duration::from_secs(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(Some("7")), Duration::from_secs(7));
        assert_eq!(retry_after(None), Duration::from_secs(1));
        assert_eq!(
            retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Duration::ZERO
        );
    }

    #[test]
    fn curl_line_reads_the_token_from_the_environment() {
        let req = SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:1/scim/v2/Users".into(),
            headers: vec![
                ("Authorization".into(), "Bearer ***".into()),
                ("Content-Type".into(), "application/scim+json".into()),
            ],
            body: Some("{\"a\":\"it's\"}".into()),
        };
        let line = curl_line(&req, "IDGATE_SCIM_TOKEN");
        assert_eq!(
            line,
            "curl -sS -X POST 'http://127.0.0.1:1/scim/v2/Users' -H \"Authorization: Bearer $IDGATE_SCIM_TOKEN\" -H 'Content-Type: application/scim+json' --data-raw '{\"a\":\"it'\\''s\"}'"
        );
    }
}
