//! H. Must accept: valid messages written in less common but correct forms (pretty-printed,
//! default namespace, inclusive prefixes, SHA-512, milliseconds, other attribute naming).

use crate::saml::error::Result;
use crate::saml::response::{Attribute, response_xml};
use crate::saml::sign::{self, DigestAlg, SignatureAlg};
use crate::saml::splice;

use super::build::{
    both_signed, idp_opts, post, signed_assertion, spec_variant, valid_signed_with,
};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.pretty-printed", pretty_printed),
    ("saml.ds-default-namespace", ds_default_namespace),
    ("saml.inclusive-namespaces", inclusive_namespaces),
    ("saml.rsa-sha512", rsa_sha512),
    ("saml.issue-instant-millis", issue_instant_millis),
    ("saml.attributes-no-nameformat", attributes_no_nameformat),
    ("saml.claims-short-names", claims_short_names),
    ("saml.claims-uri-names", claims_uri_names),
    ("saml.attribute-multi-valued", attribute_multi_valued),
    (
        "saml.extensions-foreign-element",
        extensions_foreign_element,
    ),
];

/// A `groups` attribute with two values, as IdPs send group memberships.
fn attribute_multi_valued(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        let mut groups = Attribute::basic("groups", "staff");
        groups.values.push("admins-of-nothing".into());
        s.attributes.push(groups);
    })
}

/// `samlp:Extensions` holding an element of another namespace, which the schema allows
/// (`##other`), before the signature is made.
fn extensions_foreign_element(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let r = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    let r = splice::insert_after(
        &r,
        "saml:Issuer",
        "<samlp:Extensions><idg:note xmlns:idg=\"urn:idgate:extension\">hello</idg:note></samlp:Extensions>",
    )?;
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

fn pretty_printed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.pretty = true;
    let mut opts = idp_opts(ctx);
    opts.pretty = true;
    Ok(post(ctx, &both_signed(&spec, &opts)?, false))
}

fn ds_default_namespace(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.ds_default_namespace = true;
    valid_signed_with(ctx, &opts)
}

fn inclusive_namespaces(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.typed_values = true;
    let mut opts = idp_opts(ctx);
    opts.inclusive_prefixes = Some("xs".into());
    Ok(post(ctx, &both_signed(&spec, &opts)?, false))
}

fn rsa_sha512(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha512, DigestAlg::Sha512),
    )
}

fn issue_instant_millis(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.millis = true)
}

fn attributes_no_nameformat(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        for a in &mut s.attributes {
            a.name_format = None;
        }
    })
}

fn claims_short_names(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.attributes.retain(|a| !a.name.contains(':')))
}

fn claims_uri_names(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.attributes.retain(|a| a.name.contains(':')))
}
