//! G. Replay and binding: the same response or assertion posted twice, a duplicated form
//! parameter, the base64 variants an HTTP-POST binding may meet, RelayState, and the SP's own
//! AuthnRequest.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};
use time::Duration;

use crate::saml::error::{Result, SamlError};
use crate::saml::response::{assertion_xml, document, new_id, response_xml};
use crate::saml::sign;

use super::a_signature::valid;
use super::build::{b64, both_signed, idp_opts, post_doc, signed_assertion};
use super::{Builder, BuiltCase, CaseContext, FOREIGN_HOST};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.replay-same-response", replay_same_response),
    (
        "saml.replay-assertion-new-response",
        replay_assertion_new_response,
    ),
    ("saml.binding-duplicate-param", duplicate_param),
    ("saml.binding-base64-whitespace", base64_whitespace),
    ("saml.binding-base64-url-safe", base64_url_safe),
    ("saml.binding-base64-no-padding", base64_no_padding),
    ("saml.relaystate-absolute", relaystate_absolute),
    (
        "saml.relaystate-protocol-relative",
        relaystate_protocol_relative,
    ),
    ("saml.relaystate-backslash", relaystate_backslash),
    // The valid Response: what is judged besides is the AuthnRequest it answers (run::saml).
    ("saml.authn-request-signed", valid),
];

/// The valid response with a RelayState naming a URL on a foreign host.
fn with_relay_state(ctx: &CaseContext<'_>, relay_state: String) -> Result<BuiltCase> {
    Ok(BuiltCase {
        relay_state: Some(relay_state),
        ..valid(ctx)?
    })
}

fn relaystate_absolute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    with_relay_state(ctx, format!("https://{FOREIGN_HOST}/after-login"))
}

fn relaystate_protocol_relative(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    with_relay_state(ctx, format!("//{FOREIGN_HOST}/after-login"))
}

/// Browsers read `/\host` as `//host`; a check for a leading `//` alone lets it through.
fn relaystate_backslash(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    with_relay_state(ctx, format!("/\\{FOREIGN_HOST}/after-login"))
}

fn replay_same_response(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut built = valid(ctx)?;
    built.posts.push(built.posts[0].clone());
    Ok(built)
}

fn replay_assertion_new_response(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let assertion = signed_assertion(ctx)?;
    let first = sign::sign_response(&response_xml(&ctx.spec, &assertion), &opts)?;
    let mut wrapper = ctx.spec.clone();
    wrapper.response_id = new_id();
    wrapper.issue_instant += Duration::seconds(1);
    let second = document(&response_xml(&wrapper, &assertion));
    Ok(BuiltCase {
        posts: vec![b64(&document(&first)), b64(&second)],
        ..post_doc(ctx, second, false)
    })
}

fn duplicate_param(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    let fake = document(&response_xml(&forged, &assertion_xml(&forged)));
    Ok(BuiltCase {
        second_value: Some(b64(&fake)),
        attacker_user: Some(ctx.forged_name_id.clone()),
        ..valid(ctx)?
    })
}

/// The valid document, padded with trailing newlines until its base64 has padding and uses
/// `+` or `/`, so the no-padding and URL-safe variants really differ from the standard one.
fn valid_for_binding(ctx: &CaseContext<'_>) -> Result<String> {
    let mut xml = document(&both_signed(&ctx.spec, &idp_opts(ctx))?);
    for _ in 0..64 {
        let encoded = b64(&xml);
        if encoded.ends_with('=') && encoded.contains(['+', '/']) {
            return Ok(xml);
        }
        xml.push('\n');
    }
    Err(SamlError::Splice(
        "no base64 form with padding and +/".into(),
    ))
}

fn base64_whitespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    let encoded = b64(&xml);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(BuiltCase {
        posts: vec![lines.join("\r\n")],
        ..post_doc(ctx, xml, false)
    })
}

fn base64_url_safe(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    Ok(BuiltCase {
        posts: vec![URL_SAFE.encode(&xml)],
        ..post_doc(ctx, xml, false)
    })
}

fn base64_no_padding(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_for_binding(ctx)?;
    Ok(BuiltCase {
        posts: vec![STANDARD_NO_PAD.encode(&xml)],
        ..post_doc(ctx, xml, false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::cases::{build, tests::Keys};
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn binding_variants_differ_from_standard_base64() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        let url = build("saml.binding-base64-url-safe", &ctx).unwrap();
        assert_ne!(url.posts[0], STANDARD.encode(&url.xml));
        let nopad = build("saml.binding-base64-no-padding", &ctx).unwrap();
        assert!(!nopad.posts[0].ends_with('='));
        assert_ne!(nopad.posts[0], STANDARD.encode(&nopad.xml));
        let ws = build("saml.binding-base64-whitespace", &ctx).unwrap();
        assert!(ws.posts[0].contains("\r\n"));
        let dup = build("saml.binding-duplicate-param", &ctx).unwrap();
        assert!(dup.second_value.is_some());
        let replay = build("saml.replay-same-response", &ctx).unwrap();
        assert_eq!(replay.posts.len(), 2);
        assert_eq!(replay.posts[0], replay.posts[1]);
    }
}
