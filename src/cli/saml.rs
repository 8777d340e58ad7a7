//! `idgate saml`: the test IdP's certificate and metadata for the SP admin, and its cases.

use std::io::Write;

use idgate::diagnostic::did_you_mean;
use idgate::exit;
use idgate::saml::idp::{NEXT_CERT_FILE, RETIRED_CERT_FILE};
use idgate::saml::{RotationKeys, cases, metadata};
use idgate::session::{IdpKeys, IdpOptions, SetupError, load_idp, load_idp_key};

use crate::Outcome;
use crate::args::{CertFormat, IdpArgs, RotationMetadata, SamlCommand};
use crate::out;

fn keys(a: &IdpArgs) -> IdpKeys {
    IdpKeys::Dir(a.key_dir.clone())
}

pub fn saml(c: SamlCommand) -> Outcome {
    match c {
        SamlCommand::Cert { format, idp } => {
            let key = load_idp_key(&keys(&idp))?;
            let mut out = std::io::stdout();
            let _ = match format {
                CertFormat::Pem => out.write_all(key.cert_pem().as_bytes()),
                CertFormat::Der => out.write_all(&key.cert_der()),
            };
        }
        SamlCommand::Metadata { rotation, idp } => {
            let key = load_idp_key(&keys(&idp))?;
            let id = idgate::saml::response::new_id();
            let Some(when) = rotation else {
                out!(
                    "{}",
                    metadata::idp_metadata(&idp.entity_id, &idp.sign_in_url, &key, &id)
                );
                let values = metadata::SpAdminValues::new(&idp.entity_id, &idp.sign_in_url, &key);
                eprintln!(
                    "\nFor the SP admin:\n{values}\nCertificate file: {}",
                    idp.key_dir.join(idgate::saml::keys::CERT_FILE).display()
                );
                return Ok(exit::OK);
            };
            let rotation = RotationKeys::load_or_generate(&idp.key_dir).map_err(|e| {
                SetupError::usage(format!("error: cannot make the rotation keys: {e}"))
            })?;
            let (listed, files, then) = match when {
                RotationMetadata::Earlier => (
                    [&rotation.retired, &key],
                    [RETIRED_CERT_FILE, idgate::saml::keys::CERT_FILE],
                    "Give the SP this metadata first, then `idgate saml metadata --rotation` in \
                     its place: the SP must then refuse the retired key it once trusted.",
                ),
                RotationMetadata::Current => (
                    [&key, &rotation.next],
                    [idgate::saml::keys::CERT_FILE, NEXT_CERT_FILE],
                    "With this metadata in the SP, `idgate run --saml-rotation ...` checks that it \
                     takes the next key and refuses the retired one (given it first with \
                     `--rotation earlier`, that refusal shows the SP dropped a removed key).",
                ),
            };
            out!(
                "{}",
                metadata::idp_metadata_keys(&idp.entity_id, &idp.sign_in_url, &listed, &id)
            );
            eprintln!(
                "\nSigning certificates, in order: {}\n{then}",
                files
                    .iter()
                    .map(|f| idp.key_dir.join(f).display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        SamlCommand::Cases => {
            for case in cases::all() {
                out!(
                    "{:<44} {}  {:<20} {}",
                    case.id,
                    case.group,
                    format!("{:?}", case.expect),
                    case.title
                );
                out!("{:<44}    changes: {}", "", case.changes);
            }
        }
        SamlCommand::Emit {
            case,
            acs_url,
            audience,
            name_id,
            base64,
            skew,
            in_response_to,
            idp,
        } => {
            if cases::find(&case).is_none() {
                let ids: Vec<&str> = cases::all().iter().map(|c| c.id.as_str()).collect();
                return Err(SetupError::usage(format!(
                    "error: unknown case `{case}`\n  = help: {} (`idgate saml cases` lists them)",
                    did_you_mean(&case, &ids)
                )));
            }
            let idp = load_idp(&IdpOptions {
                keys: keys(&idp),
                entity_id: idp.entity_id.clone(),
                sign_in_url: idp.sign_in_url.clone(),
            })?;
            let mut spec = idgate::saml::ResponseSpec::new(
                &idp.entity_id,
                &acs_url,
                &audience,
                &name_id,
                time::OffsetDateTime::now_utc(),
            );
            spec.in_response_to = in_response_to;
            let mut ctx =
                cases::CaseContext::new(spec, &idp.key, &idp.attack.attacker, &idp.attack.cloned);
            ctx.rotation = Some(&idp.rotation);
            ctx.skew = time::Duration::seconds(i64::try_from(skew).unwrap_or(i64::MAX));
            let built =
                cases::build(&case, &ctx).map_err(|e| SetupError::usage(format!("error: {e}")))?;
            if base64 {
                // Every value, as `name=value`: each post on its line (a replay posts twice),
                // then what goes with the last one.
                for p in &built.posts {
                    out!("SAMLResponse={p}");
                }
                if let Some(second) = &built.second_value {
                    out!("SAMLResponse={second}");
                }
                if let Some(relay) = &built.relay_state {
                    out!("RelayState={relay}");
                }
            } else {
                out!("{}", built.xml);
            }
        }
    }
    Ok(exit::OK)
}
