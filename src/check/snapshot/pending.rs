//! The store of snapshots waiting for a person: the `.snap.new` files a run
//! left, their review, acceptance and rejection, and the snapshot files no
//! expectation records any more.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use super::{EXTENSION, PENDING_SUFFIX, display, line_diff, parse, path_for, read_accepted};
use crate::scenario::Suite;

/// A `.snap.new` file waiting for a person, and the `.snap` it would become.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pending {
    /// The file a run wrote: `x.snap.new`.
    pub new: PathBuf,
    /// The snapshot accepting it makes: `x.snap`.
    pub accepted: PathBuf,
}

impl Pending {
    /// `<scenario>__<client>__<name>`, the file name without extensions.
    pub fn stem(&self) -> String {
        let name = self
            .accepted
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name.strip_suffix(&format!(".{EXTENSION}"))
            .unwrap_or(&name)
            .to_string()
    }

    /// Whether `wanted` names this snapshot: its name alone (`read-user`, every
    /// client's), `<scenario>__<client>__<name>`, or the file's path.
    pub fn is_named(&self, wanted: &str) -> bool {
        let stem = self.stem();
        let wanted = wanted.replace('\\', "/");
        let wanted = wanted.trim_start_matches("./");
        let path = |p: &Path| {
            let p = display(p);
            p == wanted || p.ends_with(&format!("/{wanted}"))
        };
        stem == wanted
            || stem.ends_with(&format!("__{wanted}"))
            || path(&self.accepted)
            || path(&self.new)
    }

    /// The pending file against what is accepted now: a diff, or the whole new snapshot.
    pub fn review(&self, embedded: bool) -> io::Result<String> {
        let new = parse(&std::fs::read_to_string(&self.new)?);
        let old = read_accepted(&self.accepted, embedded)?;
        let mut out = Vec::new();
        for (k, v) in &new.header {
            if k == "description" || k == "expression" {
                out.push(format!("  {k}: {v}"));
            }
        }
        match old {
            Some(old) => {
                out.push(format!(
                    "  -{} +{}",
                    display(&self.accepted),
                    display(&self.new)
                ));
                out.extend(
                    line_diff(&old, &new.content)
                        .lines()
                        .map(|l| format!("  {l}")),
                );
            }
            None => {
                out.push(format!(
                    "  new: no snapshot is accepted at {} yet",
                    display(&self.accepted)
                ));
                out.extend(new.content.lines().map(|l| format!("  +{l}")));
            }
        }
        Ok(out.join("\n"))
    }

    /// The pending file becomes the snapshot.
    pub fn accept(&self) -> io::Result<()> {
        std::fs::rename(&self.new, &self.accepted)
    }

    /// The pending file is deleted.
    pub fn reject(&self) -> io::Result<()> {
        std::fs::remove_file(&self.new)
    }
}

/// Every file under `root` (recursively), sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every pending snapshot under `root`.
pub fn pending(root: &Path) -> Vec<Pending> {
    let suffix = format!(".{EXTENSION}{PENDING_SUFFIX}");
    files_under(root)
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let accepted =
                p.with_file_name(name.strip_suffix(&suffix)?.to_string() + "." + EXTENSION);
            Some(Pending { new: p, accepted })
        })
        .collect()
}

/// The same file whatever way its path is spelled (`sc/x`, `./sc/x`, absolute).
fn file_key(p: &Path) -> PathBuf {
    match (p.parent().map(std::fs::canonicalize), p.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => p.to_path_buf(),
    }
}

/// Every snapshot file the suite's expectations record, for every client they run as.
pub fn referenced(suite: &Suite) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for scenario in &suite.scenarios {
        for client in &scenario.clients {
            for step in &scenario.steps {
                if !step.clients.is_empty() && !step.clients.contains(client) {
                    continue;
                }
                for x in &step.expects {
                    if !x.clients.is_empty() && !x.clients.contains(client) {
                        continue;
                    }
                    if let Some(spec) = &x.snapshot {
                        out.insert(path_for(&scenario.file, &scenario.name, client, &spec.name));
                    }
                }
            }
        }
    }
    out
}

/// Snapshot files under `root` (accepted or pending) that no expectation of the suite records.
pub fn unreferenced(suite: &Suite, root: &Path) -> Vec<PathBuf> {
    let known: BTreeSet<PathBuf> = referenced(suite).iter().map(|p| file_key(p)).collect();
    let pending_suffix = format!(".{EXTENSION}{PENDING_SUFFIX}");
    files_under(root)
        .into_iter()
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let accepted = if let Some(stem) = name.strip_suffix(&pending_suffix) {
                p.with_file_name(format!("{stem}.{EXTENSION}"))
            } else if name.ends_with(&format!(".{EXTENSION}")) {
                p.clone()
            } else {
                return false;
            };
            !known.contains(&file_key(&accepted))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::snapshot::pending_path;

    #[test]
    fn paths_and_names() {
        let p = path_for(
            "scenarios/entra/04-users.toml",
            "users",
            "entra-2020",
            "read",
        );
        assert_eq!(
            display(&p),
            "scenarios/entra/snapshots/users__entra-2020__read.snap"
        );
        let pending = Pending {
            new: pending_path(&p),
            accepted: p,
        };
        assert_eq!(
            display(&pending.new),
            "scenarios/entra/snapshots/users__entra-2020__read.snap.new"
        );
        assert!(pending.is_named("read"));
        assert!(pending.is_named("users__entra-2020__read"));
        assert!(pending.is_named("scenarios/entra/snapshots/users__entra-2020__read.snap.new"));
        assert!(!pending.is_named("rea"));
    }
}
