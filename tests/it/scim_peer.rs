//! A real SCIM server the peer tests run against: the one `.ci/run` started (its URL and
//! token exported as `<ENV>_URL` and `<ENV>_TOKEN`), or one started here with its
//! `.ci/peers/<script>` on a free loopback port and stopped when dropped.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

pub struct ScimPeer {
    pub base: String,
    pub token: String,
    script: PathBuf,
    /// Set when this test started the server and must stop it.
    dir: Option<PathBuf>,
}

impl Drop for ScimPeer {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = Command::new("bash")
                .arg(&self.script)
                .arg("stop")
                .arg(dir)
                .status();
        }
    }
}

impl ScimPeer {
    /// `name` is what a skip says; `script` is under `.ci/peers/`, `dir` under `target/peers/`.
    /// `None` (the test skipped, or failed under `CI`) where it cannot start.
    pub fn start(name: &str, script: &str, dir: &str, env: &str) -> Option<ScimPeer> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let script = root.join(".ci/peers").join(script);
        if let (Ok(base), Ok(token)) = (
            std::env::var(format!("{env}_URL")),
            std::env::var(format!("{env}_TOKEN")),
        ) {
            return Some(ScimPeer {
                base,
                token,
                script,
                dir: None,
            });
        }
        let dir = root.join("target/peers").join(dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let token = format!("peer-{}", uuid::Uuid::new_v4().simple());
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", dir.to_str().unwrap(), &port.to_string(), &token])
            .output()
            .expect("bash runs");
        if !out.status.success() {
            common::skip(
                &format!(
                    "the {name} peer, which did not start: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                "apt-get install python3-venv curl, and reach PyPI (or run .ci/run)",
            );
            return None;
        }
        let base = String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        Some(ScimPeer {
            base,
            token,
            script,
            dir: Some(dir),
        })
    }
}
