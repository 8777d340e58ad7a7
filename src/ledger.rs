//! The cleanup ledger: a journal of every resource idgate created on a
//! target, so cleanup deletes exactly those and nothing else, even after an
//! interrupt. With a file, each event is appended as one line as it happens,
//! and `idgate cleanup` can finish the job after a crash.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The `id` of a resource a server answered with: a string, or a number (some servers number
/// their resources, though RFC 7643 §3.1 makes it a string), as text.
pub fn resource_id(resource: &serde_json::Value) -> Option<String> {
    match resource.get("id")? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One resource idgate created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The SCIM base URL it was created on.
    pub target: String,
    /// `Users` or `Groups`.
    pub kind: String,
    pub id: String,
    /// `client/scenario › step`, for people reading the journal.
    pub created_by: String,
}

/// A create about to be sent, journaled before it goes out: if idgate dies before the answer,
/// the server may still create the resource, and cleanup finds it by its unique name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub target: String,
    /// `Users` or `Groups`.
    pub kind: String,
    /// The `userName` (or a group's `displayName`) the create carries: unique to the run.
    pub name: String,
    /// Matches the intent with its outcome.
    pub intent: String,
    pub created_by: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event {
    Intended(Intent),
    /// The create's answer came: what it created (if anything) is a `Created` of its own.
    Settled {
        intent: String,
    },
    Created(Entry),
    Deleted {
        target: String,
        kind: String,
        id: String,
    },
}

#[derive(Debug, Default)]
pub struct Ledger {
    file: Option<PathBuf>,
    /// The journal, opened for appending on the first event and kept open.
    journal: Option<std::fs::File>,
    /// The file ends in a torn line (a run killed mid-write): the next event starts a new one.
    torn: bool,
    /// A write failed and was said once.
    warned: bool,
    pending: Vec<Entry>,
    intended: Vec<Intent>,
}

impl Ledger {
    /// A ledger kept in memory only (the embedded target dies with the run).
    pub fn in_memory() -> Ledger {
        Ledger::default()
    }

    /// A ledger journaled to `path`, picking up entries left pending by earlier runs.
    pub fn open(path: &Path) -> Result<Ledger, String> {
        let mut ledger = Ledger {
            file: Some(path.to_path_buf()),
            ..Ledger::default()
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                ledger.torn = !text.is_empty() && !text.ends_with('\n');
                for (n, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Event>(line) {
                        Ok(Event::Created(e)) => ledger.pending.push(e),
                        Ok(Event::Intended(i)) => ledger.intended.push(i),
                        Ok(Event::Settled { intent }) => {
                            ledger.intended.retain(|i| i.intent != intent)
                        }
                        Ok(Event::Deleted { target, kind, id }) => ledger
                            .pending
                            .retain(|e| !(e.target == target && e.kind == kind && e.id == id)),
                        // A run killed mid-write leaves a torn line: last, or followed by
                        // the lines of later runs. What is around it is still worth
                        // cleaning up; a line that is no ledger line at all is refused below.
                        Err(_)
                            if n + 1 == text.lines().count() || line.starts_with("{\"event\":") =>
                        {
                            eprintln!(
                                "warning: {}:{}: an unfinished line (a run stopped while writing it) was ignored",
                                path.display(),
                                n + 1
                            )
                        }
                        Err(err) => {
                            return Err(format!(
                                "{}:{}: not a ledger line: {err}",
                                path.display(),
                                n + 1
                            ));
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read ledger {}: {e}", path.display())),
        }
        Ok(ledger)
    }

    /// Appends one event as one line, written to the kernel before this returns: a `kill -9`
    /// right after loses nothing. It is not synced to the disk, which would cost a disk flush
    /// per create (a load run makes thousands) to guard against a power cut mid-run.
    fn append(&mut self, event: &Event) {
        let Some(path) = &self.file else { return };
        if self.journal.is_none() {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            self.journal = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok();
        }
        // A journal that cannot be written must not stop the run; cleanup
        // at scenario end still works from memory.
        let mut line = String::new();
        if std::mem::take(&mut self.torn) {
            line.push('\n');
        }
        line.push_str(&serde_json::to_string(event).expect("serializable"));
        line.push('\n');
        // One write per line: a kill tears at most the last line, which `open` forgives.
        let written = match &mut self.journal {
            Some(f) => f.write_all(line.as_bytes()).map_err(|e| e.to_string()),
            None => Err("it cannot be opened".into()),
        };
        if let Err(e) = written
            && !std::mem::replace(&mut self.warned, true)
        {
            eprintln!(
                "warning: the ledger {} cannot be written ({e}): cleanup still deletes what this run created, but `idgate cleanup` would not know of it after a crash",
                path.display()
            );
        }
    }

    /// Journals a create before it is sent; the id to settle it with once answered.
    pub fn intend(&mut self, target: &str, kind: &str, name: &str, created_by: &str) -> String {
        let intent = Intent {
            target: target.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            intent: uuid::Uuid::new_v4().simple().to_string(),
            created_by: created_by.to_string(),
        };
        self.append(&Event::Intended(intent.clone()));
        let id = intent.intent.clone();
        self.intended.push(intent);
        id
    }

    /// The create was answered: whatever it made is journaled as `created`.
    pub fn settle(&mut self, intent: &str) {
        let before = self.intended.len();
        self.intended.retain(|i| i.intent != intent);
        if self.intended.len() != before {
            self.append(&Event::Settled {
                intent: intent.to_string(),
            });
        }
    }

    /// Whether a create's answer settles its intent: yes when what it made was journaled, or
    /// when it made nothing (not 2xx). A 2xx whose id could not be read (an empty or odd
    /// body) may still have made the resource, so the intent stays, and cleanup finds it by
    /// the name it carried.
    pub fn answer_settles(status: u16, journaled: bool) -> bool {
        journaled || !(200..300).contains(&status)
    }

    /// Creates sent to `target` whose answer never came.
    pub fn unsettled(&self, target: &str) -> Vec<Intent> {
        self.intended
            .iter()
            .filter(|i| i.target == target)
            .cloned()
            .collect()
    }

    pub fn created(&mut self, entry: Entry) {
        self.append(&Event::Created(entry.clone()));
        self.pending.push(entry);
    }

    pub fn deleted(&mut self, target: &str, kind: &str, id: &str) {
        let before = self.pending.len();
        self.pending
            .retain(|e| !(e.id == id && e.kind == kind && e.target == target));
        if self.pending.len() != before {
            self.append(&Event::Deleted {
                target: target.to_string(),
                kind: kind.to_string(),
                id: id.to_string(),
            });
        }
    }

    /// Resources on `target` not yet deleted, newest first (groups before their members).
    pub fn pending(&self, target: &str) -> Vec<Entry> {
        self.pending
            .iter()
            .rev()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
    }

    pub fn is_tracked(&self, target: &str, kind: &str, id: &str) -> bool {
        self.pending
            .iter()
            .any(|e| e.target == target && e.kind == kind && e.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let mut l = Ledger::open(&path).unwrap();
        let e = |id: &str| Entry {
            target: "http://t".into(),
            kind: "Users".into(),
            id: id.into(),
            created_by: "x".into(),
        };
        l.created(e("1"));
        l.created(e("2"));
        l.deleted("http://t", "Users", "1");
        let again = Ledger::open(&path).unwrap();
        assert_eq!(again.pending("http://t"), vec![e("2")]);
        // Killed while writing: the torn last line is ignored, the rest kept.
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "{\"event\":\"crea",
        )
        .unwrap();
        assert_eq!(
            Ledger::open(&path).unwrap().pending("http://t"),
            vec![e("2")]
        );
        assert!(again.pending("http://other").is_empty());
        // A run after the torn one journals on a line of its own, and nothing is lost.
        let mut after = Ledger::open(&path).unwrap();
        after.created(e("3"));
        assert_eq!(
            Ledger::open(&path).unwrap().pending("http://t"),
            vec![e("3"), e("2")]
        );
    }

    #[test]
    fn an_unanswered_create_outlives_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let mut l = Ledger::open(&path).unwrap();
        let answered = l.intend("http://t", "Users", "idgate-a-1", "x");
        let lost = l.intend("http://t", "Users", "idgate-b-2", "x");
        l.settle(&answered);
        // Killed here: the second create's answer never came.
        let again = Ledger::open(&path).unwrap();
        let open = again.unsettled("http://t");
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].name.as_str(), open[0].intent.as_str()),
            ("idgate-b-2", lost.as_str())
        );
        assert!(again.unsettled("http://other").is_empty());
    }
}
