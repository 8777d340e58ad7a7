//! How a case is built from the valid response: the response signed as the IdP signs it, the
//! signed assertion alone, the subject swapped for the forged one, and a case made of one post.
//! Only what several groups share lives here; a helper of one group lives in its file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::saml::canonical::{escape_attr, escape_text};
use crate::saml::error::{Result, SamlError};
use crate::saml::response::{ResponseSpec, assertion_xml, document, new_id, response_xml};
use crate::saml::sign::{self, SignOptions};
use crate::saml::splice::{self, Element};

use super::{BuiltCase, CaseContext};

pub(super) fn b64(xml: &str) -> String {
    STANDARD.encode(xml)
}

/// A case with one post of `root`.
pub(super) fn post(ctx: &CaseContext<'_>, root: &str, forged: bool) -> BuiltCase {
    post_doc(ctx, document(root), forged)
}

pub(super) fn post_doc(ctx: &CaseContext<'_>, xml: String, forged: bool) -> BuiltCase {
    BuiltCase {
        posts: vec![b64(&xml)],
        xml,
        second_value: None,
        original_user: ctx.spec.name_id.clone(),
        signed_attributes: super::signed_attributes(&ctx.spec),
        attacker_user: forged.then(|| ctx.forged_name_id.clone()),
        relay_state: None,
    }
}

/// `prolog` (DOCTYPE, processing instructions) between the XML declaration and `root`.
pub(super) fn with_prolog(prolog: &str, root: &str) -> String {
    document(&format!("{prolog}\n{root}"))
}

pub(super) fn idp_opts<'a>(ctx: &CaseContext<'a>) -> SignOptions<'a> {
    SignOptions::new(ctx.idp)
}

/// Assertion and Response both signed with `opts`.
pub(super) fn both_signed(spec: &ResponseSpec, opts: &SignOptions<'_>) -> Result<String> {
    both_signed_from(spec, &assertion_xml(spec), opts)
}

/// As [`both_signed`], from assertion bytes a case has edited before signing.
pub(super) fn both_signed_from(
    spec: &ResponseSpec,
    assertion: &str,
    opts: &SignOptions<'_>,
) -> Result<String> {
    let signed = sign::sign_assertion(assertion, opts)?;
    sign::sign_response(&response_xml(spec, &signed), opts)
}

/// The signed assertion alone.
pub(super) fn signed_assertion(ctx: &CaseContext<'_>) -> Result<String> {
    sign::sign_assertion(&assertion_xml(&ctx.spec), &idp_opts(ctx))
}

/// `xml` with the original identity replaced by the forged one wherever it is text (NameID and
/// the e-mail claims), as an attacker edits a captured message.
pub(super) fn edit_subject(ctx: &CaseContext<'_>, xml: &str) -> Result<String> {
    splice::replace_all(
        xml,
        &escape_text(&ctx.spec.name_id),
        &escape_text(&ctx.forged_name_id),
    )
}

/// `fragment` with its root element's `ID` set to `id`.
pub(super) fn with_root_id(fragment: &str, id: &str) -> Result<String> {
    let root = splice::root(fragment)?;
    splice::set_attr(fragment, &root, "ID", Some(&escape_attr(id)))
}

/// The Response's own signature (a child of the root).
pub(super) fn response_signature(xml: &str) -> Result<Element> {
    let root = splice::root(xml)?;
    splice::child(xml, &root, "Signature")?
        .ok_or_else(|| SamlError::Splice("the response is not signed".into()))
}

/// The signed assertion edited in place (signature kept), renamed when `rename`.
pub(super) fn edited_signed_assertion(ctx: &CaseContext<'_>, rename: bool) -> Result<String> {
    let evil = edit_subject(ctx, &signed_assertion(ctx)?)?;
    if rename {
        with_root_id(&evil, &new_id())
    } else {
        Ok(evil)
    }
}

/// The valid response, both signed with `opts` (another key, algorithm or KeyInfo form).
pub(super) fn valid_signed_with(
    ctx: &CaseContext<'_>,
    opts: &SignOptions<'_>,
) -> Result<BuiltCase> {
    Ok(post(ctx, &both_signed(&ctx.spec, opts)?, false))
}

/// The valid response with `edit` applied to the spec.
pub(super) fn spec_variant(
    ctx: &CaseContext<'_>,
    edit: fn(&mut ResponseSpec),
) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    edit(&mut spec);
    Ok(BuiltCase {
        signed_attributes: super::signed_attributes(&spec),
        ..post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false)
    })
}
