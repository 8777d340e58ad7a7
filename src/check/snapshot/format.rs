//! insta's `.snap` file format: a YAML header between `---` lines (for
//! people and `cargo insta review`, never compared), then the body.

use std::io;
use std::path::Path;

use super::redact::Volatile;
use super::{Subject, display};
use crate::http::Exchange;

/// The YAML header: for people and `cargo insta review`, never compared.
pub(super) struct Header {
    source: String,
    description: String,
    /// The request, `GET /Users/{{id}}`; the check redacts secrets from it.
    pub(super) expression: String,
}

impl Header {
    /// The header of `subject`'s snapshot of `exchange`, run values named.
    pub(super) fn of(subject: &Subject<'_>, exchange: &Exchange, volatile: &Volatile) -> Header {
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

/// Writes `content` under `header` to `path`, creating its folder.
pub(super) fn write(path: &Path, header: &Header, content: &str) -> io::Result<()> {
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
    /// `key: value` lines of the header, in file order, quotes removed.
    pub header: Vec<(String, String)>,
    /// The body, the only part that is compared.
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
