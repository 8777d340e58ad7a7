//! B. Wrapping (XSW) and selection: the signed bytes stay intact while a forged element sits
//! beside, around or inside them, so only the element the SP chooses decides the outcome.

use crate::saml::canonical::escape_attr;
use crate::saml::error::Result;
use crate::saml::response::{assertion_xml, new_id, response_xml};
use crate::saml::sign::{self, SignOptions, insert_signature, signed_info};
use crate::saml::splice;

use super::build::{
    both_signed, edit_subject, edited_signed_assertion, idp_opts, post, response_signature,
    signed_assertion, with_root_id,
};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.xsw1", xsw1),
    ("saml.xsw2", xsw2),
    ("saml.xsw3", xsw3),
    ("saml.xsw4", xsw4),
    ("saml.xsw5", xsw5),
    ("saml.xsw6", xsw6),
    ("saml.xsw7", xsw7),
    ("saml.xsw7-ns", xsw7_ns),
    ("saml.xsw8", xsw8),
    ("saml.xsw8-ns", xsw8_ns),
    (
        "saml.multiple-assertions-forged-first",
        multiple_assertions_forged_first,
    ),
    (
        "saml.multiple-assertions-forged-last",
        multiple_assertions_forged_last,
    ),
    ("saml.duplicate-ids", duplicate_ids),
    ("saml.id-decoy-lowercase", id_decoy_lowercase),
    ("saml.id-decoy-mixedcase", id_decoy_mixedcase),
    ("saml.assertion-in-advice", assertion_in_advice),
    ("saml.two-root-elements", two_root_elements),
    ("saml.extra-signedinfo", extra_signedinfo),
    ("saml.comment-in-digestvalue", comment_in_digestvalue),
    ("saml.encrypted-assertion-plain", encrypted_assertion_plain),
];

/// An unsigned copy of the assertion for the forged identity, with `id`.
fn forged_assertion(ctx: &CaseContext<'_>, id: &str) -> String {
    let mut spec = ctx.forged();
    spec.assertion_id = id.into();
    assertion_xml(&spec)
}

/// XSW1 and XSW2: the signed Response edited and renamed; a clean copy of the original (the
/// exact bytes that were digested) goes inside the signature or just before it.
fn xsw_response(ctx: &CaseContext<'_>, inside_signature: bool) -> Result<BuiltCase> {
    let original = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    let signed = sign::sign_response(&original, &idp_opts(ctx))?;
    let evil = with_root_id(&edit_subject(ctx, &signed)?, &new_id())?;
    // The edited assertion gets a new ID too, so the only duplicate-free reading of the document
    // is the wrapping itself (duplicate IDs have cases of their own).
    let assertion = splice::first(&evil, "saml:Assertion")?;
    let evil = splice::set_attr(&evil, &assertion, "ID", Some(&new_id()))?;
    let sig = response_signature(&evil)?;
    let at = if inside_signature {
        sig.inner_end
    } else {
        sig.start
    };
    Ok(post(ctx, &splice::insert(&evil, at, &original), true))
}

fn xsw1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw_response(ctx, true)
}

fn xsw2(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw_response(ctx, false)
}

fn xsw3(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let body = format!("{evil}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw4(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let evil = splice::append_into(&evil, "saml:Assertion", &signed_assertion(ctx)?)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn xsw5(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, true)?;
    let body = format!("{evil}{}", assertion_xml(&ctx.spec));
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw6(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, true)?;
    let evil = splice::append_into(&evil, "ds:Signature", &assertion_xml(&ctx.spec))?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn xsw7(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let copy = forged_assertion(ctx, &ctx.spec.assertion_id);
    let body = format!("<Extensions>{copy}</Extensions>{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn xsw7_ns(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let copy = forged_assertion(ctx, &ctx.spec.assertion_id);
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    // Where the schema allows Extensions: after the Issuer, before the Status.
    let xml = splice::insert_after(
        &xml,
        "saml:Issuer",
        &format!("<samlp:Extensions>{copy}</samlp:Extensions>"),
    )?;
    Ok(post(ctx, &xml, true))
}

fn xsw8_with(ctx: &CaseContext<'_>, object: &str) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, false)?;
    let clean = assertion_xml(&ctx.spec);
    let evil = splice::append_into(
        &evil,
        "ds:Signature",
        &format!("<{object}>{clean}</{object}>"),
    )?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn xsw8(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw8_with(ctx, "Object")
}

fn xsw8_ns(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    xsw8_with(ctx, "ds:Object")
}

fn multiple_assertions_forged_first(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = forged_assertion(ctx, &new_id());
    let forged = sign::sign_assertion(&forged, &SignOptions::new(ctx.attacker))?;
    let body = format!("{forged}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn multiple_assertions_forged_last(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let body = format!(
        "{}{}",
        signed_assertion(ctx)?,
        forged_assertion(ctx, &new_id())
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn duplicate_ids(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let body = format!(
        "{}{}",
        signed_assertion(ctx)?,
        forged_assertion(ctx, &ctx.spec.assertion_id)
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn id_decoy(ctx: &CaseContext<'_>, attr: &str) -> Result<BuiltCase> {
    let decoy = forged_assertion(ctx, &new_id());
    let root = splice::root(&decoy)?;
    let decoy = splice::insert(
        &decoy,
        root.inner_start - 1,
        &format!(" {attr}=\"{}\"", escape_attr(&ctx.spec.assertion_id)),
    );
    let body = format!("{decoy}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn id_decoy_lowercase(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    id_decoy(ctx, "id")
}

fn id_decoy_mixedcase(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    id_decoy(ctx, "Id")
}

fn assertion_in_advice(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = forged_assertion(ctx, &new_id());
    let advice = format!("<saml:Advice>{}</saml:Advice>", signed_assertion(ctx)?);
    let evil = splice::insert_after(&evil, "saml:Conditions", &advice)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn two_root_elements(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut forged = ctx.forged();
    forged.response_id = new_id();
    forged.assertion_id = new_id();
    let first = response_xml(&forged, &assertion_xml(&forged));
    let second = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post(ctx, &format!("{first}{second}"), true))
}

fn extra_signedinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let original = assertion_xml(&ctx.spec);
    let genuine = sign::sign_assertion(&original, &opts)?;
    let genuine_sig =
        splice::slice(&genuine, &splice::first(&genuine, "ds:Signature")?).to_string();
    // The consumed assertion is forged; a second SignedInfo (never signed) carries its digest.
    let forged_id = new_id();
    let forged = forged_assertion(ctx, &forged_id);
    let digest = opts.digest.digest_base64(forged.as_bytes())?;
    let second = signed_info(&format!("#{forged_id}"), &digest, &opts).in_signature;
    let sig = splice::insert_after(&genuine_sig, "ds:SignedInfo", &second)?;
    let forged = insert_signature(&forged, &splice::root(&forged)?, &sig)?;
    // The genuine SignedInfo's Reference still finds the original, tucked away at the end.
    let body = format!("{forged}<Wrapper>{original}</Wrapper>");
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn comment_in_digestvalue(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let forged = edit_subject(ctx, &assertion_xml(&ctx.spec))?;
    let forged_digest = opts.digest.digest_base64(forged.as_bytes())?;
    let evil = edited_signed_assertion(ctx, false)?;
    let dv = splice::first(&evil, "ds:DigestValue")?;
    let evil = splice::insert(&evil, dv.inner_start, &format!("<!--{forged_digest}-->"));
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn encrypted_assertion_plain(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = forged_assertion(ctx, &new_id());
    // The wrapper declares its own prefix: the Response's root does not bind `saml`, and a
    // document that is not well-formed would be refused before any SP logic is tested.
    let body = format!(
        "<saml:EncryptedAssertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">{forged}</saml:EncryptedAssertion>"
    );
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::cases::{build, tests::Keys};

    #[test]
    fn wrapping_keeps_signed_bytes() {
        let keys = Keys::new();
        let ctx = keys.ctx();
        let genuine = signed_assertion(&ctx).unwrap();
        for id in [
            "saml.xsw3",
            "saml.xsw4",
            "saml.xsw7",
            "saml.duplicate-ids",
            "saml.assertion-in-advice",
        ] {
            let built = build(id, &ctx).unwrap();
            assert!(
                built.xml.contains(&genuine),
                "{id} altered the signed assertion"
            );
            assert!(
                built.xml.contains(&ctx.forged_name_id),
                "{id} has no forged subject"
            );
        }
        let clean = assertion_xml(&ctx.spec);
        for id in ["saml.xsw5", "saml.xsw6", "saml.xsw8", "saml.xsw8-ns"] {
            let built = build(id, &ctx).unwrap();
            assert!(built.xml.contains(&clean), "{id} lacks the clean copy");
        }
    }
}
