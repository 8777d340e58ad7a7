//! Errors that point at the text that caused them, rendered like rustc's:
//! `file:line:col`, the source line, a caret under the culprit, and a hint.
//! Scenario parse errors and run-time failures of an expectation share this type,
//! so the terminal, JUnit and JSON reports show the same text.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A file idgate read, kept whole so errors can quote it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as the user knows it, e.g. `scenarios/entra/users.toml`.
    pub name: String,
    pub text: Arc<str>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Source> {
        Arc::new(Source {
            name: name.into(),
            text: text.into(),
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// `file:line:col` of a byte offset.
    pub fn location(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.name)
    }

    fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line - 1).unwrap_or("")
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One error with where it happened and, when idgate can guess, what was meant.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    /// Boxed so a `Result<_, Diagnostic>` stays small.
    pub location: Option<Box<Location>>,
    pub help: Option<String>,
}

/// The place a diagnostic points at.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub source_line: String,
    /// Width of the caret underline, in characters.
    pub width: usize,
    pub label: String,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            help: None,
        }
    }

    /// A diagnostic pointing at `span` (byte offsets) of `source`.
    pub fn at(source: &Source, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, col) = source.line_col(span.start);
        let source_line = source.line_text(line).to_string();
        let start = floor_char_boundary(&source.text, span.start.min(source.text.len()));
        let end = floor_char_boundary(&source.text, span.end.min(source.text.len())).max(start);
        // Underline at most to the end of the first line of the span.
        let width = source.text[start..end]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count().max(1));
        Diagnostic {
            message: message.into(),
            location: Some(Box::new(Location {
                file: source.name.clone(),
                line,
                col,
                source_line,
                width,
                label: String::new(),
            })),
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        if let Some(loc) = &mut self.location {
            loc.label = label.into();
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col`, when known.
    pub fn position(&self) -> Option<String> {
        self.location
            .as_ref()
            .map(|l| format!("{}:{}:{}", l.file, l.line, l.col))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if let Some(loc) = &self.location {
            let num = loc.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad}--> {}:{}:{}", loc.file, loc.line, loc.col)?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {}", loc.source_line)?;
            let lead: String = loc
                .source_line
                .chars()
                .take(loc.col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{pad} | {lead}{}", "^".repeat(loc.width))?;
            if !loc.label.is_empty() {
                write!(f, " {}", loc.label)?;
            }
            writeln!(f)?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The closest candidate to `word`, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or a list of what is allowed.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    match suggest(word, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if candidates.len() <= 12 => format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("{} possible values; none is close", candidates.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_caret_and_help() {
        let src = Source::new("s.toml", "name = \"x\"\nchek = 1\n");
        let d = Diagnostic::at(&src, 11..15, "unknown field `chek`")
            .with_label("not a field of a step")
            .with_help("did you mean `check`?");
        let text = d.to_string();
        assert!(text.contains("--> s.toml:2:1"), "{text}");
        assert!(text.contains("2 | chek = 1"), "{text}");
        assert!(text.contains("  | ^^^^ not a field"), "{text}");
        assert!(text.contains("help: did you mean `check`?"), "{text}");
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(suggest("chek", ["check", "status"]), Some("check"));
        assert_eq!(suggest("zzzz", ["check", "status"]), None);
    }
}
