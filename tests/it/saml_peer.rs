//! A real SAML SP the peer tests run against: the one `.ci/run` started (its base URL
//! exported as `<ENV>_URL`), or one started here with its `.ci/peers/<script>` on a free
//! loopback port, trusting idgate's IdP rotation metadata (its key and the next one), and
//! stopped when dropped.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use idgate::result::{Outcome, ScenarioResult};
use idgate::run::Silent;
use idgate::run::saml::run_battery;
use idgate::saml::Idp;
use idgate::session::SpTarget;

/// idgate's IdP as the peers trust it: the fixture key under the default entity ID.
pub fn peer_idp() -> Idp {
    Idp {
        entity_id: idgate::saml::DEFAULT_ENTITY_ID.into(),
        ..common::fixture_idp()
    }
}

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
        idp: &Idp,
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
        // The rotation metadata, as `.ci/run` gives it (`idgate saml metadata --rotation`): the
        // IdP key and the next one, so the rotation cases play here too.
        let md = idgate::saml::metadata::idp_metadata_keys(
            idgate::saml::DEFAULT_ENTITY_ID,
            idgate::saml::DEFAULT_SIGN_IN_URL,
            &[&idp.key, &idp.rotation.next],
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

impl SamlPeer {
    /// The whole battery against this SP (its `/acs`, `/whoami`, entity ID `/metadata`),
    /// unsolicited, with the clock measured as a user without `--saml-skew` gets it.
    pub async fn battery(&self, idp: Idp) -> ScenarioResult {
        let sp = SpTarget {
            acs_url: format!("{}/acs", self.base),
            audience: format!("{}/metadata", self.base),
            login_url: None,
            whoami_url: Some(format!("{}/whoami", self.base)),
            whoami: Default::default(),
            skew: time::Duration::minutes(3),
            skew_given: false,
            max_skew: time::Duration::seconds(300),
            want_assertions_signed: false,
            authn_requests_signed: false,
            // Both peers were given the rotation metadata (the IdP key and the next one).
            rotation: true,
            name_id: "alice@example.com".into(),
            profile: None,
        };
        let (_tx, stop) = tokio::sync::watch::channel(false);
        let mut side = common::saml_side(sp);
        side.idp = idp;
        run_battery(&side, &common::all_cases(), &stop, &mut Silent).await
    }
}

/// What every SAML peer's pin asserts: no case errored, only what needs a login was skipped
/// (there is none), and the failed cases are exactly `pinned`. An error or a skip is
/// listed with its reason, so a failure under load says what happened, not only where.
pub fn assert_pinned(results: &[ScenarioResult], pinned: &[&str], peer: &str) {
    let errors = with_reasons(results, Outcome::Error);
    assert!(
        errors.is_empty(),
        "errors against {peer}:\n  {}",
        errors.join("\n  ")
    );
    let login: Vec<&str> = idgate::saml::cases::all()
        .iter()
        .filter(|c| c.needs.as_deref() == Some("login"))
        .map(|c| c.id.as_str())
        .collect();
    let skipped: Vec<String> = with_reasons(results, Outcome::Skip)
        .into_iter()
        .filter(|o| !login.iter().any(|id| o.starts_with(&format!("{id}:"))))
        .collect();
    assert!(
        skipped.is_empty(),
        "skipped against {peer}:\n  {}",
        skipped.join("\n  ")
    );
    let mut found: Vec<String> = common::failures(results)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let mut pinned: Vec<String> = pinned.iter().map(|s| s.to_string()).collect();
    found.sort();
    pinned.sort();
    assert_eq!(found, pinned, "findings against {peer} changed");
}

/// Each check with `outcome` as `case: reason`, the reason being the step's (or the check's
/// message when the step gives none).
fn with_reasons(results: &[ScenarioResult], outcome: Outcome) -> Vec<String> {
    results
        .iter()
        .flat_map(|s| s.steps.iter())
        .flat_map(|step| {
            step.checks
                .iter()
                .filter(move |c| c.outcome == outcome)
                .map(move |c| {
                    let reason = step
                        .reason
                        .as_deref()
                        .or(c.message.as_deref())
                        .unwrap_or("(no reason given)");
                    format!("{}: {reason}", c.id)
                })
        })
        .collect()
}
