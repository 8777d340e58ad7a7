//! The evidence of one failure: where the expectation is written, expected
//! versus actual (as a line diff when they are worth diffing), a curl line
//! that sends the request again, and the exchange it judged.

use std::fmt::Write;

use super::human::{bytes, reason};
use super::{Found, Page, escape};
use crate::diff::{self, Line};
use crate::http::Exchange;
use crate::http::curl_line;
use crate::redact::is_secret_header;
use crate::result::{CheckResult, StepResult};

/// Lines of expected times lines of actual past which they are not aligned
/// but shown all removed then all added, so a huge value cannot stall the report.
const ALIGN_LIMIT: usize = 400 * 400;

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
        let location = c.location.as_ref().unwrap_or(&f.step.location);
        let builtin = if c.location.is_none() {
            " <span class=\"muted\">(a builtin check, applied to this step's response)</span>"
        } else {
            ""
        };
        out.push_str("<table class=\"ea\">\n");
        put!(
            out,
            "<tr><th scope=\"row\">Location</th><td><code>{}</code>{builtin}</td></tr>\n",
            self.t(&location.to_string())
        );
        if !location.source.is_empty() {
            put!(
                out,
                "<tr><th scope=\"row\">As written</th><td><pre class=\"val\">{}</pre></td></tr>\n",
                self.t(&location.quote())
            );
        }
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
            for line in diff::collapse(&diff::lines(&old, &new, ALIGN_LIMIT)) {
                match line {
                    Line::Same(s) => put!(out, "<span class=\"same\">  {}</span>", escape(s)),
                    Line::Removed(s) => put!(out, "<span class=\"del\">- {}</span>", escape(s)),
                    Line::Added(s) => put!(out, "<span class=\"add\">+ {}</span>", escape(s)),
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
        let d = diff::lines(&e, &a, ALIGN_LIMIT);
        assert!(
            d.contains(&Line::Removed(r#"  "familyName": "Lee""#)),
            "{d:?}"
        );
        assert!(d.contains(&Line::Same(r#"  "givenName": "Ann","#)), "{d:?}");
        assert!(diffable("status 200", "status 404").is_none());
    }
}
