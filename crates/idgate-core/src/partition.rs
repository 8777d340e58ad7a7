//! `--partition k/n`: one of n shares of a run, for CI runners that each play a part. The
//! share is fixed by position alone (every n-th item from the k-th), so every runner computes
//! the same split from the same suite without talking to the others.

use std::fmt;
use std::str::FromStr;

/// Share `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: u32,
    pub count: u32,
}

impl Partition {
    /// The whole: one share of one.
    pub const WHOLE: Partition = Partition { index: 1, count: 1 };

    /// Whether the item at `position` (from 0) of an ordered list is in this share.
    pub fn takes(&self, position: usize) -> bool {
        position % self.count as usize == (self.index - 1) as usize
    }

    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

impl Default for Partition {
    fn default() -> Self {
        Partition::WHOLE
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let wrong = || {
            format!("`{s}` is not a share: write k/n, the k-th of n shares (1 <= k <= n), e.g. 2/4")
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(wrong)?;
        let index: u32 = k.trim().parse().map_err(|_| wrong())?;
        let count: u32 = n.trim().parse().map_err(|_| wrong())?;
        if count == 0 || index == 0 || index > count || count > 1000 {
            return Err(wrong());
        }
        Ok(Partition { index, count })
    }
}

/// Checks that `shares` are every share of one split, each once: what a merge needs.
pub fn complete(shares: &[Partition]) -> Result<(), String> {
    let n = shares.first().map_or(1, |p| p.count);
    if let Some(p) = shares.iter().find(|p| p.count != n) {
        return Err(format!(
            "share {p} is not one of {n} shares like the others: these come from different splits"
        ));
    }
    let mut problems = Vec::new();
    for k in 1..=n {
        match shares.iter().filter(|p| p.index == k).count() {
            0 => problems.push(format!("share {k}/{n} is missing")),
            1 => {}
            c => problems.push(format!("share {k}/{n} is given {c} times")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: give each share's report once (a verdict on part of the suite is no verdict)",
            problems.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_everything_once() {
        let shares: Vec<Partition> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for position in 0..20 {
            assert_eq!(
                shares.iter().filter(|p| p.takes(position)).count(),
                1,
                "{position}"
            );
        }
        assert!(Partition::WHOLE.takes(7));
        assert_eq!(shares[1].to_string(), "2/3");
    }

    #[test]
    fn a_merge_needs_every_share_once() {
        let p = |s: &str| s.parse::<Partition>().unwrap();
        assert!(complete(&[p("2/3"), p("1/3"), p("3/3")]).is_ok());
        let e = complete(&[p("1/3"), p("3/3"), p("3/3")]).unwrap_err();
        assert!(
            e.contains("share 2/3 is missing") && e.contains("3/3 is given 2 times"),
            "{e}"
        );
        assert!(complete(&[p("1/2"), p("2/3")]).is_err());
        assert!(complete(&[Partition::WHOLE]).is_ok());
    }

    #[test]
    fn a_wrong_share_says_how_to_write_one() {
        for s in ["0/3", "4/3", "3", "a/b", "1/0", "2/1"] {
            let e = s.parse::<Partition>().unwrap_err();
            assert!(e.contains("k/n"), "{s}: {e}");
        }
    }
}
