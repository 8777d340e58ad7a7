//! The load report a person reads: one self-contained HTML page (the compliance report's
//! stylesheet inlined, nothing fetched) with the verdict, each requirement with its evidence
//! and source, the figures per request kind, and the latency and throughput over time drawn
//! as inline SVG.

use std::fmt::Write;

use super::html::{CSS, escape};
use crate::load::LoadResult;
use crate::load::stats::TimePoint;
use crate::result::Outcome;

macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

pub fn render(r: &LoadResult) -> String {
    let mut o = String::with_capacity(64 * 1024);
    put!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>idgate load: {}</title><style>{CSS}{EXTRA}</style></head><body><main>",
        escape(&r.target)
    );
    put!(o, "<p class=\"brand\">idgate load report</p>");
    put!(
        o,
        "<h1>Entra's first cycle against {}</h1>",
        escape(&r.target)
    );
    let s = &r.spec;
    put!(o, "<dl class=\"facts\">");
    for (k, v) in [
        ("Target", format!("{} ({})", r.target, r.target_kind)),
        ("Client", s.client.clone()),
        (
            "Tenant",
            format!(
                "{} users, {} groups, {} members each (share {})",
                s.users, s.groups, s.members_per_group, s.partition
            ),
        ),
        (
            "Pace",
            format!(
                "{} in flight{}, {} member(s) per PATCH",
                s.concurrency,
                s.rate
                    .map(|r| format!(", at most {r} a second"))
                    .unwrap_or_default(),
                s.member_batch
            ),
        ),
        ("Started", r.started_at.clone()),
        ("Finished", r.finished_at.clone()),
        ("Run", r.run_id.clone()),
        ("idgate", r.idgate_version.clone()),
    ] {
        put!(o, "<div><dt>{k}</dt><dd>{}</dd></div>", escape(&v));
    }
    put!(o, "</dl>");

    let (class, word) = match r.verdict.as_str() {
        "pass" => ("v-pass", "PASS"),
        "fail" => ("v-fail", "FAIL"),
        "interrupted" => ("v-interrupted", "STOPPED"),
        _ => ("v-error", "ERROR"),
    };
    let failed = r
        .requirements
        .iter()
        .filter(|q| q.outcome == Outcome::Fail)
        .count();
    put!(
        o,
        "<section class=\"verdict {class}\"><p class=\"word\">{word}</p><div><p class=\"headline\">{}</p><p>{}</p></div></section>",
        escape(&format!(
            "{} of {} requirements failed; {:.1} requests a second, {} of {} requests not answered 2xx",
            failed,
            r.requirements.len(),
            r.summary.per_second,
            r.summary.failed,
            r.summary.requests
        )),
        escape(&r.estimate.text)
    );
    if let Some(why) = &r.gave_up {
        put!(o, "<p class=\"warning\">Stopped early: {}</p>", escape(why));
    }

    put!(
        o,
        "<h2>Requirements</h2><div class=\"scroll\"><table><thead><tr><th>Requirement</th><th>Outcome</th><th>Evidence</th><th>Rule</th></tr></thead><tbody>"
    );
    for q in &r.requirements {
        let (cell, text) = match q.outcome {
            Outcome::Pass => ("s-pass", "pass"),
            Outcome::Skip => ("s-skip", "skip"),
            _ => ("s-fail", "fail"),
        };
        put!(
            o,
            "<tr><td><span class=\"title\">{}</span><br><code>{}</code></td><td class=\"cell {cell}\">{text}</td><td>{}</td><td class=\"small muted\">{} <a href=\"{}\">source</a></td></tr>",
            escape(&q.title),
            escape(&q.id),
            escape(&q.evidence),
            escape(&q.rule),
            escape(&q.source)
        );
    }
    put!(o, "</tbody></table></div>");

    put!(o, "<h2>Over time</h2>");
    put!(o, "{}", latency_plot(&r.summary.timeline));
    put!(o, "{}", throughput_plot(&r.summary.timeline));

    put!(
        o,
        "<h2>Per request kind</h2><div class=\"scroll\"><table><thead><tr><th>Kind</th><th class=\"num\">Requests</th><th class=\"num\">p50 ms</th><th class=\"num\">p95 ms</th><th class=\"num\">p99 ms</th><th class=\"num\">max ms</th><th>Answers</th></tr></thead><tbody>"
    );
    for k in &r.summary.kinds {
        let answers: Vec<String> = k
            .answers
            .iter()
            .map(|(a, n)| format!("{n} × {a}"))
            .collect();
        put!(
            o,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td>{}</td></tr>",
            escape(&k.kind),
            k.requests,
            k.p50_ms,
            k.p95_ms,
            k.p99_ms,
            k.max_ms,
            escape(&answers.join(", "))
        );
    }
    put!(o, "</tbody></table></div>");
    let t = &r.summary.throttled;
    let e = &r.events;
    put!(
        o,
        "<h2>Events, throttling and cleanup</h2><dl class=\"facts\">\
         <div><dt>Events</dt><dd>{} succeeded, {} failed, {} reference failures (as Entra counts them for quarantine)</dd></div>\
         <div><dt>429s honoured</dt><dd>{} (waited {:.1} s in all, longest Retry-After {:.0} s)</dd></div>\
         <div><dt>Cleanup</dt><dd>{} deleted, {} already gone, {} left behind</dd></div>\
         <div><dt>Estimate source</dt><dd><a href=\"{}\">Microsoft Learn</a></dd></div></dl>",
        e.succeeded,
        e.failed,
        e.reference_failed,
        t.answers_429,
        t.waited_s,
        t.longest_retry_after_s,
        r.cleanup.deleted,
        r.cleanup.already_gone,
        r.cleanup.left_behind.len(),
        escape(&r.estimate.source)
    );
    if !r.cleanup.left_behind.is_empty() {
        put!(o, "<ul>");
        for c in &r.cleanup.left_behind {
            put!(
                o,
                "<li><code>{}/{}</code> {}: {}</li>",
                escape(&c.kind),
                escape(&c.id),
                escape(&c.outcome),
                escape(c.detail.as_deref().unwrap_or(""))
            );
        }
        put!(o, "</ul>");
    }
    put!(o, "</main></body></html>");
    o
}

const EXTRA: &str = ".plot{display:block;max-width:100%;height:auto;margin:6px 0 18px}\
.plot text{font:11px system-ui,sans-serif;fill:#59636e}.plot .axis{stroke:#d1d9e0}\
.plot .p50{stroke:#0550ae;fill:none;stroke-width:1.5}.plot .p99{stroke:#953800;fill:none;stroke-width:1.5}\
.plot .ok{fill:#8ecae6}.plot .bad{fill:#a40e26}.s-skip{color:var(--skip);background:var(--skip-bg)}";

const W: f64 = 900.0;
const H: f64 = 200.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 24.0;

fn x_of(t: &TimePoint, end: f64) -> f64 {
    LEFT + (t.at_s / end.max(f64::MIN_POSITIVE)) * (W - LEFT - 10.0)
}

fn axes(o: &mut String, top_label: &str, end: f64) {
    put!(
        o,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"10\" x2=\"{LEFT}\" y2=\"{}\"/><line class=\"axis\" x1=\"{LEFT}\" y1=\"{}\" x2=\"{W}\" y2=\"{}\"/>",
        H - BOTTOM,
        H - BOTTOM,
        H - BOTTOM
    );
    put!(
        o,
        "<text x=\"4\" y=\"16\">{}</text><text x=\"{LEFT}\" y=\"{}\">0 s</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{end:.1} s</text>",
        escape(top_label),
        H - 6.0,
        W - 10.0,
        H - 6.0
    );
}

/// p50 and p99 latency over the run, one point per timeline slot.
fn latency_plot(points: &[TimePoint]) -> String {
    let mut o = String::new();
    let end = points.last().map_or(1.0, |p| p.at_s + p.width_s);
    let top = points
        .iter()
        .map(|p| p.p99_ms)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    put!(
        o,
        "<svg class=\"plot\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"latency over time\"><title>Latency over time: p50 (blue) and p99 (orange), ms</title>"
    );
    axes(&mut o, &format!("{top:.0} ms"), end);
    let y = |v: f64| 10.0 + (1.0 - v / top) * (H - BOTTOM - 10.0);
    for (class, pick) in [
        ("p99", (|p: &TimePoint| p.p99_ms) as fn(&TimePoint) -> f64),
        ("p50", |p: &TimePoint| p.p50_ms),
    ] {
        // Each point at the middle of the time it covers.
        let half = (W - LEFT - 10.0) / points.len().max(1) as f64 / 2.0;
        let line: Vec<String> = points
            .iter()
            .filter(|p| p.requests > 0)
            .map(|p| format!("{:.1},{:.1}", x_of(p, end) + half, y(pick(p))))
            .collect();
        put!(
            o,
            "<polyline class=\"{class}\" points=\"{}\"/>",
            line.join(" ")
        );
    }
    put!(
        o,
        "<text x=\"{}\" y=\"16\" text-anchor=\"end\">p50 blue, p99 orange</text></svg>",
        W - 10.0
    );
    o
}

/// Requests a second over the run, the failed share in red.
fn throughput_plot(points: &[TimePoint]) -> String {
    let mut o = String::new();
    let end = points.last().map_or(1.0, |p| p.at_s + p.width_s);
    let rate = |n: u64, p: &TimePoint| n as f64 / p.width_s.max(f64::MIN_POSITIVE);
    let top = points
        .iter()
        .map(|p| rate(p.requests, p))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    put!(
        o,
        "<svg class=\"plot\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"requests a second over time\"><title>Requests a second over time; failures in red</title>"
    );
    axes(&mut o, &format!("{top:.0}/s"), end);
    let scale = |v: f64| v / top * (H - BOTTOM - 10.0);
    let bar = (W - LEFT - 10.0) / points.len().max(1) as f64;
    for p in points {
        let x = x_of(p, end);
        let all = scale(rate(p.requests, p));
        let bad = scale(rate(p.failures, p));
        put!(
            o,
            "<rect class=\"ok\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{all:.1}\"/>",
            H - BOTTOM - all,
            (bar - 1.0).max(0.5)
        );
        if bad > 0.0 {
            put!(
                o,
                "<rect class=\"bad\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bad:.1}\"/>",
                H - BOTTOM - bad,
                (bar - 1.0).max(0.5)
            );
        }
    }
    put!(o, "</svg>");
    o
}
