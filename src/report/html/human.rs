//! Values as a person reads them: sizes, HTTP reason phrases, times and
//! durations.

/// A body's size: `empty body`, `12 bytes`, `12.3 kB`.
pub(super) fn bytes(n: usize) -> String {
    match n {
        0 => "empty body".into(),
        1 => "1 byte".into(),
        n if n < 10_000 => format!("{n} bytes"),
        n => format!("{:.1} kB", n as f64 / 1000.0),
    }
}

/// The reason phrase of an HTTP status; empty for one not listed.
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// An RFC 3339 stamp, if it is one.
fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// `2026-11-23 11:06:02 UTC` from an RFC 3339 stamp; the stamp itself if it
/// does not parse.
pub(super) fn human_time(text: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    match parse_time(text) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            t.format(&format)
                .map(|s| format!("{s} UTC"))
                .unwrap_or_else(|_| text.to_string())
        }
        None => text.to_string(),
    }
}

/// The time from `start` to `end` (RFC 3339 stamps) in seconds or minutes;
/// `None` when either does not parse or the end is before the start.
pub(super) fn duration(start: &str, end: &str) -> Option<String> {
    let d = parse_time(end)? - parse_time(start)?;
    let ms = d.whole_milliseconds();
    Some(if ms < 0 {
        return None;
    } else if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 120_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min {} s", ms / 60_000, (ms / 1000) % 60)
    })
}
