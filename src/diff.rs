//! Line diffs by longest common subsequence, for people: a snapshot that
//! differs is shown as -/+ text, and the HTML report shows expected versus
//! actual the same way. Each caller renders the [`Line`]s itself.

/// One line of a diff, borrowed from the two texts compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'t> {
    /// In both texts.
    Same(&'t str),
    /// Only in the old text.
    Removed(&'t str),
    /// Only in the new text.
    Added(&'t str),
    /// A run of this many unchanged lines that [`collapse`] left out.
    Gap(usize),
}

/// Unchanged lines [`collapse`] keeps on each side of a change.
pub const CONTEXT: usize = 3;

/// The lines of `old` and `new` aligned: unchanged, removed or added, in
/// order, removals before additions where both fit.
///
/// The alignment costs a table of `old lines × new lines` cells; past
/// `max_cells` it is skipped and the result is every old line removed, then
/// every new line added, which is still correct, only less readable.
pub fn lines<'t>(old: &'t str, new: &'t str, max_cells: usize) -> Vec<Line<'t>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len().saturating_mul(b.len()) > max_cells {
        return a
            .iter()
            .map(|l| Line::Removed(l))
            .chain(b.iter().map(|l| Line::Added(l)))
            .collect();
    }
    // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Line::Same(a[i]));
            i += 1;
            j += 1;
        } else if common[i + 1][j] >= common[i][j + 1] {
            out.push(Line::Removed(a[i]));
            i += 1;
        } else {
            out.push(Line::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Removed(l)));
    out.extend(b[j..].iter().map(|l| Line::Added(l)));
    out
}

/// Keeps [`CONTEXT`] unchanged lines around each change and folds every
/// other run of unchanged lines into one [`Line::Gap`].
pub fn collapse<'t>(lines: &[Line<'t>]) -> Vec<Line<'t>> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, Line::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
    let mut out = Vec::new();
    let mut gap = 0;
    for (i, l) in lines.iter().enumerate() {
        if matches!(l, Line::Same(_)) && !near(i) {
            gap += 1;
            continue;
        }
        if gap > 0 {
            out.push(Line::Gap(gap));
            gap = 0;
        }
        out.push(*l);
    }
    if gap > 0 {
        out.push(Line::Gap(gap));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: usize = usize::MAX;

    #[test]
    fn line_diff_marks_changed_lines() {
        let d = lines("a\nb\nc", "a\nB\nc\nd", ANY);
        assert_eq!(
            d,
            vec![
                Line::Same("a"),
                Line::Removed("b"),
                Line::Added("B"),
                Line::Same("c"),
                Line::Added("d")
            ]
        );
    }

    #[test]
    fn long_unchanged_runs_fold() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        let c = collapse(&lines(&old, &new, ANY));
        assert_eq!(c.first(), Some(&Line::Gap(7)));
        assert_eq!(c.last(), Some(&Line::Gap(6)));
    }

    #[test]
    fn texts_too_big_to_align_are_all_removed_then_all_added() {
        let d = lines("a\nb", "a\nc", 3);
        assert_eq!(
            d,
            vec![
                Line::Removed("a"),
                Line::Removed("b"),
                Line::Added("a"),
                Line::Added("c")
            ]
        );
        assert_eq!(lines("a\nb", "a\nc", 4)[0], Line::Same("a"));
    }
}
