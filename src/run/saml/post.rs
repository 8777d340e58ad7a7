//! A case posted as a fresh browser would post it, and the session it left, if any.

use crate::http::{Client, Exchange, TransportError};
use crate::saml::cases::BuiltCase;
use crate::saml::post;
use crate::session::SpTarget;

use super::verdict::Verdict;

/// An SP-initiated login as it began: the AuthnRequest to answer, the cookies the SP set with
/// it, and how its redirect to the IdP was signed.
pub struct Login {
    pub request_id: String,
    pub cookies: Vec<String>,
    /// The redirect carried `SigAlg` and `Signature` (SAML bindings §3.4.4.1).
    pub signed: bool,
    /// Where the SP sent the browser.
    pub location: String,
}

/// Start an SP-initiated login at `url`.
pub async fn start_login(http: &Client, url: &str) -> Result<Login, String> {
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
    Ok(Login {
        request_id: post::authn_request_id(location)?,
        cookies: x.response.cookies.clone(),
        signed: post::redirect_signed(location),
        location: location.to_string(),
    })
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
    built: &BuiltCase,
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
