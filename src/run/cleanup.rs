//! Cleanup: delete exactly what the ledger says a run created, and check that it is gone.
//! Creates whose answer never came are found by the unique name they carried; nothing else
//! on the target is ever touched.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::http::{Client as HttpClient, Credential, Request};
use crate::ledger::{Entry, Ledger};
use crate::result::CleanupResult;
use crate::scim::wire;

use crate::pace::Pace;

/// Delete what the ledger holds for `base` (only entries of `created_by`, when given).
pub async fn cleanup(
    scim: &HttpClient,
    ledger: &Mutex<Ledger>,
    base: &str,
    created_by: Option<&str>,
) -> Vec<CleanupResult> {
    cleanup_paced(scim, ledger, base, created_by, 1, None, None).await
}

/// Timeouts in a row after which cleanup stops sending: a target that stopped answering would
/// cost every later DELETE its whole timeout. What is left stays in the ledger.
const TIMEOUTS_IN_A_ROW: usize = 5;

/// As [`cleanup`], `concurrency` deletes at a time, each waiting for its turn at `pace` when
/// given: a load run's thousands of resources go at the rate the run was allowed, and what a
/// stop cuts short stays in the ledger for `idgate cleanup` to resume.
pub async fn cleanup_paced(
    scim: &HttpClient,
    ledger: &Mutex<Ledger>,
    base: &str,
    created_by: Option<&str>,
    concurrency: usize,
    pace: Option<&Pace>,
    progress: Option<&(dyn Fn(&CleanupResult) + Sync)>,
) -> Vec<CleanupResult> {
    let mut out = Vec::new();
    resolve_intents(scim, ledger, base, created_by, &mut out).await;
    let pending: Vec<Entry> = ledger
        .lock()
        .await
        .pending(base)
        .into_iter()
        .filter(|e| created_by.is_none_or(|c| e.created_by.starts_with(&format!("{c} › "))))
        .collect();
    // Groups first: deleting a user still in a group makes some servers rewrite the group.
    let (groups, users): (Vec<Entry>, Vec<Entry>) =
        pending.into_iter().partition(|e| e.kind == "Groups");
    let timeouts = AtomicUsize::new(0);
    for batch in [groups, users] {
        let done: Vec<CleanupResult> = stream::iter(batch)
            .map(|e| {
                let timeouts = &timeouts;
                async move {
                    if timeouts.load(Ordering::Relaxed) >= TIMEOUTS_IN_A_ROW {
                        return CleanupResult {
                            kind: e.kind,
                            id: e.id,
                            outcome: "failed".into(),
                            detail: Some(format!(
                                "not sent: {TIMEOUTS_IN_A_ROW} requests in a row got no answer in time; it stays in the ledger for `idgate cleanup`"
                            )),
                        };
                    }
                    if let Some(p) = pace {
                        p.wait().await;
                    }
                    let (r, timed_out) = delete_one(scim, ledger, base, e).await;
                    if timed_out {
                        timeouts.fetch_add(1, Ordering::Relaxed);
                    } else {
                        timeouts.store(0, Ordering::Relaxed);
                    }
                    if let Some(report) = progress {
                        report(&r);
                    }
                    r
                }
            })
            .buffered(concurrency.max(1))
            .collect()
            .await;
        out.extend(done);
    }
    out
}

/// DELETE one resource the ledger holds and check that it is gone; only what is known to be
/// gone leaves the ledger, the rest stays for `idgate cleanup`. Also whether it timed out.
async fn delete_one(
    scim: &HttpClient,
    ledger: &Mutex<Ledger>,
    base: &str,
    e: Entry,
) -> (CleanupResult, bool) {
    let req = Request {
        method: "DELETE".into(),
        path: format!("/{}/{}", e.kind, wire::encode_path_value(&e.id)),
        headers: Vec::new(),
        body: None,
        auth: Credential::Bearer,
    };
    let sent = scim.send(&req).await;
    let timed_out = matches!(sent, Err(crate::http::TransportError::Timeout { .. }));
    let (outcome, detail) = match sent {
        Ok(x) if (200..300).contains(&x.response.status) => {
            verify_gone(scim, &req.path, x.response.status).await
        }
        Ok(x) if x.response.status == 404 => ("already-gone", None),
        Ok(x) => (
            "failed",
            Some(format!("DELETE answered {}", x.response.status)),
        ),
        Err(err) => ("failed", Some(err.to_string())),
    };
    if outcome == "deleted" || outcome == "already-gone" {
        ledger.lock().await.deleted(base, &e.kind, &e.id);
    }
    (
        CleanupResult {
            kind: e.kind,
            id: e.id,
            outcome: outcome.into(),
            detail,
        },
        timed_out,
    )
}

/// Creates whose answer never came: each is looked up by the unique name it carried, and what
/// carries exactly that name is journaled as created, so the DELETEs below remove it. A
/// resource without that name is never touched.
async fn resolve_intents(
    scim: &HttpClient,
    ledger: &Mutex<Ledger>,
    base: &str,
    created_by: Option<&str>,
    out: &mut Vec<CleanupResult>,
) {
    let open: Vec<_> = ledger
        .lock()
        .await
        .unsettled(base)
        .into_iter()
        .filter(|i| created_by.is_none_or(|c| i.created_by.starts_with(&format!("{c} › "))))
        .collect();
    for intent in open {
        let attr = if intent.kind == "Groups" {
            "displayName"
        } else {
            "userName"
        };
        let filter = format!("{attr} eq \"{}\"", intent.name.replace('"', "\\\""));
        let query: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        let req = Request {
            method: "GET".into(),
            path: format!("/{}?filter={query}", intent.kind),
            headers: Vec::new(),
            body: None,
            auth: Credential::Bearer,
        };
        let found = match scim.send(&req).await {
            Ok(x) if x.response.status == 200 => serde_json::from_str::<Value>(&x.response.body)
                .ok()
                .and_then(|b| b.get("Resources").and_then(Value::as_array).cloned())
                .unwrap_or_default(),
            Ok(x) => {
                out.push(unresolved(
                    &intent,
                    format!("the lookup answered {}", x.response.status),
                ));
                continue;
            }
            Err(e) => {
                out.push(unresolved(&intent, e.to_string()));
                continue;
            }
        };
        let mut guard = ledger.lock().await;
        for r in &found {
            let named = r.get(attr).and_then(Value::as_str);
            let id = crate::ledger::resource_id(r);
            if let (Some(named), Some(id)) = (named, id)
                && named.eq_ignore_ascii_case(&intent.name)
                && !guard.is_tracked(base, &intent.kind, &id)
            {
                guard.created(Entry {
                    target: base.to_string(),
                    kind: intent.kind.clone(),
                    id,
                    created_by: format!(
                        "{} (found by its name after an unanswered create)",
                        intent.created_by
                    ),
                });
            }
        }
        guard.settle(&intent.intent);
    }
}

fn unresolved(intent: &crate::ledger::Intent, why: String) -> CleanupResult {
    CleanupResult {
        kind: intent.kind.clone(),
        id: format!("(name {})", intent.name),
        outcome: "failed".into(),
        detail: Some(format!(
            "a create whose answer never came could not be looked up: {why}"
        )),
    }
}

/// After a DELETE answered `status`, a GET of the same path must answer 404 (or 410): a
/// server that says 204 and keeps the resource has not cleaned up (RFC 7644 §3.6: "MUST return
/// a 404 (Not Found) error code for all operations associated with the previously deleted
/// resource").
async fn verify_gone(scim: &HttpClient, path: &str, status: u16) -> (&'static str, Option<String>) {
    let get = Request {
        method: "GET".into(),
        path: path.to_string(),
        headers: Vec::new(),
        body: None,
        auth: Credential::Bearer,
    };
    match scim.send(&get).await {
        Ok(x) if matches!(x.response.status, 404 | 410) => ("deleted", None),
        Ok(x) => (
            "survived",
            Some(format!(
                "DELETE answered {status}, but a GET still answers {}: the resource is still on the target",
                x.response.status
            )),
        ),
        Err(err) => (
            "survived",
            Some(format!(
                "DELETE answered {status}, but the GET that checks it failed: {err}"
            )),
        ),
    }
}
