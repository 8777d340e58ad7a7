//! The evidence of one failure: where the expectation is written, expected
//! versus actual (as a line diff when they are worth diffing), a curl line
//! that sends the request again, and the exchange it judged.

use std::fmt::Write;

use super::human::{bytes, reason};
use super::{Found, Page, escape};
use crate::redact::is_secret_header;
use crate::result::{CheckResult, StepResult};
use crate::scim::Exchange;
use crate::scim::http::curl_line;

impl Page<'_> {
    /// One failure; `also` names other clients that failed the same way
    /// at the same place (their requests differ only in ids).
    pub(super) fn problem(&self, out: &mut String, n: usize, f: &Found<'_>, also: &[&str]) {
        let c = f.check;
        let word = c.outcome.as_str();
        let mut who = vec![format!("<strong>{}</strong>", self.t(&f.scenario.client))];
        who.extend(
            also.iter()
                .map(|a| format!("<strong>{}</strong>", self.t(a))),
        );
        put!(
            out,
            "<article class=\"problem\" id=\"problem-{n}\">\n<p class=\"where\"><span class=\"badge s-{word}\">{word}</span> {} · scenario <strong>{}</strong> · step “{}”</p>\n",
            who.join(" and "),
            self.t(&f.scenario.name),
            self.t(&f.step.name)
        );
        let location = c.location.as_deref().unwrap_or(&f.step.location);
        let builtin = if c.location.is_none() {
            " <span class=\"muted\">(a builtin check, applied to this step's response)</span>"
        } else {
            ""
        };
        out.push_str("<table class=\"ea\">\n");
        put!(
            out,
            "<tr><th scope=\"row\">Location</th><td><code>{}</code>{builtin}</td></tr>\n",
            self.t(location)
        );
        if let Some(e) = &c.expected {
            put!(
                out,
                "<tr><th scope=\"row\">Expected</th><td><pre class=\"val exp\">{}</pre></td></tr>\n",
                self.t(e)
            );
        }
        if let Some(a) = &c.actual {
            put!(
                out,
                "<tr><th scope=\"row\">Actual</th><td><pre class=\"val act\">{}</pre></td></tr>\n",
                self.t(a)
            );
        }
        if let Some(m) = &c.message {
            put!(
                out,
                "<tr><th scope=\"row\">Note</th><td>{}</td></tr>\n",
                self.t(m)
            );
        }
        if f.step.status == crate::result::StepStatus::Error
            && let Some(r) = &f.step.reason
            && c.message.as_ref() != Some(r)
        {
            put!(
                out,
                "<tr><th scope=\"row\">Step error</th><td>{}</td></tr>\n",
                self.t(r)
            );
        }
        out.push_str("</table>\n");
        if let (Some(e), Some(a)) = (&c.expected, &c.actual)
            && let Some((old, new)) = diffable(&self.redactor.apply(e), &self.redactor.apply(a))
        {
            out.push_str("<div class=\"diff\"><p class=\"small\"><span class=\"del-key\">− expected</span> <span class=\"add-key\">+ actual</span></p><pre>");
            // Each line is a block of its own, so no newline between them.
            for line in collapse(&line_diff(&old, &new)) {
                match line {
                    Line::Same(s) => put!(out, "<span class=\"same\">  {}</span>", escape(s)),
                    Line::Del(s) => put!(out, "<span class=\"del\">- {}</span>", escape(s)),
                    Line::Add(s) => put!(out, "<span class=\"add\">+ {}</span>", escape(s)),
                    Line::Gap(k) => {
                        put!(out, "<span class=\"gap\">  … {k} unchanged lines</span>")
                    }
                }
            }
            out.push_str("</pre></div>\n");
        }
        if let Some(curl) = &c.curl {
            put!(
                out,
                "<div class=\"repro\"><p class=\"small\">Reproduce{}</p><pre class=\"curl\">{}</pre></div>\n",
                if also.is_empty() {
                    String::new()
                } else {
                    format!(" ({}'s request)", self.t(&f.scenario.client))
                },
                self.t(curl)
            );
        }
        if let Some(x) = exchange_of(f.step, c) {
            self.exchange(out, x);
        }
        out.push_str("</article>\n");
    }

    /// The response a check judged, folded: status, headers and bodies.
    fn exchange(&self, out: &mut String, x: &Exchange) {
        let r = &x.response;
        let size = r.body.len();
        put!(
            out,
            "<details class=\"exchange\"><summary>Response: <strong>{} {}</strong> · {} · {} ms</summary>\n",
            r.status,
            reason(r.status),
            bytes(size),
            x.millis
        );
        if !x.throttled.is_empty() {
            let waits: Vec<String> = x
                .throttled
                .iter()
                .map(|(s, secs)| format!("{s} then waited {secs}s"))
                .collect();
            put!(
                out,
                "<p class=\"small\">Throttled before this answer: {}</p>\n",
                escape(&waits.join("; "))
            );
        }
        put!(
            out,
            "<p class=\"small\">Request: <code>{} {}</code></p>\n",
            self.t(&x.request.method),
            self.t(&x.request.url)
        );
        if let Some(body) = &x.request.body {
            put!(
                out,
                "<p class=\"small\">Request body</p><pre class=\"body\">{}</pre>\n",
                self.t(&excerpt(&pretty(body), BODY_LIMIT))
            );
        }
        out.push_str("<p class=\"small\">Response headers</p><pre class=\"body\">");
        for (name, value) in &r.headers {
            let value = if is_secret_header(name) { "***" } else { value };
            put!(out, "{}: {}\n", self.t(name), self.t(value));
        }
        out.push_str("</pre>\n");
        if r.body.is_empty() {
            out.push_str("<p class=\"small\">Response body: empty</p>\n");
        } else {
            put!(
                out,
                "<p class=\"small\">Response body</p><pre class=\"body\">{}</pre>\n",
                self.t(&excerpt(&pretty(&r.body), BODY_LIMIT))
            );
        }
        out.push_str("</details>\n");
    }
}

/// The exchange a check judged: the one its curl line repeats.
fn exchange_of<'s>(step: &'s StepResult, check: &CheckResult) -> Option<&'s Exchange> {
    let curl = check.curl.as_deref()?;
    let env = curl
        .split("Bearer $")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("IDGATE_SCIM_TOKEN");
    step.exchanges
        .iter()
        .find(|x| curl_line(&x.request, env) == curl)
        .or_else(|| {
            step.exchanges
                .iter()
                .find(|x| curl.contains(&format!("-X {} '{}'", x.request.method, x.request.url)))
        })
}

/// Bytes of a body shown; the JSON report holds the rest.
const BODY_LIMIT: usize = 6000;

/// Pretty-printed when it is JSON, as it came otherwise.
fn pretty(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string())
        }
        _ => body.to_string(),
    }
}

/// The first `max` bytes of `text` (cut at a character), with a count of the rest.
fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… ({} more bytes)", &text[..end], text.len() - end)
}

/// Expected and actual as lines worth diffing: both multi-line, or both
/// carrying a JSON object or array (pretty-printed so the diff is by member).
fn diffable(expected: &str, actual: &str) -> Option<(String, String)> {
    if expected.contains('\n') && actual.contains('\n') {
        return Some((expected.to_string(), actual.to_string()));
    }
    let (e, a) = (json_part(expected)?, json_part(actual)?);
    Some((e, a))
}

/// The JSON object or array a text ends with, pretty-printed: from
/// `/name equals {"a":1}` the object. The words before it are in the
/// expected and actual lines above the diff already.
fn json_part(text: &str) -> Option<String> {
    let start = text.find(['{', '['])?;
    let v: serde_json::Value = serde_json::from_str(text[start..].trim_end()).ok()?;
    if !(v.is_object() || v.is_array()) {
        return None;
    }
    serde_json::to_string_pretty(&v).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line<'t> {
    Same(&'t str),
    Del(&'t str),
    Add(&'t str),
    /// A run of unchanged lines left out.
    Gap(usize),
}

/// A line diff by longest common subsequence; inputs past a few hundred
/// lines are shown as all removed then all added rather than taking time.
fn line_diff<'t>(old: &'t str, new: &'t str) -> Vec<Line<'t>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len() * b.len() > 400 * 400 {
        return a
            .iter()
            .map(|l| Line::Del(l))
            .chain(b.iter().map(|l| Line::Add(l)))
            .collect();
    }
    // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
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
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(Line::Del(a[i]));
            i += 1;
        } else {
            out.push(Line::Add(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Del(l)));
    out.extend(b[j..].iter().map(|l| Line::Add(l)));
    out
}

/// Keeps three unchanged lines around each change and folds the rest.
fn collapse<'t>(lines: &[Line<'t>]) -> Vec<Line<'t>> {
    const CONTEXT: usize = 3;
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

    #[test]
    fn json_values_are_diffed_by_member() {
        let (e, a) = diffable(
            r#"/name equals {"givenName":"Ann","familyName":"Lee"}"#,
            r#"/name is {"givenName":"Ann","familyName":"Li"}"#,
        )
        .expect("both carry JSON");
        let d = line_diff(&e, &a);
        assert!(d.contains(&Line::Del(r#"  "familyName": "Lee""#)), "{d:?}");
        assert!(d.contains(&Line::Same(r#"  "givenName": "Ann","#)), "{d:?}");
        assert!(diffable("status 200", "status 404").is_none());
    }

    #[test]
    fn line_diff_marks_changed_lines() {
        let d = line_diff("a\nb\nc", "a\nB\nc\nd");
        assert_eq!(
            d,
            vec![
                Line::Same("a"),
                Line::Del("b"),
                Line::Add("B"),
                Line::Same("c"),
                Line::Add("d")
            ]
        );
    }

    #[test]
    fn long_unchanged_runs_fold() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        let c = collapse(&line_diff(&old, &new));
        assert_eq!(c.first(), Some(&Line::Gap(7)));
        assert_eq!(c.last(), Some(&Line::Gap(6)));
    }
}
