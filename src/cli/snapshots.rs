//! `idgate snapshots review|accept|reject`: settle the pending snapshots (`.snap.new`) a run wrote.

use std::path::{Path, PathBuf};

use idgate::check::snapshot;
use idgate::diagnostic::did_you_mean;
use idgate::exit;
use idgate::scenario::Suite;
use idgate::session::{SetupError, load_suite};

use crate::Outcome;
use crate::args::SnapshotsCommand;
use crate::out;

/// Where snapshots are written and looked for: beside the scenarios, and for the
/// built-in suite under `./scenarios` (read from the binary when absent there).
pub fn snapshot_root(scenarios: Option<&Path>) -> PathBuf {
    scenarios.map_or_else(|| PathBuf::from("scenarios"), Path::to_path_buf)
}

/// After a run: the snapshots waiting for review and those nothing records any more.
pub fn notes(suite: &Suite, root: &Path) {
    let pending = snapshot::pending(root);
    for p in &pending {
        eprintln!("pending snapshot: {}", p.new.display());
    }
    if !pending.is_empty() {
        eprintln!(
            "  = help: `idgate snapshots review` shows them; `idgate snapshots accept` or `reject` settles them"
        );
    }
    for p in snapshot::unreferenced(suite, root) {
        eprintln!("warning: unreferenced snapshot: {}", p.display());
    }
}

pub fn snapshots(c: SnapshotsCommand) -> Outcome {
    let (args, pick) = match &c {
        SnapshotsCommand::Review(a) => (a, None),
        SnapshotsCommand::Accept(p) | SnapshotsCommand::Reject(p) => (&p.dir, p.name.as_deref()),
    };
    let root = snapshot_root(args.scenarios.as_deref());
    let embedded = args.scenarios.is_none();
    let all = snapshot::pending(&root);
    let chosen: Vec<&snapshot::Pending> = match pick {
        None => all.iter().collect(),
        Some(name) => {
            let chosen: Vec<_> = all.iter().filter(|p| p.is_named(name)).collect();
            if chosen.is_empty() {
                // Both spellings a person might mean: `read-user` and `users__entra-2020__read-user`.
                let mut known: Vec<String> = all.iter().map(snapshot::Pending::stem).collect();
                known.extend(
                    all.iter()
                        .filter_map(|p| p.stem().rsplit("__").next().map(String::from)),
                );
                known.sort();
                known.dedup();
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                let help = if names.is_empty() {
                    format!("there are no pending snapshots under {}", root.display())
                } else {
                    did_you_mean(name, &names)
                };
                return Err(SetupError::usage(format!(
                    "error: no pending snapshot is named `{name}`\n  = help: {help}"
                )));
            }
            chosen
        }
    };
    match c {
        SnapshotsCommand::Review(_) => {
            let suite = load_suite(args.scenarios.as_deref())?;
            for p in &chosen {
                out!("pending snapshot: {}", p.new.display());
                match p.review(embedded) {
                    Ok(text) => out!("{text}\n"),
                    Err(e) => out!("  cannot read it: {e}\n"),
                }
            }
            let unreferenced = snapshot::unreferenced(&suite, &root);
            for p in &unreferenced {
                out!("unreferenced snapshot: {}", p.display());
            }
            if !unreferenced.is_empty() {
                out!("  = help: no scenario records these any more; delete them\n");
            }
            if chosen.is_empty() {
                out!("no pending snapshots under {}", root.display());
            } else {
                out!(
                    "{} pending snapshot(s): `idgate snapshots accept [NAME]` keeps them, `idgate snapshots reject [NAME]` drops them",
                    chosen.len()
                );
            }
        }
        SnapshotsCommand::Accept(_) | SnapshotsCommand::Reject(_) => {
            let accept = matches!(c, SnapshotsCommand::Accept(_));
            if chosen.is_empty() {
                out!("no pending snapshots under {}", root.display());
            }
            let mut failed = false;
            for p in chosen {
                let (done, verb) = if accept {
                    (p.accept(), "accepted")
                } else {
                    (p.reject(), "rejected")
                };
                match done {
                    Ok(()) if accept => out!("{verb} {}", p.accepted.display()),
                    Ok(()) => out!("{verb} {}", p.new.display()),
                    Err(e) => {
                        eprintln!("error: cannot settle {}: {e}", p.new.display());
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(exit::RUNTIME);
            }
        }
    }
    Ok(exit::OK)
}
