//! The Web Browser SSO profile's rules (SAML 2.0 profiles 4.1.4), applied to the Response and
//! to the one Assertion the signatures protect.

use bergshamra::xml::uppsala::{Document, NodeId};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::document::{self, SAML, SAMLP, attr, first_text, text};
use super::signature::Outcome;
use super::{Faults, Rejection, SpConfig};
use crate::fault::Fault;

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Claim names read for the user record: short names, LDAP-style names, the WS-Federation claim
/// URIs Entra ID and AD FS send, and the OIDs of the LDAP attribute profile.
const EMAIL: &[&str] = &[
    "email",
    "mail",
    "emailAddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];
const GIVEN_NAME: &[&str] = &[
    "firstName",
    "givenName",
    "given_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
];
const SURNAME: &[&str] = &[
    "lastName",
    "surname",
    "sn",
    "family_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
];

/// The one Format an Issuer may name (SAML 2.0 core §8.3.6).
const NAMEID_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// How the rules find elements: by namespace and local name, or, under the
/// `prefix-read-as-namespace` fault, by the prefix as written (`saml:Subject`).
#[derive(Clone, Copy)]
struct Names {
    by_prefix: bool,
}

impl Names {
    fn is(self, doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> bool {
        if !self.by_prefix {
            return document::is(doc, id, ns, local);
        }
        let prefix = match ns {
            SAML => "saml",
            SAMLP => "samlp",
            _ => return document::is(doc, id, ns, local),
        };
        doc.element(id)
            .is_some_and(|e| e.name.prefix.as_deref() == Some(prefix) && e.name.local_name == local)
    }

    fn children(self, doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
        document::child_elements(doc, id)
            .filter(|c| self.is(doc, *c, ns, local))
            .collect()
    }

    fn child(self, doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        document::child_elements(doc, id).find(|c| self.is(doc, *c, ns, local))
    }
}

/// What an accepted Response says, before the checks that need the SP's memory (InResponseTo
/// and replay).
#[derive(Debug, Clone)]
pub struct Login {
    pub name_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Every attribute as (name, first value), for the session.
    pub attributes: Vec<(String, String)>,
    pub response_id: String,
    pub assertion_id: String,
    /// The request this answers, if any (Response and confirmation agree).
    pub in_response_to: Option<String>,
    /// Until when the IDs must be remembered to refuse a replay.
    pub valid_until: OffsetDateTime,
}

/// Applies every rule that needs only the message, the signature outcomes and the clock.
pub fn check(
    doc: &Document<'_>,
    signatures: &[Outcome],
    cfg: &SpConfig,
    faults: &Faults,
    now: OffsetDateTime,
) -> Result<Login, Rejection> {
    let fault = |f: Fault| faults.contains(&f);
    let reject = |why: String| Err(Rejection::new(why));
    let skew = if fault(Fault::NoSkew) {
        Duration::ZERO
    } else {
        cfg.skew
    };
    let times = Times {
        lenient: fault(Fault::MalformedTimeIgnored),
    };

    let Some(root) = doc.document_element() else {
        return reject("no document element".into());
    };
    if !document::is(doc, root, SAMLP, "Response") {
        return reject("the document element is not a samlp:Response".into());
    }

    // Which assertion the signatures protect decides whose identity this is: nothing else is
    // read from any other element.
    let assertion = protected_assertion(doc, root, signatures, faults)?;
    let response_signed = signatures
        .iter()
        .any(|o| o.parent == root && o.result.is_ok());
    // A fault: what is read is found by prefix, not by namespace, from here on.
    let names = Names {
        by_prefix: fault(Fault::PrefixReadAsNamespace),
    };
    let child = |id: NodeId, ns: &str, local: &str| names.child(doc, id, ns, local);

    // The Response.
    if !fault(Fault::IgnoresVersion) && attr(doc, root, "Version") != Some("2.0") {
        return reject("Response Version is not 2.0".into());
    }
    let response_id = match attr(doc, root, "ID") {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => return reject("Response has no ID".into()),
    };
    times
        .attr(doc, root, "IssueInstant", "Response IssueInstant")?
        .ok_or_else(|| Rejection::new("Response has no IssueInstant"))?;
    if !fault(Fault::IgnoresDestination) {
        match attr(doc, root, "Destination") {
            Some(d) if d == cfg.acs_url => {}
            Some(d) => return reject(format!("Destination {d:?} is not this ACS URL")),
            // SAML bindings 3.5.5.2 requires it on a signed Response; the catalogue requires it
            // always, and so does this SP.
            None if fault(Fault::DestinationOptional) => {}
            None => return reject("Response has no Destination".into()),
        }
    }
    match child(root, SAML, "Issuer") {
        Some(issuer) => {
            let issuer = text(doc, issuer);
            if !fault(Fault::IgnoresIssuer) && issuer.trim() != cfg.idp_entity_id {
                return reject(format!("Response Issuer {issuer:?} is not the IdP"));
            }
        }
        None if response_signed && !fault(Fault::IgnoresIssuer) => {
            return reject("signed Response has no Issuer".into());
        }
        None => {}
    }
    // Core §3.2.2 lets the IdP put anything of another namespace there; this SP reads none.
    if fault(Fault::ExtensionsRefused) && child(root, SAMLP, "Extensions").is_some() {
        return reject("Response has Extensions".into());
    }
    // A fault: an Assertion found is taken as the success the Status should have said.
    if !fault(Fault::IgnoresStatus) && !fault(Fault::AssertionMeansSuccess) {
        let code = child(root, SAMLP, "Status")
            .and_then(|s| child(s, SAMLP, "StatusCode"))
            .and_then(|c| attr(doc, c, "Value"));
        match code {
            Some(STATUS_SUCCESS) => {}
            Some(other) => return reject(format!("Status is {other}")),
            None => return reject("Response has no Status".into()),
        }
    }
    let response_irt = attr(doc, root, "InResponseTo").map(str::to_string);

    // The Assertion: the protected one, or (a fault) the first one by its prefixed name.
    let a = match names.by_prefix {
        true => child(root, SAML, "Assertion").unwrap_or(assertion),
        false => assertion,
    };
    if !fault(Fault::IgnoresVersion) && attr(doc, a, "Version") != Some("2.0") {
        return reject("Assertion Version is not 2.0".into());
    }
    let assertion_id = match attr(doc, a, "ID") {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => return reject("Assertion has no ID".into()),
    };
    times
        .attr(doc, a, "IssueInstant", "Assertion IssueInstant")?
        .ok_or_else(|| Rejection::new("Assertion has no IssueInstant"))?;
    if !fault(Fault::IgnoresIssuer) {
        match child(a, SAML, "Issuer").map(|i| text(doc, i)) {
            Some(issuer) if issuer.trim() == cfg.idp_entity_id => {}
            Some(issuer) => return reject(format!("Assertion Issuer {issuer:?} is not the IdP")),
            None => return reject("Assertion has no Issuer".into()),
        }
    }
    // Profiles §4.1.4.2: the Issuer's Format, if given, is the entity format.
    if let Some(format) = child(a, SAML, "Issuer").and_then(|i| attr(doc, i, "Format"))
        && format != NAMEID_ENTITY
        && !fault(Fault::IssuerFormatIgnored)
    {
        return reject(format!(
            "Assertion Issuer has Format {format:?}, not the entity format"
        ));
    }

    let subject =
        child(a, SAML, "Subject").ok_or_else(|| Rejection::new("Assertion has no Subject"))?;
    let name_id_el =
        child(subject, SAML, "NameID").ok_or_else(|| Rejection::new("Subject has no NameID"))?;
    let name_id = if fault(Fault::NameidTruncatedAtComment) {
        first_text(doc, name_id_el)
    } else {
        text(doc, name_id_el)
    };
    let name_id = name_id.trim().to_string();
    if name_id.is_empty() {
        return reject("NameID is empty".into());
    }

    // At least one bearer confirmation whose data holds.
    let confirmations = names.children(doc, subject, SAML, "SubjectConfirmation");
    let mut confirmation_irt = None;
    let mut confirmation_until = None;
    let mut confirmed = confirmations.is_empty() && fault(Fault::SubjectConfirmationOptional);
    let mut why_not = "Subject has no SubjectConfirmation".to_string();
    let rules = Confirm {
        cfg,
        faults,
        names,
        times,
        now,
        skew,
    };
    for sc in confirmations {
        if !fault(Fault::AcceptsNotBearer) && attr(doc, sc, "Method") != Some(CM_BEARER) {
            why_not = "no bearer SubjectConfirmation".into();
            continue;
        }
        match rules.confirmation(doc, sc) {
            Ok((irt, until)) => {
                confirmation_irt = irt;
                confirmation_until = until;
                confirmed = true;
                break;
            }
            Err(e) => why_not = e,
        }
    }
    if !confirmed {
        return reject(why_not);
    }
    let in_response_to = match (response_irt, confirmation_irt) {
        (Some(r), Some(c)) if r != c => {
            return reject("Response and SubjectConfirmationData name different requests".into());
        }
        (r, c) => r.or(c),
    };

    let mut conditions_until = None;
    match child(a, SAML, "Conditions") {
        Some(conditions) => {
            if let Some(nb) = times.attr(doc, conditions, "NotBefore", "Conditions NotBefore")?
                && !fault(Fault::IgnoresNotBefore)
                && now + skew < nb
            {
                return reject(format!("Assertion not valid before {}", show(nb)));
            }
            conditions_until =
                times.attr(doc, conditions, "NotOnOrAfter", "Conditions NotOnOrAfter")?;
            if let Some(noa) = conditions_until
                && !fault(Fault::IgnoresNotOnOrAfter)
                && now - skew >= noa
            {
                return reject(format!("Assertion expired at {}", show(noa)));
            }
            if !fault(Fault::IgnoresAudience) {
                audiences(doc, names, conditions, cfg, faults)?;
            }
        }
        // A fault: no Conditions, so no window and no audience to check.
        None if fault(Fault::ConditionsOptional) => {}
        None => return reject("Assertion has no Conditions".into()),
    }

    if !fault(Fault::AuthnStatementOptional) && child(a, SAML, "AuthnStatement").is_none() {
        return reject("Assertion has no AuthnStatement".into());
    }

    // A fault: the attributes of whichever Assertion comes last, though the identity is the
    // signed one's.
    let attributes_from = match fault(Fault::AttributesFromLastAssertion) {
        true => names
            .children(doc, root, SAML, "Assertion")
            .last()
            .copied()
            .unwrap_or(a),
        false => a,
    };
    let attributes = attributes(doc, names, attributes_from, faults)?;
    let claim = |names: &[&str]| {
        attributes
            .iter()
            .rev()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| v.clone())
    };
    let name_id_is_email = attr(doc, name_id_el, "Format") == Some(NAMEID_EMAIL);
    // The NameID is the user's address when it says so; the claim only fills in otherwise.
    let email = if fault(Fault::AttributeValueFirstNode) {
        // A fault: the first e-mail attribute, read short, is the address whatever the NameID.
        attributes
            .iter()
            .find(|(n, _)| EMAIL.contains(&n.as_str()))
            .map(|(_, v)| v.clone())
    } else if name_id_is_email {
        Some(name_id.clone())
    } else {
        claim(EMAIL)
    };
    if let Some(email) = &email
        && !cfg.allowed_email_domains.is_empty()
    {
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        if !cfg
            .allowed_email_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
        {
            return reject(format!("e-mail {email:?} is outside the allowed domains"));
        }
    }

    // IDs are remembered for as long as any time in the message allows it (at least the skew).
    let valid_until = [conditions_until, confirmation_until]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now)
        + skew;
    Ok(Login {
        name_id,
        email,
        first_name: claim(GIVEN_NAME),
        last_name: claim(SURNAME),
        attributes: attributes.clone(),
        response_id,
        assertion_id,
        in_response_to,
        valid_until,
    })
}

/// The Assertion whose content the signatures vouch for: the only Assertion of a signed
/// Response, or the only Assertion, itself carrying a valid signature. Every signature on the
/// Response or on one of its Assertions must verify; signatures elsewhere protect nothing
/// consumed and are ignored.
fn protected_assertion(
    doc: &Document<'_>,
    root: NodeId,
    signatures: &[Outcome],
    faults: &Faults,
) -> Result<NodeId, Rejection> {
    let fault = |f: Fault| faults.contains(&f);
    let by_namespace = Names { by_prefix: false };
    if by_namespace
        .child(doc, root, SAML, "EncryptedAssertion")
        .is_some()
    {
        return Err(Rejection::new("encrypted assertions are not supported"));
    }
    let assertions = by_namespace.children(doc, root, SAML, "Assertion");
    for o in signatures {
        if let Err(e) = &o.result
            && (o.parent == root || assertions.contains(&o.parent))
        {
            let on = if o.parent == root {
                "Response"
            } else {
                "Assertion"
            };
            return Err(Rejection::new(format!(
                "the {on} signature is invalid: {e}"
            )));
        }
    }
    let response_signed = signatures.iter().any(|o| o.parent == root);
    let signed: Vec<NodeId> = assertions
        .iter()
        .copied()
        .filter(|a| signatures.iter().any(|o| o.parent == *a))
        .collect();

    if signatures.is_empty() && fault(Fault::AcceptsUnsigned) {
        return assertions
            .first()
            .copied()
            .ok_or_else(|| Rejection::new("Response has no Assertion"));
    }
    if fault(Fault::IdentityFromUnsignedElement) {
        if !response_signed && signed.is_empty() {
            return Err(Rejection::new(
                "neither the Response nor an Assertion is signed",
            ));
        }
        return first_assertion_below(doc, root);
    }
    // A fault: a signed Response with no Assertion of its own has one wherever one is found.
    if response_signed && assertions.is_empty() && fault(Fault::AssertionMeansSuccess) {
        return first_assertion_below(doc, root);
    }
    // Faults: the signed Assertion found again by its ID, an ID of another kind counting too.
    if let (false, [_, _, ..], [signed_one]) =
        (response_signed, assertions.as_slice(), signed.as_slice())
        && let Some(id) = attr(doc, *signed_one, "ID")
    {
        let lookup = |a: &NodeId| -> bool {
            doc.element(*a).is_some_and(|e| {
                e.attributes.iter().any(|at| {
                    let name = &at.name;
                    let id_attribute = name.local_name == "ID"
                        && (name.namespace_uri.is_none() || fault(Fault::NamespacedIdAccepted));
                    let xml_id = fault(Fault::XmlIdAccepted)
                        && name.prefix.as_deref() == Some("xml")
                        && name.local_name == "id";
                    (id_attribute || xml_id) && at.value == id
                })
            })
        };
        if fault(Fault::NamespacedIdAccepted) || fault(Fault::XmlIdAccepted) {
            return Ok(assertions
                .iter()
                .copied()
                .find(lookup)
                .unwrap_or(*signed_one));
        }
    }
    match (response_signed, assertions.as_slice(), signed.as_slice()) {
        (_, [], _) => Err(Rejection::new("Response has no Assertion")),
        (true, [one], _) => Ok(*one),
        (false, [one], [signed_one]) if one == signed_one => Ok(*one),
        // A fault: several Assertions, each signed, are taken; the first one counts.
        (false, [first, _, ..], signed_all)
            if signed_all.len() == assertions.len()
                && fault(Fault::SeveralSignedAssertionsTaken) =>
        {
            Ok(*first)
        }
        // A fault: several Assertions, one signed, are taken (the signed one for identity).
        (false, [_, _, ..], [signed_one]) if fault(Fault::AttributesFromLastAssertion) => {
            Ok(*signed_one)
        }
        (false, _, []) => Err(Rejection::new(
            "neither the Response nor an Assertion is signed",
        )),
        _ => Err(Rejection::new(
            "more than one Assertion: only one, and only the signed one, is consumed",
        )),
    }
}

/// The first SAML Assertion anywhere below `root`, as `.//saml:Assertion` finds it (faults only).
fn first_assertion_below(doc: &Document<'_>, root: NodeId) -> Result<NodeId, Rejection> {
    doc.descendants(root)
        .into_iter()
        .find(|d| document::is(doc, *d, SAML, "Assertion"))
        .ok_or_else(|| Rejection::new("Response has no Assertion"))
}

/// What a bearer `SubjectConfirmation` is checked against.
struct Confirm<'a> {
    cfg: &'a SpConfig,
    faults: &'a Faults,
    names: Names,
    times: Times,
    now: OffsetDateTime,
    skew: Duration,
}

impl Confirm<'_> {
    /// Checks one bearer `SubjectConfirmation`; returns its InResponseTo and NotOnOrAfter
    /// (none only under the `confirmation-data-optional` fault).
    fn confirmation(
        &self,
        doc: &Document<'_>,
        sc: NodeId,
    ) -> Result<(Option<String>, Option<OffsetDateTime>), String> {
        let fault = |f: Fault| self.faults.contains(&f);
        let Some(data) = self.names.child(doc, sc, SAML, "SubjectConfirmationData") else {
            if fault(Fault::ConfirmationDataOptional) {
                return Ok((None, None));
            }
            return Err("SubjectConfirmation has no SubjectConfirmationData".into());
        };
        if !fault(Fault::IgnoresRecipient) {
            match attr(doc, data, "Recipient") {
                Some(r) if r == self.cfg.acs_url => {}
                Some(r) => return Err(format!("Recipient {r:?} is not this ACS URL")),
                None => return Err("SubjectConfirmationData has no Recipient".into()),
            }
        }
        let until = self
            .times
            .attr(
                doc,
                data,
                "NotOnOrAfter",
                "SubjectConfirmationData NotOnOrAfter",
            )
            .map_err(|r| r.reason)?;
        let until = match until {
            Some(t) => Some(t),
            None if fault(Fault::ConfirmationDataOptional) => None,
            None => return Err("SubjectConfirmationData has no NotOnOrAfter".into()),
        };
        if let Some(until) = until
            && !fault(Fault::IgnoresConfirmationExpiry)
            && self.now - self.skew >= until
        {
            return Err(format!(
                "SubjectConfirmationData expired at {}",
                show(until)
            ));
        }
        if let Some(nb) = self
            .times
            .attr(doc, data, "NotBefore", "SubjectConfirmationData NotBefore")
            .map_err(|r| r.reason)?
            && self.now + self.skew < nb
        {
            return Err(format!(
                "SubjectConfirmationData not valid before {}",
                show(nb)
            ));
        }
        Ok((attr(doc, data, "InResponseTo").map(str::to_string), until))
    }
}

/// Every AudienceRestriction must name this SP (SAML core 2.5.1.4), and there must be one
/// (profiles 4.1.4.2).
fn audiences(
    doc: &Document<'_>,
    names: Names,
    conditions: NodeId,
    cfg: &SpConfig,
    faults: &Faults,
) -> Result<(), Rejection> {
    let restrictions = names.children(doc, conditions, SAML, "AudienceRestriction");
    if restrictions.is_empty() {
        return Err(Rejection::new("Conditions have no AudienceRestriction"));
    }
    let names_us = |r: &NodeId| {
        names
            .children(doc, *r, SAML, "Audience")
            .iter()
            .any(|au| text(doc, *au).trim() == cfg.entity_id)
    };
    let ok = if faults.contains(&Fault::AnyAudienceRestriction) {
        restrictions.iter().any(names_us)
    } else {
        restrictions.iter().all(names_us)
    };
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(format!(
            "an AudienceRestriction does not name {}",
            cfg.entity_id
        )))
    }
}

/// Every Attribute of every AttributeStatement as (name, first value); a name given twice is
/// refused, since which one counts would be a guess.
fn attributes(
    doc: &Document<'_>,
    names: Names,
    assertion: NodeId,
    faults: &Faults,
) -> Result<Vec<(String, String)>, Rejection> {
    let mut out: Vec<(String, String)> = Vec::new();
    for statement in names.children(doc, assertion, SAML, "AttributeStatement") {
        for a in names.children(doc, statement, SAML, "Attribute") {
            let name = attr(doc, a, "Name").unwrap_or_default().to_string();
            if out.iter().any(|(n, _)| *n == name)
                && !faults.contains(&Fault::DuplicateAttributesAllowed)
            {
                return Err(Rejection::new(format!("Attribute {name:?} appears twice")));
            }
            let values = names.children(doc, a, SAML, "AttributeValue");
            if values.len() > 1 && faults.contains(&Fault::MultiValuedAttributeRefused) {
                return Err(Rejection::new(format!(
                    "Attribute {name:?} has more than one value"
                )));
            }
            let value = match values.first() {
                // A fault: the first child node only, as `firstChild.nodeValue` reads it.
                Some(v) if faults.contains(&Fault::AttributeValueFirstNode) => {
                    document::first_node_text(doc, *v)
                }
                Some(v) => text(doc, *v),
                None => String::new(),
            };
            out.push((name, value.trim().to_string()));
        }
    }
    Ok(out)
}

/// `t` as in the message, for reasons.
fn show(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// How xs:dateTime attributes are read: strictly, or (the `malformed-time-ignored` fault) with
/// a value that is no time taken as no value.
#[derive(Clone, Copy)]
struct Times {
    lenient: bool,
}

impl Times {
    /// An optional xs:dateTime attribute; present but malformed is a rejection.
    fn attr(
        self,
        doc: &Document<'_>,
        id: NodeId,
        name: &str,
        what: &str,
    ) -> Result<Option<OffsetDateTime>, Rejection> {
        match attr(doc, id, name) {
            None => Ok(None),
            Some(v) => match OffsetDateTime::parse(v, &Rfc3339) {
                Ok(t) => Ok(Some(t)),
                Err(_) if self.lenient => Ok(None),
                Err(_) => Err(Rejection::new(format!(
                    "{what} {v:?} is not an xs:dateTime"
                ))),
            },
        }
    }
}
