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
    ("saml.xsw1-object", xsw1_object),
    ("saml.xsw2-extensions", xsw2_extensions),
    ("saml.xsw6-object", xsw6_object),
    ("saml.response-in-advice", response_in_advice),
    (
        "saml.two-signed-subjects-forged-first",
        two_signed_subjects_forged_first,
    ),
    (
        "saml.two-signed-subjects-forged-last",
        two_signed_subjects_forged_last,
    ),
    ("saml.id-attribute-pollution", id_attribute_pollution),
    ("saml.xml-id-decoy", xml_id_decoy),
    ("saml.namespace-confusion", namespace_confusion),
    (
        "saml.decoy-signature-in-attribute",
        decoy_signature_in_attribute,
    ),
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

/// XSW1 where the schema allows it: the clean copy of the signed Response in a `ds:Object`
/// of its Signature, so an SP that validates against the schema first still gets to choose.
fn xsw1_object(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let (evil, original) = renamed_response(ctx)?;
    let sig = response_signature(&evil)?;
    let object = format!("<ds:Object>{original}</ds:Object>");
    Ok(post(
        ctx,
        &splice::insert(&evil, sig.inner_end, &object),
        true,
    ))
}

/// XSW2 where the schema allows it: the clean copy in `samlp:Extensions`, right after the
/// Signature (Issuer, Signature, Extensions, Status is the schema's order).
fn xsw2_extensions(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let (evil, original) = renamed_response(ctx)?;
    let sig = response_signature(&evil)?;
    let ext = format!("<samlp:Extensions>{original}</samlp:Extensions>");
    Ok(post(ctx, &splice::insert(&evil, sig.end, &ext), true))
}

/// The Response-signed message edited and renamed, with the original bytes that were digested.
fn renamed_response(ctx: &CaseContext<'_>) -> Result<(String, String)> {
    let original = response_xml(&ctx.spec, &assertion_xml(&ctx.spec));
    let signed = sign::sign_response(&original, &idp_opts(ctx))?;
    let evil = with_root_id(&edit_subject(ctx, &signed)?, &new_id())?;
    let assertion = splice::first(&evil, "saml:Assertion")?;
    let evil = splice::set_attr(&evil, &assertion, "ID", Some(&new_id()))?;
    Ok((evil, original))
}

/// XSW6 where the schema allows it: the clean copy in a `ds:Object` of the edited Assertion's
/// Signature.
fn xsw6_object(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = edited_signed_assertion(ctx, true)?;
    let object = format!("<ds:Object>{}</ds:Object>", assertion_xml(&ctx.spec));
    let evil = splice::append_into(&evil, "ds:Signature", &object)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
}

/// The IdP-signed Response, its Signature taken out, hidden in the Advice of a forged Assertion;
/// the Signature moves to a new outer Response around it. The signature still verifies (its
/// Reference finds the hidden Response by ID, and the enveloped-signature transform never
/// digested the Signature), but it is not about the outer Response the SP consumes.
fn response_in_advice(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let signed = sign::sign_response(
        &response_xml(&ctx.spec, &assertion_xml(&ctx.spec)),
        &idp_opts(ctx),
    )?;
    let sig = response_signature(&signed)?;
    let signature = splice::slice(&signed, &sig).to_string();
    let hidden = splice::remove(&signed, &sig);
    let hidden = hidden.trim_start_matches(|c| c != '<');
    let evil = forged_assertion(ctx, &new_id());
    let advice = format!("<saml:Advice>{hidden}</saml:Advice>");
    let evil = splice::insert_after(&evil, "saml:Conditions", &advice)?;
    let mut outer = ctx.forged();
    outer.response_id = new_id();
    let outer = response_xml(&outer, &evil);
    let root = splice::root(&outer)?;
    Ok(post(
        ctx,
        &insert_signature(&outer, &root, &signature)?,
        true,
    ))
}

/// Two assertions, each validly signed by the IdP, for different subjects: the Web SSO profile
/// requires every assertion of a Response to be about the same principal.
fn two_signed_subjects(ctx: &CaseContext<'_>, forged_first: bool) -> Result<BuiltCase> {
    let genuine = signed_assertion(ctx)?;
    let mut other = ctx.forged();
    other.assertion_id = new_id();
    let other = sign::sign_assertion(&assertion_xml(&other), &idp_opts(ctx))?;
    let body = if forged_first {
        format!("{other}{genuine}")
    } else {
        format!("{genuine}{other}")
    };
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

fn two_signed_subjects_forged_first(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    two_signed_subjects(ctx, true)
}

fn two_signed_subjects_forged_last(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    two_signed_subjects(ctx, false)
}

/// A forged Assertion, first, whose own ID is new but which carries an attribute of another
/// namespace with the local name `ID` and the signed Assertion's ID: an SP that finds IDs by
/// local name takes the forged element for the signed one.
fn id_attribute_pollution(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let decoy = forged_assertion(ctx, &new_id());
    let root = splice::root(&decoy)?;
    let decoy = splice::insert(
        &decoy,
        root.inner_start - 1,
        &format!(
            " xmlns:idg=\"urn:idgate:pollution\" idg:ID=\"{}\"",
            escape_attr(&ctx.spec.assertion_id)
        ),
    );
    let body = format!("{decoy}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

/// A forged Assertion (own ID) carrying `xml:id` with the signed Assertion's ID, first: XML
/// libraries that register `xml:id` as an ID (libxml2 does) may resolve the Reference to it.
fn xml_id_decoy(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    id_decoy(ctx, "xml:id")
}

/// A forged `saml:Assertion` whose `saml` prefix is bound to another namespace, first, then the
/// signed one: it is no SAML assertion at all, but an SP that matches names by prefix reads it.
fn namespace_confusion(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let evil = splice::replace_all(
        &forged_assertion(ctx, &new_id()),
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
        "xmlns:saml=\"urn:idgate:not-saml\"",
    )?;
    let body = format!("{evil}{}", signed_assertion(ctx)?);
    Ok(post(ctx, &response_xml(&ctx.spec, &body), true))
}

/// A decoy: the IdP's genuine Signature moved into an AttributeValue of a forged, unsigned
/// assertion; the original it references, without it, hides in that assertion's Advice. The
/// enveloped transform never digested the Signature, so it still verifies over the original.
/// An SP that takes any Signature below an assertion (`.//ds:Signature`) as that assertion's
/// own verifies it and reads the forged subject.
fn decoy_signature_in_attribute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let genuine = signed_assertion(ctx)?;
    let sig = splice::first(&genuine, "ds:Signature")?;
    let signature = splice::slice(&genuine, &sig).to_string();
    let unsigned_original = splice::remove(&genuine, &sig);
    let evil = forged_assertion(ctx, &new_id());
    let evil = splice::append_into(&evil, "saml:AttributeValue", &signature)?;
    let advice = format!("<saml:Advice>{unsigned_original}</saml:Advice>");
    let evil = splice::insert_after(&evil, "saml:Conditions", &advice)?;
    Ok(post(ctx, &response_xml(&ctx.spec, &evil), true))
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
