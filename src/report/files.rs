//! The report files of a run — JUnit XML, report.json, the HTML report and
//! the Markdown summary (with GitHub annotations under Actions) — written when
//! the run finishes, all from the same result tree and through the redactor.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::redact::Redactor;
use crate::run::{Event, Reporter};
use crate::scenario::CheckMeta;

/// Where the files go.
#[derive(Debug, Clone)]
pub struct Destinations {
    /// junit.xml, report.json and report.html.
    pub dir: PathBuf,
    /// A second copy of report.html.
    pub html_dir: Option<PathBuf>,
    /// The Markdown summary.
    pub markdown: Option<PathBuf>,
}

/// Writes every report file on [`Event::RunFinished`].
pub struct Files {
    to: Destinations,
    checks: BTreeMap<String, CheckMeta>,
    redactor: Redactor,
    written: Vec<String>,
}

impl Files {
    pub fn new(to: Destinations, checks: BTreeMap<String, CheckMeta>, redactor: Redactor) -> Files {
        Files {
            to,
            checks,
            redactor,
            written: Vec::new(),
        }
    }

    /// The files written so far, as paths a person can open.
    pub fn written(&self) -> &[String] {
        &self.written
    }

    fn write(&mut self, path: PathBuf, text: &str) {
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            eprintln!("warning: cannot create {}: {e}", dir.display());
            return;
        }
        match std::fs::write(&path, text) {
            Ok(()) => self.written.push(path.display().to_string()),
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        }
    }
}

impl Reporter for Files {
    fn event(&mut self, event: &Event<'_>) {
        let Event::RunFinished { run } = *event else {
            return;
        };
        let redactor = self.redactor.clone();
        let html = super::html::render(run, &self.checks, &redactor);
        self.write(
            self.to.dir.join("junit.xml"),
            &super::junit::render(run, &redactor),
        );
        self.write(
            self.to.dir.join("report.json"),
            &super::json::render(run, &redactor),
        );
        self.write(self.to.dir.join("report.html"), &html);
        if let Some(dir) = self.to.html_dir.clone() {
            self.write(dir.join("report.html"), &html);
        }
        let markdown = super::markdown::render(run, &self.checks, &redactor);
        if let Some(file) = self.to.markdown.clone() {
            self.write(file, &markdown);
        }
        // In GitHub Actions, failures become annotations on the scenario lines and
        // the summary goes to the job page.
        if std::env::var_os("GITHUB_ACTIONS").is_some() {
            use std::io::Write as _;
            let mut out = std::io::stdout();
            for line in super::markdown::github_annotations(run, &redactor) {
                let _ = writeln!(out, "{line}");
            }
            if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY")
                && let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(summary)
            {
                let _ = writeln!(f, "{markdown}");
            }
        }
    }
}
