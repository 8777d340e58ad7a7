//! A real SAML SP the peer tests run against: the one `.ci/run` started (its base URL
//! exported as `<ENV>_URL`), or one started here with its `.ci/peers/<script>` on a free
//! loopback port, trusting idgate's IdP metadata, and stopped when dropped.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use idgate::saml::IdpKey;

pub struct SamlPeer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    script: PathBuf,
    /// Set when this test started the SP and must stop it.
    dir: Option<PathBuf>,
}

impl Drop for SamlPeer {
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

impl SamlPeer {
    /// `name` is what a skip says and `install` how to get what it needs; `script` is under
    /// `.ci/peers/`, `dir` under `target/peers/`. `None` (the test skipped, or failed under
    /// `CI`) where it cannot start.
    pub fn start(
        name: &str,
        script: &str,
        dir: &str,
        env: &str,
        idp: &IdpKey,
        install: &str,
    ) -> Option<SamlPeer> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let script = root.join(".ci/peers").join(script);
        if let Ok(base) = std::env::var(format!("{env}_URL")) {
            return Some(SamlPeer {
                base,
                script,
                dir: None,
            });
        }
        let dir = root.join("target/peers").join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let metadata = dir.join("idp-metadata.xml");
        let md = idgate::saml::metadata::idp_metadata(
            idgate::saml::DEFAULT_ENTITY_ID,
            idgate::saml::DEFAULT_SIGN_IN_URL,
            idp,
            "_idgate-md",
        );
        std::fs::write(&metadata, md).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new("bash")
            .arg(&script)
            .args([
                "start",
                dir.to_str().unwrap(),
                &port.to_string(),
                metadata.to_str().unwrap(),
            ])
            .output()
            .expect("bash runs");
        if !out.status.success() {
            common::skip(
                &format!(
                    "the {name} SP peer, which did not start: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                install,
            );
            return None;
        }
        Some(SamlPeer {
            base: format!("http://127.0.0.1:{port}"),
            script,
            dir: Some(dir),
        })
    }
}
