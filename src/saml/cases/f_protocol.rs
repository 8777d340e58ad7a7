//! F. Protocol checks: validly signed messages that break a SAML rule (status, version,
//! destination, recipient, audience, issuer, validity window, subject confirmation, NameID).

use time::{Duration, OffsetDateTime};

use crate::saml::canonical::{Canonical, SAML};
use crate::saml::error::Result;
use crate::saml::response::{ATTRNAME_BASIC, CM_BEARER, assertion_xml, response_xml};
use crate::saml::sign;
use crate::saml::splice;

use super::build::{both_signed, both_signed_from, idp_opts, post, signed_assertion, spec_variant};
use super::{Builder, BuiltCase, CaseContext};

/// This group's builders by case id, in table order.
pub(super) const BUILDERS: &[(&str, Builder)] = &[
    ("saml.status-responder", status_responder),
    (
        "saml.error-response-forged-assertion",
        error_response_forged_assertion,
    ),
    ("saml.status-missing", status_missing),
    ("saml.version-not-2", version_not_2),
    ("saml.response-id-missing", response_id_missing),
    ("saml.issue-instant-malformed", issue_instant_malformed),
    ("saml.destination-wrong", destination_wrong),
    ("saml.destination-empty", destination_empty),
    ("saml.destination-missing", destination_missing),
    ("saml.recipient-wrong", recipient_wrong),
    ("saml.in-response-to-wrong", in_response_to_wrong),
    ("saml.unsolicited", unsolicited),
    ("saml.audience-wrong", audience_wrong),
    ("saml.audience-empty", audience_empty),
    ("saml.audience-missing", audience_missing),
    ("saml.audience-second-wrong", audience_second_wrong),
    ("saml.assertion-issuer-wrong", assertion_issuer_wrong),
    ("saml.response-issuer-wrong", response_issuer_wrong),
    ("saml.assertion-issuer-missing", assertion_issuer_missing),
    ("saml.response-issuer-missing", response_issuer_missing),
    ("saml.clock-not-yet-valid", clock_not_yet_valid),
    ("saml.clock-expired", clock_expired),
    (
        "saml.clock-confirmation-expired",
        clock_confirmation_expired,
    ),
    ("saml.not-yet-valid-inside-skew", not_yet_valid_inside_skew),
    (
        "saml.not-yet-valid-outside-skew",
        not_yet_valid_outside_skew,
    ),
    ("saml.expired-inside-skew", expired_inside_skew),
    ("saml.expired-outside-skew", expired_outside_skew),
    (
        "saml.confirmation-expired-inside-skew",
        confirmation_expired_inside_skew,
    ),
    (
        "saml.confirmation-expired-outside-skew",
        confirmation_expired_outside_skew,
    ),
    ("saml.not-bearer", not_bearer),
    ("saml.no-authn-statement", no_authn_statement),
    ("saml.nameid-empty", nameid_empty),
    ("saml.nameid-missing", nameid_missing),
    ("saml.duplicate-attribute", duplicate_attribute),
    ("saml.conditions-missing", conditions_missing),
    ("saml.not-on-or-after-malformed", not_on_or_after_malformed),
    ("saml.not-before-malformed", not_before_malformed),
    ("saml.confirmation-data-missing", confirmation_data_missing),
    (
        "saml.confirmation-no-not-on-or-after",
        confirmation_no_not_on_or_after,
    ),
    ("saml.confirmation-no-recipient", confirmation_no_recipient),
    ("saml.issuer-format-wrong", issuer_format_wrong),
    ("saml.assertion-version-missing", assertion_version_missing),
    ("saml.response-version-missing", response_version_missing),
    (
        "saml.subject-confirmation-missing",
        subject_confirmation_missing,
    ),
    ("saml.assertion-for-other-sp", assertion_for_other_sp),
];

/// The valid response with `edit` applied to the unsigned assertion bytes before signing.
fn assertion_variant(ctx: &CaseContext<'_>, edit: fn(&str) -> Result<String>) -> Result<BuiltCase> {
    let a = edit(&assertion_xml(&ctx.spec))?;
    Ok(post(
        ctx,
        &both_signed_from(&ctx.spec, &a, &idp_opts(ctx))?,
        false,
    ))
}

/// The valid response with `edit` applied to the unsigned Response bytes before signing it
/// (the assertion inside is already signed).
fn response_variant(ctx: &CaseContext<'_>, edit: fn(&str) -> Result<String>) -> Result<BuiltCase> {
    let r = edit(&response_xml(&ctx.spec, &signed_assertion(ctx)?))?;
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

const WRONG_URL: &str = "https://wrong.idgate.invalid/acs";

const WRONG_ENTITY: &str = "https://wrong.idgate.invalid/";

fn root_attr(xml: &str, name: &str, value: Option<&str>) -> Result<String> {
    splice::set_attr(xml, &splice::root(xml)?, name, value)
}

fn status_responder(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.status_code = "urn:oasis:names:tc:SAML:2.0:status:Responder".into()
    })
}

fn status_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    response_variant(ctx, |r| splice::remove_first(r, "samlp:Status"))
}

fn version_not_2(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let a = root_attr(&assertion_xml(&ctx.spec), "Version", Some("1.1"))?;
    let signed = sign::sign_assertion(&a, &idp_opts(ctx))?;
    let r = root_attr(&response_xml(&ctx.spec, &signed), "Version", Some("1.1"))?;
    Ok(post(ctx, &sign::sign_response(&r, &idp_opts(ctx))?, false))
}

fn response_id_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    // Without an ID the Response cannot be signed; the assertion still is.
    let r = response_xml(&ctx.spec, &signed_assertion(ctx)?);
    Ok(post(ctx, &root_attr(&r, "ID", None)?, false))
}

fn issue_instant_malformed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    response_variant(ctx, |r| {
        root_attr(r, "IssueInstant", Some("not-a-dateTime"))
    })
}

fn destination_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = Some(WRONG_URL.into()))
}

fn destination_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = Some(String::new()))
}

fn destination_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.destination = None)
}

fn recipient_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.recipient = WRONG_URL.into())
}

fn in_response_to_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.in_response_to = Some("_idgate-never-requested".into())
    })
}

fn unsolicited(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.in_response_to = None)
}

fn audience_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.audience = WRONG_ENTITY.into())
}

fn audience_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| s.audience = String::new())
}

fn audience_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:AudienceRestriction"))
}

fn audience_second_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        splice::insert_after(
            a,
            "saml:AudienceRestriction",
            &format!(
                "<saml:AudienceRestriction><saml:Audience>{WRONG_ENTITY}</saml:Audience>\
                 </saml:AudienceRestriction>"
            ),
        )
    })
}

/// Assertion and Response with their own issuers (`None`: no Issuer element).
fn issuers(
    ctx: &CaseContext<'_>,
    assertion: Option<&str>,
    response: Option<&str>,
) -> Result<BuiltCase> {
    let opts = idp_opts(ctx);
    let mut a_spec = ctx.spec.clone();
    a_spec.issuer = assertion.unwrap_or("").into();
    let mut a = assertion_xml(&a_spec);
    if assertion.is_none() {
        a = splice::remove_first(&a, "saml:Issuer")?;
    }
    let a = sign::sign_assertion(&a, &opts)?;
    let mut r_spec = ctx.spec.clone();
    r_spec.issuer = response.unwrap_or("").into();
    let mut r = response_xml(&r_spec, &a);
    if response.is_none() {
        r = splice::remove_first(&r, "saml:Issuer")?;
    }
    Ok(post(ctx, &sign::sign_response(&r, &opts)?, false))
}

fn assertion_issuer_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(WRONG_ENTITY), Some(&ctx.spec.issuer))
}

fn response_issuer_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(&ctx.spec.issuer), Some(WRONG_ENTITY))
}

fn assertion_issuer_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, None, Some(&ctx.spec.issuer))
}

fn response_issuer_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issuers(ctx, Some(&ctx.spec.issuer), None)
}

/// Issued at `start` with five minutes of validity, as from an IdP whose clock is off.
fn issued_at(ctx: &CaseContext<'_>, start: OffsetDateTime) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.shift_times(start - spec.issue_instant);
    spec.not_before = start;
    Ok(post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false))
}

// The probes of the clock measurement: `ctx.probe` before NotBefore, or after a NotOnOrAfter.
fn clock_not_yet_valid(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issued_at(ctx, ctx.now + ctx.probe)
}

fn clock_expired(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.probe, false)
}

fn clock_confirmation_expired(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.probe, true)
}

fn not_yet_valid_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issued_at(ctx, ctx.now + ctx.skew - ctx.margin())
}

fn not_yet_valid_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    issued_at(ctx, ctx.now + ctx.skew + ctx.margin())
}

/// A response whose Conditions (or, with `confirmation`, SubjectConfirmationData) ended at
/// `end`; the other limit stays five minutes ahead.
fn ended_at(ctx: &CaseContext<'_>, end: OffsetDateTime, confirmation: bool) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.issue_instant = end - Duration::minutes(2);
    spec.not_before = spec.issue_instant;
    let later = ctx.now + Duration::minutes(5);
    if confirmation {
        spec.confirmation_not_on_or_after = end;
        spec.not_on_or_after = later;
    } else {
        spec.not_on_or_after = end;
        spec.confirmation_not_on_or_after = later;
    }
    Ok(post(ctx, &both_signed(&spec, &idp_opts(ctx))?, false))
}

fn expired_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew + ctx.margin(), false)
}

fn expired_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew - ctx.margin(), false)
}

fn confirmation_expired_inside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew + ctx.margin(), true)
}

fn confirmation_expired_outside_skew(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    ended_at(ctx, ctx.now - ctx.skew - ctx.margin(), true)
}

fn not_bearer(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        splice::replace_first(
            a,
            CM_BEARER,
            "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches",
        )
    })
}

fn no_authn_statement(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:AuthnStatement"))
}

fn nameid_empty(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::set_inner(a, "saml:NameID", ""))
}

/// The IdP's signed error Response (Status Responder, no Assertion) with a forged, unsigned
/// Assertion in a `ds:Object` of its Signature, outside what the signature covers: an SP that
/// checks the signature, ignores the status and reads any Assertion in the document logs the
/// forged identity in.
fn error_response_forged_assertion(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let mut spec = ctx.spec.clone();
    spec.status_code = "urn:oasis:names:tc:SAML:2.0:status:Responder".into();
    let signed = sign::sign_response(&response_xml(&spec, ""), &idp_opts(ctx))?;
    let forged = assertion_xml(&ctx.forged());
    let signed = splice::append_into(
        &signed,
        "ds:Signature",
        &format!("<ds:Object>{forged}</ds:Object>"),
    )?;
    Ok(post(ctx, &signed, true))
}

/// The signed Assertion with one attribute of its first `qname` element set (or removed).
fn assertion_attr(xml: &str, qname: &str, name: &str, value: Option<&str>) -> Result<String> {
    let e = splice::first(xml, qname)?;
    splice::set_attr(xml, &e, name, value)
}

fn conditions_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:Conditions"))
}

fn not_on_or_after_malformed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        assertion_attr(a, "saml:Conditions", "NotOnOrAfter", Some("never"))
    })
}

fn not_before_malformed(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        assertion_attr(a, "saml:Conditions", "NotBefore", Some("yesterday"))
    })
}

fn confirmation_data_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        splice::remove_first(a, "saml:SubjectConfirmationData")
    })
}

fn confirmation_no_not_on_or_after(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        assertion_attr(a, "saml:SubjectConfirmationData", "NotOnOrAfter", None)
    })
}

fn confirmation_no_recipient(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        assertion_attr(a, "saml:SubjectConfirmationData", "Recipient", None)
    })
}

fn issuer_format_wrong(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| {
        // The Issuer has no Format to change: one is added (attributes sorted, as canonical).
        let issuer = splice::first(a, "saml:Issuer")?;
        Ok(splice::insert(
            a,
            issuer.inner_start - 1,
            " Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\"",
        ))
    })
}

fn response_version_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    response_variant(ctx, |r| root_attr(r, "Version", None))
}

fn subject_confirmation_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:SubjectConfirmation"))
}

fn assertion_version_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| root_attr(a, "Version", None))
}

fn nameid_missing(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    assertion_variant(ctx, |a| splice::remove_first(a, "saml:NameID"))
}

fn duplicate_attribute(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    let name = ctx
        .spec
        .attributes
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "email".into());
    let mut w = Canonical::inside(&[("saml", SAML)]);
    w.start(
        "saml:Attribute",
        &[("Name", &name), ("NameFormat", ATTRNAME_BASIC)],
    );
    w.leaf("saml:AttributeValue", &[], &ctx.forged_name_id);
    w.end();
    let extra = w.finish();
    let a = splice::insert_after(&assertion_xml(&ctx.spec), "saml:Attribute", &extra)?;
    Ok(post(
        ctx,
        &both_signed_from(&ctx.spec, &a, &idp_opts(ctx))?,
        true,
    ))
}

fn assertion_for_other_sp(ctx: &CaseContext<'_>) -> Result<BuiltCase> {
    spec_variant(ctx, |s| {
        s.audience = "https://other-sp.idgate.invalid/".into();
        s.recipient = "https://other-sp.idgate.invalid/acs".into();
        s.destination = Some(s.recipient.clone());
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::cases::{build, tests::Keys};

    #[test]
    fn timing_cases_straddle_the_skew() {
        let keys = Keys::new();
        let mut ctx = keys.ctx();
        ctx.skew = Duration::minutes(2);
        let not_on_or_after = |id: &str| {
            let xml = build(id, &ctx).unwrap().xml;
            let c = splice::first(&xml, "saml:Conditions").unwrap();
            let tag = &xml[c.start..c.inner_start];
            let v = tag.split("NotOnOrAfter=\"").nth(1).unwrap();
            OffsetDateTime::parse(&v[..20], &time::format_description::well_known::Rfc3339).unwrap()
        };
        let inside = not_on_or_after("saml.expired-inside-skew");
        let outside = not_on_or_after("saml.expired-outside-skew");
        let limit = (ctx.now - ctx.skew).replace_nanosecond(0).unwrap();
        assert!(
            inside > limit && outside < limit,
            "{inside} {outside} {limit}"
        );
    }
}
