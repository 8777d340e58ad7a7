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

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Finding;
use crate::scenario::template::{Lookup, Template};
use crate::scenario::{Scenario, SnapshotMode, SnapshotOptions, SnapshotSpec, Step, Suite};
use crate::scim::{Exchange, Received};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_snapshots.rs"));
}

/// The extension of an accepted snapshot.
pub const EXTENSION: &str = "snap";
/// Appended to a snapshot's file name for a pending one: `x.snap.new`.
pub const PENDING_SUFFIX: &str = ".new";

/// Generators whose value is new on every use; a variable built from one changes every run.
const GENERATORS: &[&str] = &["uuid", "hex8", "word"];

/// Redacted whatever the scenario says, at the top of a body and in each list item.
const DEFAULT_REDACTIONS: &[(&str, &str)] = &[
    ("/id", "[id]"),
    ("/externalId", "[externalId]"),
    ("/userName", "[userName]"),
    ("/emails/*/value", "[email]"),
    ("/password", "[password]"),
    ("/meta/created", "[timestamp]"),
    ("/meta/lastModified", "[timestamp]"),
    ("/meta/version", "[version]"),
    ("/meta/location", "[location]"),
];

/// Response headers whose value changes every run, and what replaces it.
const HEADER_REDACTIONS: &[(&str, &str)] = &[
    ("location", "[location]"),
    ("content-location", "[location]"),
    ("etag", "[version]"),
    ("date", "[timestamp]"),
    ("last-modified", "[timestamp]"),
];

/// Values shorter than this are redacted only where they are a whole value:
/// as a part of text, a short id like `12` would match by chance.
const MIN_PART_LEN: usize = 4;

/// Which expectation a snapshot belongs to.
pub struct Subject<'a> {
    pub scenario: &'a Scenario,
    pub step: &'a Step,
    pub client: &'a str,
    pub check: &'a str,
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
        return match write(path, &header, content) {
            Ok(()) => {
                let _ = std::fs::remove_file(&pending);
                Finding::pass(format!("the response recorded in {shown} (updated)"))
            }
            Err(e) => Finding::fail(format!("the response recorded in {shown}"), "not written")
                .with_message(format!("cannot write {shown}: {e}")),
        };
    }
    let written = write(&pending, &header, content);
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

/// The values of this run that change from run to run, longest first, with their names.
struct Volatile {
    values: Vec<(String, String)>,
}

impl Volatile {
    /// `base`, every capture of the scenario, and every variable built from a
    /// generator or from another such value, as they stand at this step.
    fn of(scenario: &Scenario, step: &Step, vars: &mut dyn Lookup) -> Volatile {
        let mut names: BTreeSet<String> = BTreeSet::from(["base".to_string()]);
        for s in &scenario.steps {
            names.extend(s.capture.iter().map(|(n, _)| n.clone()));
        }
        let generated = |t: &Template, names: &BTreeSet<String>| {
            t.names()
                .any(|n| GENERATORS.contains(&n) || names.contains(n))
        };
        for (n, t) in &scenario.vars {
            if generated(t, &names) {
                names.insert(n.clone());
            }
        }
        for (n, t) in &step.with {
            if generated(t, &names) {
                names.insert(n.clone());
            } else {
                names.remove(n);
            }
        }
        let mut values: Vec<(String, String)> = names
            .into_iter()
            .filter_map(|n| match vars.get(&n) {
                Some(Value::String(v)) if !v.is_empty() => Some((n, v)),
                _ => None,
            })
            .collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Volatile { values }
    }

    /// `text` with each run value in it replaced by `{{name}}`: a whole value
    /// always, a part of the text when it is long enough and not inside a word.
    fn replace(&self, text: &str) -> String {
        if let Some((name, _)) = self.values.iter().find(|(_, v)| v == text) {
            return format!("{{{{{name}}}}}");
        }
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < text.len() {
            let before = text[..i].chars().next_back();
            if !word(before) {
                for (name, v) in &self.values {
                    if v.len() >= MIN_PART_LEN
                        && text[i..].starts_with(v.as_str())
                        && !word(text[i + v.len()..].chars().next())
                    {
                        out.push_str(&format!("{{{{{name}}}}}"));
                        i += v.len();
                        continue 'scan;
                    }
                }
            }
            let c = text[i..].chars().next().expect("inside the text");
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// What a snapshot records of a response, redacted and deterministic.
fn render(resp: &Received, spec: &SnapshotSpec, volatile: &Volatile) -> String {
    let mut out = format!("HTTP {}\n", resp.status);
    let names = std::iter::once("content-type").chain(spec.headers.iter().map(String::as_str));
    for name in names {
        for (_, value) in resp
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            let value = match HEADER_REDACTIONS.iter().find(|(h, _)| *h == name) {
                Some((_, placeholder)) => placeholder.to_string(),
                None => volatile.replace(value.trim()),
            };
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    let body = resp.body.trim();
    if !body.is_empty() {
        out.push('\n');
        match serde_json::from_str::<Value>(body) {
            Ok(mut v) => {
                redact(&mut v, &spec.redact);
                substitute(&mut v, volatile);
                let pretty = serde_json::to_string_pretty(&sorted(v)).expect("JSON serializes");
                out.push_str(&pretty);
            }
            Err(_) => {
                for line in body.lines() {
                    out.push_str(volatile.replace(line).trim_end());
                    out.push('\n');
                }
            }
        }
    }
    out.trim_end().to_string()
}

/// Apply the default redactions (at the top and in each `Resources` item), then the scenario's.
fn redact(v: &mut Value, selectors: &[String]) {
    for (selector, placeholder) in DEFAULT_REDACTIONS {
        for prefix in ["", "/Resources/*"] {
            replace_at(v, &segments(&format!("{prefix}{selector}")), placeholder);
        }
    }
    for s in selectors {
        replace_at(v, &segments(s), &placeholder_for(s));
    }
}

/// `/name/givenName` → `[givenName]`; a selector ending in `*` or an index → `[redacted]`.
fn placeholder_for(selector: &str) -> String {
    match segments(selector).last() {
        Some(last) if last != "*" && last.parse::<usize>().is_err() && !last.is_empty() => {
            format!("[{last}]")
        }
        _ => "[redacted]".to_string(),
    }
}

/// A JSON pointer's reference tokens, `~1` and `~0` unescaped.
fn segments(selector: &str) -> Vec<String> {
    selector
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Replace every non-null value the selector reaches; `*` is any key or index.
fn replace_at(v: &mut Value, path: &[String], placeholder: &str) {
    let Some((first, rest)) = path.split_first() else {
        if !v.is_null() {
            *v = Value::String(placeholder.to_string());
        }
        return;
    };
    match v {
        Value::Object(m) if first == "*" => m
            .values_mut()
            .for_each(|c| replace_at(c, rest, placeholder)),
        Value::Array(a) if first == "*" => {
            a.iter_mut().for_each(|c| replace_at(c, rest, placeholder))
        }
        Value::Object(m) => {
            if let Some(c) = m.get_mut(first.as_str()) {
                replace_at(c, rest, placeholder);
            }
        }
        Value::Array(a) => {
            if let Some(c) = first.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                replace_at(c, rest, placeholder);
            }
        }
        _ => {}
    }
}

/// Every string of the body with the run's values named.
fn substitute(v: &mut Value, volatile: &Volatile) {
    match v {
        Value::String(s) => *s = volatile.replace(s),
        Value::Array(a) => a.iter_mut().for_each(|c| substitute(c, volatile)),
        Value::Object(m) => m.values_mut().for_each(|c| substitute(c, volatile)),
        _ => {}
    }
}

/// The same value with every object's keys in sorted order.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The YAML header: for people and `cargo insta review`, never compared.
struct Header {
    source: String,
    description: String,
    expression: String,
}

impl Header {
    fn of(subject: &Subject<'_>, exchange: &Exchange, volatile: &Volatile) -> Header {
        let source = display(Path::new(&subject.scenario.file));
        let source = source.strip_prefix("./").unwrap_or(&source).to_string();
        let source = match std::env::current_dir() {
            Ok(cwd) => Path::new(&source)
                .strip_prefix(&cwd)
                .map(display)
                .unwrap_or(source),
            Err(_) => source,
        };
        let req = &exchange.request;
        let path = volatile.replace(&req.url);
        Header {
            source,
            description: format!(
                "{} as {}, step `{}`, check {}",
                subject.scenario.name, subject.client, subject.step.name, subject.check
            ),
            expression: format!("{} {}", req.method, path),
        }
    }
}

/// A YAML scalar: plain when that is unambiguous, else double-quoted.
fn yaml(value: &str) -> String {
    let plain = !value.is_empty()
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'));
    if plain {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write(path: &Path, header: &Header, content: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = format!(
        "---\nsource: {}\ndescription: {}\nexpression: {}\n---\n{content}\n",
        yaml(&header.source),
        yaml(&header.description),
        yaml(&header.expression),
    );
    std::fs::write(path, text)
}

/// A snapshot file read back: its header lines and its (normalized) body.
pub struct SnapFile {
    pub header: Vec<(String, String)>,
    pub content: String,
}

/// Read a `.snap` or `.snap.new` file as insta does: a YAML header between
/// `---` lines (or, in insta's legacy format, up to the first blank line),
/// then the body, with leading blank lines and trailing whitespace dropped.
pub fn parse(text: &str) -> SnapFile {
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split_inclusive('\n');
    let mut header = Vec::new();
    let mut consumed = 0;
    let first = lines.next().unwrap_or("");
    let yaml_header = first.trim_end() == "---";
    if yaml_header {
        consumed += first.len();
    } else {
        lines = text.split_inclusive('\n');
    }
    for line in lines {
        consumed += line.len();
        let end = if yaml_header {
            line.trim_end() == "---"
        } else {
            line.trim().is_empty()
        };
        if end {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            header.push((k.trim().to_string(), v.to_string()));
        }
    }
    let body = text.get(consumed..).unwrap_or("");
    SnapFile {
        header,
        content: body.trim_start_matches(['\r', '\n']).trim_end().to_string(),
    }
}

/// A -/+ diff of two texts by line, three lines of context around each change.
pub fn line_diff(old: &str, new: &str) -> String {
    #[derive(PartialEq)]
    enum Op<'t> {
        Same(&'t str),
        Del(&'t str),
        Add(&'t str),
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut ops = Vec::with_capacity(a.len() + b.len());
    if a.len().saturating_mul(b.len()) > 1_000_000 {
        // Too big to align quickly: all out, all in.
        ops.extend(a.iter().map(|l| Op::Del(l)));
        ops.extend(b.iter().map(|l| Op::Add(l)));
    } else {
        // common[i][j]: the longest common subsequence of a[i..] and b[j..].
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
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push(Op::Same(a[i]));
                i += 1;
                j += 1;
            } else if j == b.len() || (i < a.len() && common[i + 1][j] >= common[i][j + 1]) {
                ops.push(Op::Del(a[i]));
                i += 1;
            } else {
                ops.push(Op::Add(b[j]));
                j += 1;
            }
        }
    }
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&i| !matches!(ops[i], Op::Same(_)))
        .collect();
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, op) in ops.iter().enumerate() {
        let near = changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
        if let Op::Same(_) = op
            && !near
        {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push(format!(" … {skipped} unchanged line(s)"));
            skipped = 0;
        }
        out.push(match op {
            Op::Same(l) => format!(" {l}"),
            Op::Del(l) => format!("-{l}"),
            Op::Add(l) => format!("+{l}"),
        });
    }
    if skipped > 0 {
        out.push(format!(" … {skipped} unchanged line(s)"));
    }
    out.join("\n")
}

/// A `.snap.new` file waiting for a person, and the `.snap` it would become.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pending {
    pub new: PathBuf,
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
    use serde_json::json;

    fn volatile(values: &[(&str, &str)]) -> Volatile {
        let mut values: Vec<(String, String)> = values
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Volatile { values }
    }

    fn spec(redact: &[&str], headers: &[&str]) -> SnapshotSpec {
        SnapshotSpec {
            name: "x".into(),
            redact: redact.iter().map(|s| s.to_string()).collect(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn response(body: &Value) -> Received {
        Received {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/scim+json".into()),
                (
                    "Location".into(),
                    "http://127.0.0.1:4567/scim/v2/Users/1".into(),
                ),
                ("X-Trace".into(), "abc".into()),
            ],
            body: body.to_string(),
            cookies: Vec::new(),
        }
    }

    #[test]
    fn keys_are_sorted_and_volatile_values_redacted() {
        let body = json!({
            "userName": "Test_User_5f0c",
            "id": "5f0c1a2b-0000-4000-8000-000000000001",
            "name": {"givenName": "Abcd", "formatted": "Abcd Efgh", "familyName": "Efgh"},
            "meta": {"lastModified": "2026-01-01T00:00:00Z", "created": "2026-01-01T00:00:00Z",
                     "location": "http://127.0.0.1:4567/scim/v2/Users/5f0c", "version": "W/\"1\"",
                     "resourceType": "User"},
            "emails": [{"value": "a@b.test", "type": "work"}],
            "members": [{"value": "member-id-1", "$ref": "http://127.0.0.1:4567/scim/v2/Users/member-id-1"}],
            "active": true,
        });
        let v = volatile(&[
            ("given_name", "Abcd"),
            ("family_name", "Efgh"),
            ("member1", "member-id-1"),
            ("base", "http://127.0.0.1:4567/scim/v2"),
        ]);
        let text = render(
            &response(&body),
            &spec(&["/name/familyName"], &["location"]),
            &v,
        );
        assert_eq!(
            text,
            r#"HTTP 200
content-type: application/scim+json
location: [location]

{
  "active": true,
  "emails": [
    {
      "type": "work",
      "value": "[email]"
    }
  ],
  "id": "[id]",
  "members": [
    {
      "$ref": "{{base}}/Users/{{member1}}",
      "value": "{{member1}}"
    }
  ],
  "meta": {
    "created": "[timestamp]",
    "lastModified": "[timestamp]",
    "location": "[location]",
    "resourceType": "User",
    "version": "[version]"
  },
  "name": {
    "familyName": "[familyName]",
    "formatted": "{{given_name}} {{family_name}}",
    "givenName": "{{given_name}}"
  },
  "userName": "[userName]"
}"#
        );
    }

    #[test]
    fn list_items_and_star_selectors_are_redacted() {
        let mut v =
            json!({"Resources": [{"id": "1", "meta": {"created": "t"}, "x": {"a": 1, "b": null}}]});
        redact(&mut v, &["/Resources/*/x/*".into()]);
        assert_eq!(
            v,
            json!({"Resources": [{"id": "[id]", "meta": {"created": "[timestamp]"}, "x": {"a": "[redacted]", "b": null}}]})
        );
    }

    #[test]
    fn parts_of_words_and_short_values_are_left_alone() {
        let v = volatile(&[("w", "Abcd"), ("id", "12")]);
        assert_eq!(v.replace("Abcd"), "{{w}}");
        assert_eq!(v.replace("XAbcd Abcd-1 Abcde"), "XAbcd {{w}}-1 Abcde");
        assert_eq!(v.replace("12"), "{{id}}");
        assert_eq!(v.replace("/Users/12"), "/Users/12");
    }

    #[test]
    fn non_json_bodies_are_kept_as_text() {
        let mut r = response(&json!(null));
        r.body = "plain  \nsecond Abcd\n\n".into();
        let text = render(&r, &spec(&[], &[]), &volatile(&[("w", "Abcd")]));
        assert_eq!(
            text,
            "HTTP 200\ncontent-type: application/scim+json\n\nplain\nsecond {{w}}"
        );
    }

    #[test]
    fn files_parse_as_insta_writes_them() {
        let f = parse(
            "---\nsource: scenarios/entra/04-users.toml\nexpression: \"GET /Users/{{id}}\"\n---\nHTTP 200\n\n{\n  \"a\": 1\n}\n",
        );
        assert_eq!(f.content, "HTTP 200\n\n{\n  \"a\": 1\n}");
        assert_eq!(
            f.header[1],
            ("expression".into(), "GET /Users/{{id}}".into())
        );
        let legacy = parse("Created: x\nSource: y\n\nbody\n");
        assert_eq!(legacy.content, "body");
        assert_eq!(yaml("scenarios/a.toml"), "scenarios/a.toml");
        assert_eq!(yaml("a \"b\""), "\"a \\\"b\\\"\"");
    }

    #[test]
    fn diffs_show_changed_lines_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj";
        assert_eq!(
            line_diff(old, new),
            " … 1 unchanged line(s)\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n+j"
        );
    }

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
        assert_eq!(placeholder_for("/name/givenName"), "[givenName]");
        assert_eq!(placeholder_for("/emails/*"), "[redacted]");
    }
}

/// Attributes of a SAML Response that change on every post.
const SAML_ATTRIBUTES: &[&str] = &[
    "ID",
    "IssueInstant",
    "NotBefore",
    "NotOnOrAfter",
    "InResponseTo",
    "SessionIndex",
    "AuthnInstant",
    // A signature's Reference names the ID it covers.
    "URI",
];

/// Elements whose text changes with every signature.
const SAML_ELEMENTS: &[(&str, &str)] = &[
    ("SignatureValue", "[signature]"),
    ("DigestValue", "[digest]"),
    // The IdP key is made per machine, so its certificate is too.
    ("X509Certificate", "[certificate]"),
];

/// A SAML step's snapshot: the Response idgate posted (one element per line,
/// IDs, instants and signature values redacted) under the SP's status, so a
/// change in what is sent shows as a diff like a SCIM body does.
pub fn saml_exchange(acs: &Exchange, posted_xml: &str, acs_url: &str) -> Exchange {
    // The ACS URL carries the port of whatever SP is running.
    // One element per line; an empty element's closing tag stays on its line.
    let mut xml = posted_xml
        .replace("></", "\u{0}")
        .replace("><", ">\n<")
        .replace('\u{0}', "></")
        .replace(acs_url, "[acs-url]");
    for attr in SAML_ATTRIBUTES {
        xml = redact_attribute(&xml, attr);
    }
    for (element, placeholder) in SAML_ELEMENTS {
        xml = redact_element_text(&xml, element, placeholder);
    }
    let mut x = acs.clone();
    x.request.url = "[acs-url]".into();
    x.response.headers = vec![(
        "content-type".into(),
        "application/samlp+xml (posted Response)".into(),
    )];
    x.response.body = xml;
    x
}

fn redact_attribute(xml: &str, attr: &str) -> String {
    let needle = format!(" {attr}=\"");
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find(&needle) {
        let start = i + needle.len();
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('"') else {
            rest = &rest[start..];
            break;
        };
        out.push_str(&format!("[{attr}]"));
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

fn redact_element_text(xml: &str, element: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    // Matches `<ds:SignatureValue>` and `<SignatureValue>` alike.
    while let Some(i) = rest.find(&format!("{element}>")) {
        let start = i + element.len() + 1;
        let is_open = rest[..i].ends_with('<')
            || rest[..i]
                .rsplit('<')
                .next()
                .is_some_and(|p| !p.starts_with('/') && p.ends_with(':'));
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if is_open && let Some(end) = rest.find('<') {
            out.push_str(placeholder);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod saml_tests {
    use super::*;

    #[test]
    fn saml_values_that_change_every_post_are_redacted() {
        let xml = r#"<samlp:Response ID="_1" IssueInstant="2026-01-01T00:00:00Z"><ds:SignatureValue>abc==</ds:SignatureValue><DigestValue>x</DigestValue><saml:NameID>alice</saml:NameID></samlp:Response>"#;
        let mut v = redact_attribute(xml, "ID");
        v = redact_attribute(&v, "IssueInstant");
        v = redact_element_text(&v, "SignatureValue", "[signature]");
        v = redact_element_text(&v, "DigestValue", "[digest]");
        assert_eq!(
            v,
            r#"<samlp:Response ID="[ID]" IssueInstant="[IssueInstant]"><ds:SignatureValue>[signature]</ds:SignatureValue><DigestValue>[digest]</DigestValue><saml:NameID>alice</saml:NameID></samlp:Response>"#
        );
    }
}
