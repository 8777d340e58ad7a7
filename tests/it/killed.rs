//! idgate killed with SIGKILL at many points of a run, through a slow proxy, against the
//! reference target: whatever the moment, `idgate cleanup` leaves no resource of the run, and
//! the resources that were there before are byte for byte as they were.
//!
//! The proxy holds back the answer to the request it is told to trap, so the kill lands after
//! the server acted (a create made, a member added, a delete done) and before idgate heard of
//! it: the moment a journal written after the answer would miss.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::direct::Direct;
use crate::common::text;

const TOKEN: &str = "killed-test-token";
/// Every answer is this late, as through a slow network.
const DELAY: Duration = Duration::from_millis(15);

/// Which request's answer to hold back: the `nth` (from 1) with this method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Trap {
    method: &'static str,
    nth: usize,
}

#[derive(Default)]
struct ProxyState {
    /// Requests seen per method since the last reset.
    seen: BTreeMap<String, usize>,
    trap: Option<Trap>,
    /// The trapped request's answer came from the server and was held back.
    sprung: bool,
}

/// A TCP proxy to the reference target that delays every answer by [`DELAY`] and holds back
/// the answer to the trapped request for good.
struct SlowProxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
}

impl SlowProxy {
    async fn start(upstream: SocketAddr) -> SlowProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, Arc::clone(&shared)));
            }
        });
        SlowProxy { addr, state }
    }

    fn reset(&self, trap: Option<Trap>) -> BTreeMap<String, usize> {
        let mut s = self.state.lock().unwrap();
        let seen = std::mem::take(&mut s.seen);
        *s = ProxyState {
            trap,
            ..ProxyState::default()
        };
        seen
    }

    fn sprung(&self) -> bool {
        self.state.lock().unwrap().sprung
    }
}

/// The method of an HTTP/1.1 request whose head starts this chunk, if one does.
fn request_method(chunk: &[u8]) -> Option<&'static str> {
    ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .find(|m| chunk.starts_with(format!("{m} /").as_bytes()))
}

async fn relay(client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<ProxyState>>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let armed = Arc::new(AtomicBool::new(false));
    let arming = Arc::clone(&armed);
    let counting = Arc::clone(&state);
    let requests = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(method) = request_method(&buf[..n]) {
                let mut s = counting.lock().unwrap();
                let count = s.seen.entry(method.to_string()).or_default();
                *count += 1;
                let nth = *count;
                // Armed before the request leaves, so its answer is the one held back.
                if s.trap == Some(Trap { method, nth }) {
                    arming.store(true, Ordering::SeqCst);
                }
            }
            if to_server.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from_server.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if armed.load(Ordering::SeqCst) {
            state.lock().unwrap().sprung = true;
            // The connection stays open and silent: idgate waits until it is killed.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(DELAY).await;
        if to_client.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    requests.abort();
}

/// `idgate run` of the Entra suite through the proxy, in `dir` (its ledger in `dir/reports`).
fn spawn_run(base: &str, dir: &std::path::Path) -> Child {
    crate::common::spawn(
        &[
            "run",
            "--scim-url",
            base,
            "--client",
            "entra",
            "--timeout",
            "20",
        ],
        &[("IDGATE_SCIM_TOKEN", TOKEN)],
        dir,
        false,
    )
}

/// Resources that were on the target before idgate came: someone else's user, one whose name
/// looks like idgate's own, and a group holding them both.
async fn seed(target: &Direct) {
    let alice = target.foreign_user("alice@corp.example").await;
    let lookalike = target.foreign_user("idgate-lookalike@example.com").await;
    target
        .create(
            "/Groups",
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Corp Admins",
                "members": [{"value": alice}, {"value": lookalike}]
            }),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_at_any_point_the_run_is_cleaned_up_and_nothing_else_is_touched() {
    let target = Direct::start(TOKEN).await;
    seed(&target).await;
    let before = target.everything().await;
    assert_eq!(before.len(), 3);
    let upstream: SocketAddr = reqwest::Url::parse(target.base())
        .unwrap()
        .socket_addrs(|| None)
        .unwrap()[0];
    let proxy = SlowProxy::start(upstream).await;
    let path = reqwest::Url::parse(target.base())
        .unwrap()
        .path()
        .to_string();
    let base = format!("http://{}{path}", proxy.addr);

    // A whole run first, to learn how many requests of each kind it sends.
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_run(&base, dir.path());
    let whole = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(
        whole.code(),
        Some(0),
        "a whole run through the proxy passes"
    );
    let sent = proxy.reset(None);
    assert_eq!(target.everything().await, before);

    // Every create, and a spread of member changes and deletes (a scenario's own and the
    // cleanup's at its end).
    let mut traps: Vec<Trap> = Vec::new();
    let spread = |method: &'static str, every: usize| {
        let n = sent.get(method).copied().unwrap_or(0);
        (1..=n)
            .filter(move |i| (i - 1) % every == 0 || *i == n)
            .map(move |nth| Trap { method, nth })
    };
    traps.extend(spread("POST", 1));
    traps.extend(spread("PATCH", 5));
    traps.extend(spread("DELETE", 4));
    assert!(
        sent.get("POST").copied().unwrap_or(0) >= 10 && traps.len() >= 15,
        "the run sends too little to test: {sent:?}"
    );

    let mut failures = Vec::new();
    for trap in traps {
        proxy.reset(Some(trap));
        let dir = tempfile::tempdir().unwrap();
        let mut child = spawn_run(&base, dir.path());
        let sprung = loop {
            if proxy.sprung() {
                child.kill().unwrap();
                child.wait().unwrap();
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert!(sprung, "{trap:?} was never sent (sent in all: {sent:?})");
        proxy.reset(None);
        let cleanup = crate::common::idgate_async(
            &["cleanup", "--scim-url", &base],
            &[("IDGATE_SCIM_TOKEN", TOKEN)],
            dir.path(),
        )
        .await;
        let after = target.everything().await;
        if cleanup.status.code() != Some(0) || after != before {
            let left: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
            let changed: Vec<&String> = before
                .keys()
                .filter(|k| after.get(*k) != before.get(*k))
                .collect();
            failures.push(format!(
                "killed at {} #{}: cleanup exited {:?}; left behind {left:?}; foreign changed {changed:?}\n{}",
                trap.method,
                trap.nth,
                cleanup.status.code(),
                text(&cleanup)
            ));
            // The next point starts from the state before.
            for k in left {
                target.delete(&format!("/{k}")).await;
            }
        }
    }
    target.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
