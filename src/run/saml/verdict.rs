//! What the SP did with a case, and the case's outcome: by exact comparison of the session's
//! identity and attributes with what the IdP signed.

use crate::http::Exchange;
use crate::result::{Outcome, SamlEvidence, SessionState};
use crate::saml::cases::{self, Expect};
use crate::saml::whoami::{Attributes, SessionView, attribute_differences};

/// What the SP did with the last post of a case.
pub struct Verdict {
    pub status: u16,
    pub accepted: bool,
    /// What the session endpoint showed, when it was asked and a session exists.
    pub session: Option<SessionView>,
}

impl Verdict {
    /// The SP closed the connection before the message was sent whole: no answer (status 0),
    /// no session.
    pub fn hung_up() -> Verdict {
        Verdict {
            status: 0,
            accepted: false,
            session: None,
        }
    }

    pub fn describe(&self) -> String {
        let identity = self.session.as_ref().map(|s| s.identity.as_deref());
        match (self.accepted, identity) {
            (false, _) if self.status == 0 => {
                "refused unread: the SP closed the connection before the message was sent whole"
                    .into()
            }
            (true, Some(Some(u))) => format!("accepted (status {}), session for {u}", self.status),
            (true, Some(None)) => format!(
                "accepted (status {}), a session whose identity idgate could not read",
                self.status
            ),
            (true, None) => format!(
                "accepted (status {}), a session cookie; who got it was not asked (no --saml-whoami-url)",
                self.status
            ),
            (false, _) => format!("rejected (status {})", self.status),
        }
    }

    /// The identity the session endpoint showed.
    pub(super) fn identity(&self) -> Option<&str> {
        self.session.as_ref()?.identity.as_deref()
    }

    /// What this verdict rests on, kept with every case.
    pub(super) fn evidence(&self, signed_identity: &str) -> SamlEvidence {
        SamlEvidence {
            acs_status: self.status,
            session: match (self.accepted, &self.session) {
                (false, _) => SessionState::None,
                (true, Some(_)) => SessionState::Opened,
                (true, None) => SessionState::NotAsked,
            },
            identity: self.identity().map(String::from),
            identity_at: self.session.as_ref().and_then(|s| s.identity_at.clone()),
            attributes: self.session.as_ref().and_then(|s| s.attributes.clone()),
            signed_identity: signed_identity.to_string(),
        }
    }
}

/// A case's outcome, what was wanted, and the sentence that explains an outcome that is
/// neither a plain pass nor a plain failure.
pub(super) struct Judged {
    pub(super) outcome: Outcome,
    pub(super) expected: String,
    pub(super) why: Option<String>,
}

impl Judged {
    fn new(outcome: Outcome, expected: impl Into<String>) -> Judged {
        Judged {
            outcome,
            expected: expected.into(),
            why: None,
        }
    }
    fn because(mut self, why: impl Into<String>) -> Judged {
        self.why = Some(why.into());
        self
    }
}

/// The verdict of one case, by exact comparison of the session's identity and attributes
/// with what the IdP signed: never by searching the SP's answer for a name, since a forged
/// identity can be a prefix of the signed one (`admin@example.com` in
/// `admin@example.com.evil.test`).
pub(super) fn judge(expect: Expect, v: &Verdict, original: &str, signed: &Attributes) -> Judged {
    if v.status >= 500 {
        return Judged::new(
            Outcome::Fail,
            "an answer, not a server error: a malformed message must not crash the SP",
        );
    }
    let is_original = v.identity().map(|u| u.eq_ignore_ascii_case(original));
    // Attributes the session shows with values the IdP did not sign.
    let forged_attributes = v
        .session
        .as_ref()
        .and_then(|s| s.attributes.as_ref())
        .map(|a| attribute_differences(a, signed))
        .filter(|d| !d.is_empty());
    let unreadable = "a session was opened, but idgate could not read whose: pass \
        --saml-whoami-pointer (and --saml-attributes-pointer) to say where the session \
        endpoint's JSON holds the identity";
    match expect {
        Expect::Accept => {
            let ok = v.accepted && is_original != Some(false);
            Judged::new(
                if ok { Outcome::Pass } else { Outcome::Fail },
                format!("accepted, session for {original}"),
            )
        }
        Expect::Reject => Judged::new(
            if v.accepted {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            "rejected: an error and no session",
        ),
        Expect::AcceptOriginalOnly => {
            let expected = format!(
                "rejected, or a session for {original} only, with the attributes the IdP signed"
            );
            match (v.accepted, is_original, forged_attributes) {
                (false, ..) => Judged::new(Outcome::Pass, expected),
                (true, Some(false), _) => Judged::new(Outcome::Fail, expected),
                (true, _, Some(diff)) => Judged::new(Outcome::Fail, expected).because(format!(
                    "the session carries attributes the IdP did not sign: {}",
                    diff.join("; ")
                )),
                (true, Some(true), None) => Judged::new(Outcome::Pass, expected),
                (true, None, None) if v.session.is_some() => {
                    Judged::new(Outcome::Skip, expected).because(unreadable)
                }
                (true, None, None) => Judged::new(Outcome::Skip, expected).because(
                    "accepted, but who got the session is unknown: pass --saml-whoami-url",
                ),
            }
        }
        Expect::Report => Judged::new(Outcome::Reported, "reported, not judged"),
        // Measured by play_measure, never judged here.
        Expect::Measure => Judged::new(Outcome::Error, "a measurement"),
    }
}

/// The Location of an ACS redirect that leads to the RelayState cases' foreign host, read as a
/// browser reads it (a backslash is a slash, `//host` is the same scheme on another host).
pub(super) fn redirects_to_foreign_host(x: &Exchange) -> Option<String> {
    if !(300..400).contains(&x.response.status) {
        return None;
    }
    let location = x.response.header("location")?;
    let normal = location.trim().replace('\\', "/").to_ascii_lowercase();
    let after_scheme = match normal.split_once("://") {
        Some((_, rest)) => rest,
        None => normal.strip_prefix("//")?,
    };
    let host = after_scheme
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("");
    (host == cases::FOREIGN_HOST).then(|| location.to_string())
}
