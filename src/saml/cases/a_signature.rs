//! A. Signature presence and coverage: the valid response and the ways a message can be
//! unsigned, edited after signing, signed over something else, or carry a broken signature.

use crate::saml::error::Result;
use crate::saml::metadata::idp_metadata;
use crate::saml::response::{assertion_xml, new_id, response_xml};
use crate::saml::sign::{self, KeyInfo, insert_signature, signature_element};
use crate::saml::splice;

use super::build::{both_signed, edit_subject, idp_opts, post, signed_assertion};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.valid", valid),
    ("saml.response-signed-only", response_signed_only),
    ("saml.assertion-signed-only", assertion_signed_only),
    ("saml.unsigned", unsigned),
    ("saml.tampered", tampered),
    ("saml.reference-elsewhere", reference_elsewhere),
    ("saml.reference-empty", reference_empty),
    ("saml.reference-relative-uri", reference_relative_uri),
    ("saml.two-references", two_references),
    ("saml.signature-misplaced", signature_misplaced),
    ("saml.foreign-signed-document", foreign_signed_document),
    ("saml.broken-signature-value", broken_signature_value),
    (
        "saml.broken-empty-signature-value",
        broken_empty_signature_value,
    ),
    ("saml.broken-no-signedinfo", broken_no_signedinfo),
    ("saml.broken-empty-keyinfo", broken_empty_keyinfo),
];

/// The valid response; the replay cases of group G post it too.
pub(super) fn valid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.spec, &idp_opts(ctx))?, false))
}

fn response_signed_only(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let r = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

fn assertion_signed_only(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    Ok(post(
        ctx,
        &response_xml(&ctx.spec, &signed_assertion(ctx)?),
        false,
    ))
}

fn unsigned(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    Ok(post(
        ctx,
        &response_xml(&forged, &assertion_xml(&forged)),
        true,
    ))
}

fn tampered(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post(ctx, &edit_subject(ctx, &xml)?, true))
}

/// The assertion carries a valid signature whose Reference names the Response (`uri`), not the
/// assertion it sits in.
fn reference_to_response(ctx: &CaseContext<'_>, uri: &str) -> Result<BuiltCase> {
    let r = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    let sig = signature_element(&r, uri, &idp_opts(ctx))?;
    let assertion = splice::first(&r, "saml:Assertion")?;
    Ok(post(ctx, &insert_signature(&r, &assertion, &sig)?, false))
}

fn reference_elsewhere(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    reference_to_response(ctx, &format!("#{}", ctx.spec.response_id))
}

fn reference_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    reference_to_response(ctx, "")
}

/// The Assertion signed by the IdP key with a Reference URI that is no same-document
/// reference (`assertion.xml`, which nothing resolves), over the Assertion's digest: a
/// verifier that cannot dereference it must not fall back to "the parent element".
fn reference_relative_uri(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let assertion = assertion_xml(&ctx.spec);
    let sig = signature_element(&assertion, "assertion.xml", &idp_opts(ctx))?;
    let signed = insert_signature(&assertion, &splice::root(&assertion)?, &sig)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &signed), false))
}

/// The Assertion signed by the IdP key with a SignedInfo of two References, both to the
/// Assertion: what the signature covers is no longer one element, which SAML requires.
fn two_references(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let assertion = assertion_xml(&ctx.spec);
    let digest = opts.digest.digest_base64(assertion.as_bytes())?;
    let uri = format!("#{}", ctx.spec.assertion_id);
    let info = sign::signed_info(&uri, &digest, &opts);
    let twice = |text: &str| -> Result<String> {
        let reference = splice::first(text, "ds:Reference")?;
        let copy = splice::slice(text, &reference).to_string();
        Ok(splice::insert(text, reference.end, &copy))
    };
    let apex = twice(&info.apex)?;
    let value = sign::signature_value(&apex, &opts)?;
    let sig = sign::assemble(&twice(&info.in_signature)?, &value, &opts);
    let signed = insert_signature(&assertion, &splice::root(&assertion)?, &sig)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &signed), false))
}

fn signature_misplaced(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    let sig = splice::first(&xml, "ds:Signature")?;
    let moved = splice::slice(&xml, &sig).to_string();
    let xml = splice::remove(&xml, &sig);
    Ok(post(
        ctx,
        &splice::insert_after(&xml, "saml:Issuer", &moved)?,
        false,
    ))
}

fn foreign_signed_document(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let md_id = new_id();
    let sso = format!("{}/sso", ctx.spec.issuer.trim_end_matches('/'));
    let md = idp_metadata(&ctx.spec.issuer, &sso, ctx.idp, &md_id);
    let md = sign::sign_element(&md, &md_id, &idp_opts(ctx))?;
    let forged = ctx.forged();
    let xml = response_xml(&forged, &assertion_xml(&forged));
    let xml = splice::insert_after(
        &xml,
        "saml:Issuer",
        &format!("<samlp:Extensions>{md}</samlp:Extensions>"),
    )?;
    Ok(post(ctx, &xml, true))
}

fn assertion_signed_with(
    ctx: &CaseContext<'_>,
    edit: fn(&str) -> Result<String>,
) -> Result<BuiltCase> {
    let xml = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    Ok(post(ctx, &edit(&xml)?, false))
}

fn broken_signature_value(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| {
        let v = splice::first(xml, "ds:SignatureValue")?;
        let at = v.inner_start + 10;
        let flipped = if &xml[at..at + 1] == "A" { "B" } else { "A" };
        Ok(splice::replace(xml, at, at + 1, flipped))
    })
}

fn broken_empty_signature_value(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| splice::set_inner(xml, "ds:SignatureValue", ""))
}

fn broken_no_signedinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_signed_with(ctx, |xml| splice::remove_first(xml, "ds:SignedInfo"))
}

fn broken_empty_keyinfo(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.key_info = KeyInfo::Raw(String::new());
    let a = sign::sign_assertion(&assertion_xml(&ctx.spec), &opts)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &a), false))
}
