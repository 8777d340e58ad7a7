//! Cursor paging (RFC 9865): a list asked for with `cursor` is walked by opaque cursors
//! instead of `startIndex`. This server's cursors are the offset of the next result,
//! `o` and decimal digits, so they hold only unreserved URL characters (§2) and need no
//! state; anything else is a cursor it never issued.

use axum::http::StatusCode;
use serde_json::Value;

use super::App;
use super::error::ScimError;
use super::list_response;
use crate::fault::Fault;

/// How long a cursor stays good, as advertised (RFC 9865 §4 `cursorTimeout`). These never
/// expire; the figure is what a client may rely on.
pub const TIMEOUT_SECONDS: u64 = 3600;

/// Where the page that `cursor` names starts: empty is the first page (§2).
pub fn offset(app: &App, cursor: &str) -> Result<usize, ScimError> {
    if cursor.is_empty() {
        return Ok(0);
    }
    match cursor.strip_prefix('o').and_then(|n| n.parse().ok()) {
        Some(offset) => Ok(offset),
        None if app.fault(Fault::CursorForgedAccepted) => Ok(0),
        None => Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidCursor"),
            format!("`{cursor}` is not a cursor this server issued"),
        )),
    }
}

/// The ListResponse of one cursor page: `nextCursor` while more follow, `previousCursor`
/// after the first page, and no `startIndex`, which belongs to index paging.
pub fn page(app: &App, page: Vec<Value>, total: usize, offset: usize, count: usize) -> Value {
    let shown = page.len();
    let mut body = list_response(page, total, 1, &app.faults);
    let obj = body.as_object_mut().expect("a ListResponse is an object");
    obj.remove("startIndex");
    let next = match app.fault(Fault::CursorRepeatsPage) {
        true => offset,
        false => offset + shown,
    };
    if offset + shown < total || app.fault(Fault::CursorNextOnLastPage) {
        obj.insert("nextCursor".into(), format!("o{next}").into());
    }
    if offset > 0 || app.fault(Fault::CursorPreviousOnFirstPage) {
        let previous = offset.saturating_sub(count.max(1));
        obj.insert("previousCursor".into(), format!("o{previous}").into());
    }
    body
}
