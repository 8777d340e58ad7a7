//! The reference under load, and its load faults: answers held back, throttling with 429 and
//! `Retry-After`, refused creates. Correct, it answers as fast as it can and never throttles;
//! each fault breaks one requirement of `idgate load`'s verdict.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Faults;
use super::error::ScimError;
use crate::fault::Fault;

/// How long [`Fault::SlowAnswers`] holds each answer.
pub const SLOW: Duration = Duration::from_millis(250);
/// Requests a second [`Fault::Throttles`] serves before it answers 429.
pub const THROTTLED_PER_SECOND: u32 = 10;

pub struct Pressure {
    faults: Faults,
    /// The current one-second window and the requests served in it.
    window: Mutex<(Instant, u32)>,
}

impl Pressure {
    pub fn new(faults: Faults) -> Arc<Pressure> {
        Arc::new(Pressure {
            faults,
            window: Mutex::new((Instant::now(), 0)),
        })
    }

    /// Whether this request is over the throttle's budget for the current second.
    fn over_budget(&self) -> bool {
        let mut w = self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if w.0.elapsed() >= Duration::from_secs(1) {
            *w = (Instant::now(), 0);
        }
        w.1 += 1;
        w.1 > THROTTLED_PER_SECOND
    }
}

pub async fn layer(State(p): State<Arc<Pressure>>, request: Request, next: Next) -> Response {
    if p.faults.contains(&Fault::Throttles) && p.over_budget() {
        let mut r = ScimError::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!("more than {THROTTLED_PER_SECOND} requests in a second"),
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    if p.faults.contains(&Fault::CreatesRefused)
        && request.method() == Method::POST
        && request.uri().path().ends_with("/Users")
    {
        return ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "the user store is unavailable",
        )
        .into_response();
    }
    if p.faults.contains(&Fault::MemberAddsRefused)
        && request.method() == Method::PATCH
        && request.uri().path().contains("/Groups/")
    {
        return ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "group memberships cannot be changed",
        )
        .into_response();
    }
    if p.faults.contains(&Fault::SlowAnswers) {
        tokio::time::sleep(SLOW).await;
    }
    next.run(request).await
}
