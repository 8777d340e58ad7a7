//! `idgate serve`: the reference target alone, for trying idgate or another tool against it.

use idgate::exit;
use idgate::reference::{self, Fault, ReferenceOptions};
use idgate::saml::RotationKeys;
use idgate::session::{IdpKeys, SetupError, load_idp_key, read_token};

use crate::Outcome;
use crate::args::ServeArgs;
use crate::out;

pub async fn serve(a: ServeArgs) -> Outcome {
    if a.list_faults {
        for f in Fault::ALL {
            out!("{}", f.name());
        }
        return Ok(exit::OK);
    }
    let faults = a
        .faults
        .iter()
        .map(|n| n.trim().parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SetupError::usage(format!("error: {e}")))?;
    let token = read_token(&a.token.scim_token_env)?;
    let key = load_idp_key(&IdpKeys::Dir(a.idp.key_dir.clone()))?;
    let rotation = RotationKeys::load_or_generate(&a.idp.key_dir)
        .map_err(|e| SetupError::usage(format!("error: cannot make the rotation keys: {e}")))?;
    let running = reference::start(ReferenceOptions {
        addr: ([127, 0, 0, 1], a.port).into(),
        token: token.expose().to_string(),
        faults: faults.clone(),
        saml: reference::SpOptions {
            idp_entity_id: a.idp.entity_id.clone(),
            // As an SP given `idgate saml metadata --rotation earlier`, then `--rotation`.
            idp_cert_pems: vec![key.cert_pem(), rotation.next.cert_pem()],
            earlier_idp_cert_pems: vec![rotation.retired.cert_pem()],
            idp_sign_in_url: Some(a.idp.sign_in_url.clone()),
            ..reference::SpOptions::default()
        },
    })
    .await
    .map_err(|e| {
        SetupError::new(
            exit::RUNTIME,
            format!("error: cannot listen on 127.0.0.1:{}: {e}", a.port),
        )
    })?;
    out!("{}", running.scim_base);
    eprintln!(
        "reference SAML SP: ACS {} (audience {}), whoami {}, login {}; it trusts the IdP key in {}",
        running.saml_acs_url,
        running.saml_audience,
        running.saml_whoami_url,
        running.saml_login_url,
        a.idp.key_dir.display()
    );
    let names: Vec<&str> = faults.iter().map(|f| f.name()).collect();
    eprintln!(
        "idgate reference SCIM target on {} (bearer token from ${}; faults: {}). Ctrl-C stops it.",
        running.scim_base,
        a.token.scim_token_env,
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    );
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    Ok(exit::OK)
}
