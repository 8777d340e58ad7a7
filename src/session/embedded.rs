//! The embedded reference target as a session starts it: idgate's own SCIM
//! server and SAML SP on 127.0.0.1, with a fresh token. Built only with the
//! `reference` feature; without it, asking for it is a clear setup error.

use super::{Options, SetupError};
use crate::exit;
use crate::redact::Secret;
use crate::saml::Idp;

/// A running reference target and where its parts answer.
pub(super) struct Embedded {
    pub token: Secret,
    pub scim_base: String,
    pub acs_url: String,
    pub audience: String,
    pub whoami_url: String,
    #[cfg(feature = "reference")]
    running: crate::reference::RunningReference,
}

/// Check fault names (with a suggestion for a typo).
pub(super) fn check_faults(names: &[String]) -> Result<(), SetupError> {
    #[cfg(feature = "reference")]
    for n in names {
        n.trim()
            .parse::<crate::reference::Fault>()
            .map_err(|e| SetupError::usage(format!("error: {e}")))?;
    }
    #[cfg(not(feature = "reference"))]
    if !names.is_empty() {
        return Err(without_reference());
    }
    Ok(())
}

#[cfg(not(feature = "reference"))]
fn without_reference() -> SetupError {
    SetupError::usage(
        "error: this idgate was built without the `reference` feature, so it has no embedded target\n  = help: give a target URL, or build with the default features",
    )
}

/// Start the target, trusting `idp` (or, when no SAML is played, its own default IdP).
#[cfg(feature = "reference")]
pub(super) async fn start(opts: &Options, idp: Option<&Idp>) -> Result<Embedded, SetupError> {
    use crate::reference::{self, Fault, ReferenceOptions};
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut saml = reference::SpOptions {
        idp_sign_in_url: Some(opts.idp.sign_in_url.clone()),
        skew: opts.login.skew,
        // The domain the SP claims is the run's, so its seed scenarios hold for any --email-domain.
        allowed_email_domains: vec![opts.values.email_domain.clone()],
        ..reference::SpOptions::default()
    };
    // As an SP given `idgate saml metadata --rotation earlier`, then `--rotation`.
    if let Some(idp) = idp {
        saml.idp_entity_id = idp.entity_id.clone();
        saml.idp_cert_pems = vec![idp.key.cert_pem(), idp.rotation.next.cert_pem()];
        saml.earlier_idp_cert_pems = vec![idp.rotation.retired.cert_pem()];
    }
    let faults = opts
        .faults
        .iter()
        .map(|n| n.trim().parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SetupError::usage(format!("error: {e}")))?;
    let running = reference::start(ReferenceOptions {
        token: token.clone(),
        faults,
        saml,
        ..ReferenceOptions::default()
    })
    .await
    .map_err(|e| {
        SetupError::new(
            exit::RUNTIME,
            format!("error: cannot start the reference target: {e}"),
        )
    })?;
    Ok(Embedded {
        token: Secret::new(token),
        scim_base: running.scim_base.clone(),
        acs_url: running.saml_acs_url.clone(),
        audience: running.saml_audience.clone(),
        whoami_url: running.saml_whoami_url.clone(),
        running,
    })
}

#[cfg(not(feature = "reference"))]
pub(super) async fn start(_: &Options, _: Option<&Idp>) -> Result<Embedded, SetupError> {
    let _ = exit::RUNTIME;
    Err(without_reference())
}

impl Embedded {
    /// Stop accepting connections and let requests in flight finish.
    pub async fn stop(self) {
        #[cfg(feature = "reference")]
        self.running.stop().await;
    }
}
