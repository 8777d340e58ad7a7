//! The SP's clock tolerance, measured rather than guessed: a `measure` case posts valid
//! Responses whose one time limit (NotBefore, or a NotOnOrAfter) lies a little further out
//! each time, and bisects to the largest offset the SP still accepts. The figure is
//! reported ("accepts Responses up to 300 s after NotOnOrAfter") and fails only beyond
//! `--saml-max-skew`; the timing cases then sit around it.

use time::Duration;

use super::saml::{fresh_spec, post_case};
use crate::http::Client;
use crate::saml::Idp;
use crate::saml::cases::{self, Case, CaseContext};
use crate::session::SpTarget;

/// How far past its limit a probe may go: an SP that accepts an hour is reported as
/// accepting "at least" that.
const LIMIT: i64 = 3600;
/// Bisection stops when the bounds are this close, in seconds: about ten posts per limit.
const RESOLUTION: i64 = 5;

/// What a measurement found, in whole seconds past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// The furthest offset accepted (0: none was).
    pub accepted: i64,
    /// The nearest offset refused; `None` when even [`LIMIT`] was accepted.
    pub refused: Option<i64>,
}

impl Tolerance {
    /// The figure, in words: "accepts up to 180 s (refuses 185 s)".
    pub fn describe(&self) -> String {
        match self.refused {
            None => format!("accepts at least {LIMIT} s past the limit"),
            Some(r) if self.accepted == 0 => {
                format!("refuses {r} s past the limit: no tolerance")
            }
            Some(r) => format!(
                "accepts up to {} s past the limit (refuses {r} s)",
                self.accepted
            ),
        }
    }
}

/// Measures the tolerance that `case` (a `measure` case) probes. Each probe is a fresh valid
/// Response (new IDs, a new login when SP-initiated), so a replay cache cannot decide it.
/// The bisection assumes the SP accepts every offset below its tolerance, as clock checks do.
pub async fn measure(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
    case: &Case,
    canary_url: &str,
) -> Result<Tolerance, String> {
    let accepts = |offset: i64| probe(http, idp, sp, case, canary_url, offset);
    if accepts(LIMIT).await? {
        return Ok(Tolerance {
            accepted: LIMIT,
            refused: None,
        });
    }
    if !accepts(1).await? {
        return Ok(Tolerance {
            accepted: 0,
            refused: Some(1),
        });
    }
    let (mut lo, mut hi) = (1, LIMIT);
    while hi - lo > RESOLUTION {
        let mid = lo + (hi - lo) / 2;
        if accepts(mid).await? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Tolerance {
        accepted: lo,
        refused: Some(hi),
    })
}

/// Whether the SP accepts `case` built `offset` seconds past its limit.
async fn probe(
    http: &Client,
    idp: &Idp,
    sp: &SpTarget,
    case: &Case,
    canary_url: &str,
    offset: i64,
) -> Result<bool, String> {
    let (spec, cookies) = fresh_spec(http, idp, sp).await?;
    let mut ctx = CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
    ctx.canary_url = Some(canary_url.to_string());
    ctx.probe = Duration::seconds(offset);
    let built =
        cases::build(&case.id, &ctx).map_err(|e| format!("idgate could not build a probe: {e}"))?;
    let posted = post_case(http, sp, &built, &cookies)
        .await
        .map_err(|e| e.to_string())?;
    if posted.verdict.status >= 500 {
        return Err(format!(
            "the SP answered {} to a valid Response {offset} s past its limit",
            posted.verdict.status
        ));
    }
    Ok(posted.verdict.accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_sentences() {
        let t = |accepted, refused| Tolerance { accepted, refused }.describe();
        assert_eq!(
            t(180, Some(185)),
            "accepts up to 180 s past the limit (refuses 185 s)"
        );
        assert_eq!(t(0, Some(1)), "refuses 1 s past the limit: no tolerance");
        assert_eq!(t(3600, None), "accepts at least 3600 s past the limit");
    }
}
