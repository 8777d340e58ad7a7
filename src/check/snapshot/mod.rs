//! Snapshot expectations: a step's response (status, chosen headers, body),
//! redacted and serialized deterministically, compared with a committed
//! `.snap` file in insta's format, so `idgate snapshots review` and
//! `cargo insta review` both work on them.
//!
//! Layout: `<scenario dir>/snapshots/<scenario>__<client>__<name>.snap` (the
//! client is part of the name because the Entra dialects get different
//! answers). A file is a YAML header between `---` lines (`source`,
//! `description`, `expression`), then the body:
//!
//! ```text
//! HTTP 200
//! content-type: application/scim+json
//!
//! {
//!   "active": true,
//!   "id": "[id]",
//!   "name": {
//!     "givenName": "{{given_name}}"
//!   }
//! }
//! ```
//!
//! Only the body below the header is compared. A body that is JSON is pretty
//! printed with its keys sorted, so the server's key order cannot flap. Values
//! that change every run are redacted: SCIM `id`, `externalId`, `userName`,
//! `emails[].value` and `meta.created/lastModified/version/location` (at the
//! top and in each `Resources` item) become `[id]`, `[timestamp]` and so on,
//! a scenario's own `redact` selectors become `[<last key>]`, and then any
//! remaining text equal to (or bounded by punctuation around) a value the run
//! generated or captured becomes `{{var}}`.
//!
//! What a run does with a snapshot that is missing or differs is the
//! [`SnapshotMode`]: fail and write `<file>.snap.new` beside it (the command
//! line's default, in CI too, so the file can be kept as an artifact), or
//! write the `.snap` and pass (`--update-snapshots`, refused in CI). A stale
//! `.snap.new` is deleted once the response matches again.
//!
//! The built-in suite (no `--scenarios DIR`) names its files
//! `scenarios/<folder>/...`, so its snapshots are looked for under
//! `./scenarios/` in the current directory first, then in the copies compiled
//! into the binary (`build.rs` embeds every `*.snap`), and pending files are
//! written under `./scenarios/<folder>/snapshots/`. Inside idgate's own
//! repository that is the committed folder, so a developer can review and
//! commit them; anywhere else, the folder is created on the first difference
//! and the snapshots accepted there take precedence over the shipped ones.
//!
//! The check itself is here; `format` reads and writes insta's files,
//! `redact` turns a response into what is recorded, `pending` is the store of
//! snapshots waiting for review, and `saml` records a SAML step's Response.

use std::io;
use std::path::{Path, PathBuf};

use super::Finding;
use crate::diff::{self, Line};
use crate::http::Exchange;
use crate::scenario::template::Lookup;
use crate::scenario::{Scenario, SnapshotSpec, Step};

mod format;
mod pending;
mod redact;
mod saml;

pub use format::{SnapFile, parse};
pub use pending::{Pending, pending, referenced, unreferenced};
pub use saml::saml_exchange;

use format::Header;
use redact::{Volatile, render};

/// How a run treats `snapshot = "..."` expectations: the session's choice
/// ([`SnapshotMode::Off`] unless the command line turns them on), so an
/// in-process run never touches the disk.
#[derive(Debug, Clone, Default)]
pub struct SnapshotOptions {
    pub mode: SnapshotMode,
    /// The suite is the one compiled into the binary: a snapshot missing under
    /// `./scenarios/` is read from the binary's copy.
    pub embedded: bool,
    /// Secret values (the token) replaced by `***` before a snapshot is compared or written.
    pub redactor: crate::redact::Redactor,
}

/// What a run does with a snapshot that is missing or differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Not compared at all; the rest of the expectation still is.
    #[default]
    Off,
    /// The check fails and the new snapshot is written beside the old as `.snap.new`.
    Review,
    /// The new snapshot is written as the accepted `.snap` and the check passes
    /// (`--update-snapshots`, for a person at a terminal).
    Update,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_snapshots.rs"));
}

/// The extension of an accepted snapshot.
pub const EXTENSION: &str = "snap";
/// Appended to a snapshot's file name for a pending one: `x.snap.new`.
pub const PENDING_SUFFIX: &str = ".new";

/// Which expectation a snapshot belongs to.
pub struct Subject<'a> {
    /// The scenario, which names the file and lists the captures.
    pub scenario: &'a Scenario,
    /// The step whose response is recorded.
    pub step: &'a Step,
    /// The client the scenario runs as.
    pub client: &'a str,
    /// The check id of the expectation, for the file's description.
    pub check: &'a str,
    /// The expectation's `snapshot` table: name, redactions, headers.
    pub spec: &'a SnapshotSpec,
}

/// Where a snapshot of `scenario` (from `scenario_file`) as `client` lives.
pub fn path_for(scenario_file: &str, scenario: &str, client: &str, name: &str) -> PathBuf {
    Path::new(scenario_file)
        .parent()
        .unwrap_or(Path::new(""))
        .join("snapshots")
        .join(format!("{scenario}__{client}__{name}.{EXTENSION}"))
}

/// The pending file beside an accepted one: `x.snap` → `x.snap.new`.
pub fn pending_path(snap: &Path) -> PathBuf {
    let mut s = snap.as_os_str().to_owned();
    s.push(PENDING_SUFFIX);
    PathBuf::from(s)
}

/// Compare the response with the expectation's snapshot, writing what the
/// options say; `found` is what the rest of the expectation found, and it wins
/// when it failed (a snapshot that differs too is then mentioned in its message).
pub fn verify(
    found: Finding,
    options: &SnapshotOptions,
    subject: &Subject<'_>,
    exchange: &Exchange,
    vars: &mut dyn Lookup,
) -> Finding {
    if options.mode == SnapshotMode::Off {
        return found;
    }
    let volatile = Volatile::of(subject.scenario, subject.step, vars);
    let content = options
        .redactor
        .apply(&render(&exchange.response, subject.spec, &volatile));
    let path = path_for(
        &subject.scenario.file,
        &subject.scenario.name,
        subject.client,
        &subject.spec.name,
    );
    let snapshot = compare(options, subject, exchange, &volatile, &path, &content);
    if found.passed {
        snapshot
    } else if snapshot.passed {
        found
    } else {
        let also = snapshot.message.unwrap_or_default();
        let note = match &found.message {
            Some(m) => format!("{m}; the snapshot differs too: {also}"),
            None => format!("the snapshot differs too: {also}"),
        };
        found.with_message(note)
    }
}

fn compare(
    options: &SnapshotOptions,
    subject: &Subject<'_>,
    exchange: &Exchange,
    volatile: &Volatile,
    path: &Path,
    content: &str,
) -> Finding {
    let shown = display(path);
    let pending = pending_path(path);
    let old = match read_accepted(path, options.embedded) {
        Ok(old) => old,
        Err(e) => {
            return Finding::fail(format!("the snapshot in {shown}"), "unreadable")
                .with_message(format!("cannot read {shown}: {e}"));
        }
    };
    if old.as_deref() == Some(content) {
        // A pending file left by an earlier run is stale now that it matches.
        let _ = std::fs::remove_file(&pending);
        return Finding::pass(format!("the response recorded in {shown}"));
    }
    let mut header = Header::of(subject, exchange, volatile);
    // The header is written to a committed file too: no secret in it either.
    header.expression = options.redactor.apply(&header.expression);
    if options.mode == SnapshotMode::Update {
        return match format::write(path, &header, content) {
            Ok(()) => {
                let _ = std::fs::remove_file(&pending);
                Finding::pass(format!("the response recorded in {shown} (updated)"))
            }
            Err(e) => Finding::fail(format!("the response recorded in {shown}"), "not written")
                .with_message(format!("cannot write {shown}: {e}")),
        };
    }
    let written = format::write(&pending, &header, content);
    let pending_shown = display(&pending);
    let review = "`idgate snapshots review`, then `accept` or `reject`; or `cargo insta review`";
    let note = match &written {
        Ok(()) => format!("new snapshot written to {pending_shown}, review it: {review}"),
        Err(e) => format!("the new snapshot could not be written to {pending_shown}: {e}"),
    };
    match old {
        None => Finding::fail(format!("a snapshot in {shown}"), "none recorded yet").with_message(
            match written {
                Ok(()) => format!("new snapshot written, review it: {pending_shown} ({review})"),
                Err(_) => note,
            },
        ),
        Some(old) => Finding::fail(
            format!("the response recorded in {shown}"),
            format!(
                "a different response (-snapshot +this run):\n{}",
                line_diff(&old, content)
            ),
        )
        .with_message(note),
    }
}

/// A path as shown in messages, with `/` separators.
fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The accepted snapshot's content: the file, else (for the embedded suite) the binary's copy.
pub fn read_accepted(path: &Path, embedded: bool) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(parse(&text).content)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(embedded
            .then(|| embedded_copy(path))
            .flatten()
            .map(|t| parse(t).content)),
        Err(e) => Err(e),
    }
}

/// The copy of `path` (as `scenarios/...`) compiled into the binary.
pub fn embedded_copy(path: &Path) -> Option<&'static str> {
    let wanted = display(path);
    let wanted = wanted.strip_prefix("./").unwrap_or(&wanted);
    embedded::SNAPSHOTS
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, text)| *text)
}

/// Lines of old times lines of new past which two snapshots are not aligned
/// but shown all removed then all added.
const ALIGN_LIMIT: usize = 1_000_000;

/// A -/+ diff of two texts by line, three lines of context around each change.
pub fn line_diff(old: &str, new: &str) -> String {
    diff::collapse(&diff::lines(old, new, ALIGN_LIMIT))
        .iter()
        .map(|line| match line {
            Line::Same(l) => format!(" {l}"),
            Line::Removed(l) => format!("-{l}"),
            Line::Added(l) => format!("+{l}"),
            Line::Gap(n) => format!(" … {n} unchanged line(s)"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj";
        assert_eq!(
            line_diff(old, new),
            " … 1 unchanged line(s)\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n+j"
        );
    }
}
