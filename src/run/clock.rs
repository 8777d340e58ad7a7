//! The SP's clock tolerance, measured rather than guessed: a `measure` case posts valid
//! Responses whose one time limit (NotBefore, or a NotOnOrAfter) lies a little further out
//! each time, and bisects to the largest offset the SP still accepts. The figure is
//! reported ("accepts Responses up to 300 s after NotOnOrAfter") and fails only beyond
//! `--saml-max-skew`; the timing cases then sit around it.

use std::future::Future;

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

/// Bisects the tolerance with `accepts(offset)`, which posts one fresh valid Response `offset`
/// seconds past its limit and says whether the SP took it. The bisection assumes the SP
/// accepts every offset below its tolerance, as clock checks do.
pub async fn measure<F, Fut>(mut accepts: F) -> Result<Tolerance, String>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<bool, String>>,
{
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bisection_finds_the_tolerance_in_a_few_posts() {
        let mut posts = 0;
        let t = measure(|offset| {
            posts += 1;
            async move { Ok(offset <= 180) }
        })
        .await
        .unwrap();
        assert!(t.accepted <= 180 && t.refused.unwrap() > 180, "{t:?}");
        assert!(t.refused.unwrap() - t.accepted <= RESOLUTION);
        assert!(posts <= 14, "{posts} posts");
        let none = measure(|_| async { Ok(false) }).await.unwrap();
        assert_eq!(
            none,
            Tolerance {
                accepted: 0,
                refused: Some(1)
            }
        );
        let all = measure(|_| async { Ok(true) }).await.unwrap();
        assert_eq!(all.refused, None);
        let broken = measure(|_| async { Err("500".to_string()) }).await;
        assert!(broken.is_err());
    }

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
