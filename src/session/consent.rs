//! Consent for writes away from this machine: a run creates, changes and deletes users and
//! groups, which a staging tenant only allows by the user's say-so. The command line and the
//! harness both ask here, so neither can write to a remote tenant by accident.

use super::{Options, ScimTarget, SetupError};
use crate::scenario::{StepRequest, Suite};
use crate::session::Plan;

/// Whether `url` names this machine: 127.0.0.0/8, ::1 or localhost.
pub fn on_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The `client/scenario` runs of `plan` that send a POST, PUT, PATCH or DELETE.
pub fn writing(suite: &Suite, plan: &Plan<'_>) -> Vec<String> {
    let writes = |m: &str| matches!(m, "POST" | "PUT" | "PATCH" | "DELETE");
    let mut out = Vec::new();
    for (scenario, client) in &plan.pairs {
        let Some(profile) = suite.clients.get(client) else {
            continue;
        };
        let action_writes = |action: &str| {
            profile
                .actions
                .get(action)
                .is_some_and(|t| writes(&t.method))
        };
        let wrote = scenario.steps.iter().any(|step| {
            // A refused request's fallback is sent too.
            step.fallback.as_deref().is_some_and(action_writes)
                || match &step.request {
                    StepRequest::Send { action } => action_writes(action),
                    StepRequest::Raw(t) => writes(&t.method),
                    StepRequest::Saml(_) => false,
                }
        });
        if wrote {
            out.push(format!("{client}/{}", scenario.name));
        }
    }
    out
}

/// Refuses a plan that would write to a SCIM target away from this machine unless
/// `opts.allow_writes` says so; what it would have written is named, and nothing is sent.
pub fn check(opts: &Options, writing: &[String]) -> Result<(), SetupError> {
    let ScimTarget::Endpoint(e) = &opts.scim else {
        return Ok(());
    };
    if opts.allow_writes || on_loopback(&e.url) || writing.is_empty() {
        return Ok(());
    }
    Err(SetupError::usage(format!(
        "error: {} is not on this machine, and {} scenario run(s) would create, change and delete users and groups there (each named with the run's prefix, deleted when its scenario ends): {}\n  = help: pass --allow-writes to let it (or IDGATE_ALLOW_WRITES=1, allow-writes = true in a profile, Harness::allow_writes() in a test harness); --tag smoke only reads",
        e.url,
        writing.len(),
        writing.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ScimEndpoint;

    #[test]
    fn loopback_is_this_machine_only() {
        for url in [
            "http://127.0.0.1:8080/scim/v2",
            "http://127.4.5.6/scim",
            "http://[::1]:9/scim",
            "http://LOCALHOST:1/x",
        ] {
            assert!(on_loopback(url), "{url}");
        }
        for url in [
            "https://scim.staging.example.test/scim/v2",
            "http://10.0.0.1/scim",
            "http://[::ffff:10.0.0.1]/",
            "http://127.0.0.1.nip.io/",
            "not a url",
        ] {
            assert!(!on_loopback(url), "{url}");
        }
    }

    #[test]
    fn a_remote_write_needs_consent_and_a_read_does_not() {
        let remote = |allow_writes| Options {
            scim: ScimTarget::Endpoint(ScimEndpoint {
                url: "https://scim.staging.example.test/scim/v2".into(),
                token_env: "T".into(),
            }),
            allow_writes,
            ..Options::default()
        };
        let writes = vec!["entra-2020/users".to_string()];
        let e = check(&remote(false), &writes).unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        assert!(e.to_string().contains("entra-2020/users"), "{e}");
        assert!(check(&remote(true), &writes).is_ok());
        assert!(check(&remote(false), &[]).is_ok(), "a read-only plan");
        let local = Options {
            scim: ScimTarget::Endpoint(ScimEndpoint {
                url: "http://127.0.0.1:9/scim/v2".into(),
                token_env: "T".into(),
            }),
            ..Options::default()
        };
        assert!(check(&local, &writes).is_ok(), "loopback");
    }
}
