//! SAML 2.0 `Response` and `Assertion` messages, written directly in exclusive canonical form.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::canonical::Canonical;

/// `Format` of an e-mail NameID.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// The success status code.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// The bearer subject confirmation method (the only one Web Browser SSO allows).
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// `NameFormat` of an attribute with a short name.
pub const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
/// `NameFormat` of an attribute named by a URI.
pub const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
/// Claim URI of the e-mail address (WS-Federation claim names, as Entra ID and AD FS send).
pub const CLAIM_EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
/// Claim URI of the given name.
pub const CLAIM_GIVEN_NAME: &str =
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
/// Claim URI of the surname.
pub const CLAIM_SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";

const PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

/// One `saml:Attribute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `Name`.
    pub name: String,
    /// `NameFormat`; `None` leaves the attribute out (the SAML default is `unspecified`).
    pub name_format: Option<String>,
    /// One `saml:AttributeValue` each.
    pub values: Vec<String>,
}

impl Attribute {
    /// An attribute with a short name (`NameFormat` basic).
    pub fn basic(name: &str, value: &str) -> Attribute {
        Attribute {
            name: name.into(),
            name_format: Some(ATTRNAME_BASIC.into()),
            values: vec![value.into()],
        }
    }

    /// An attribute named by a claim URI (`NameFormat` uri).
    pub fn uri(name: &str, value: &str) -> Attribute {
        Attribute {
            name: name.into(),
            name_format: Some(ATTRNAME_URI.into()),
            values: vec![value.into()],
        }
    }
}

/// `email`, `firstName`, `lastName` as short names and again as the claim URIs, so an SP mapped
/// to either naming finds its claims.
pub fn standard_attributes(email: &str, given_name: &str, surname: &str) -> Vec<Attribute> {
    vec![
        Attribute::basic("email", email),
        Attribute::basic("firstName", given_name),
        Attribute::basic("lastName", surname),
        Attribute::uri(CLAIM_EMAIL, email),
        Attribute::uri(CLAIM_GIVEN_NAME, given_name),
        Attribute::uri(CLAIM_SURNAME, surname),
    ]
}

/// Everything a Response and its Assertion say. [`ResponseSpec::new`] fills a valid one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    /// The IdP's entity ID, written as both `saml:Issuer`s.
    pub issuer: String,
    /// The Response's `Destination` (the ACS URL); `None` leaves it out.
    pub destination: Option<String>,
    /// `SubjectConfirmationData/@Recipient` (the ACS URL).
    pub recipient: String,
    /// The one `saml:Audience` (the SP's entity ID).
    pub audience: String,
    /// The subject's `saml:NameID` text.
    pub name_id: String,
    /// `NameID/@Format`.
    pub name_id_format: String,
    /// `saml:AttributeStatement` content; empty leaves the statement out.
    pub attributes: Vec<Attribute>,
    /// `InResponseTo` on the Response and the confirmation data; `None` for an unsolicited one.
    pub in_response_to: Option<String>,
    /// `IssueInstant` of both, and the `AuthnInstant`.
    pub issue_instant: OffsetDateTime,
    /// `Conditions/@NotBefore`.
    pub not_before: OffsetDateTime,
    /// `Conditions/@NotOnOrAfter`.
    pub not_on_or_after: OffsetDateTime,
    /// `SubjectConfirmationData/@NotOnOrAfter`.
    pub confirmation_not_on_or_after: OffsetDateTime,
    /// `AuthnStatement/@SessionIndex`; `None` leaves it out.
    pub session_index: Option<String>,
    /// The Response's `ID`.
    pub response_id: String,
    /// The Assertion's `ID`.
    pub assertion_id: String,
    /// Top-level `StatusCode/@Value`.
    pub status_code: String,
    /// Write times with milliseconds (`2026-01-02T03:04:05.678Z`), as some IdPs do.
    pub millis: bool,
    /// Indent elements with newlines (still canonical: the whitespace is part of what is signed).
    pub pretty: bool,
    /// Give each `AttributeValue` `xsi:type="xs:string"`. The `xs` prefix is then used only
    /// inside an attribute value, so signatures must keep it with an InclusiveNamespaces
    /// PrefixList of `xs` (see `SignOptions::inclusive_prefixes`).
    pub typed_values: bool,
}

/// A fresh XML ID: `_` and a UUID, since an xs:ID may not start with a digit.
pub fn new_id() -> String {
    format!("_{}", uuid::Uuid::new_v4().simple())
}

impl ResponseSpec {
    /// A valid response for `name_id` from IdP `issuer` to the SP `audience` at `acs_url`:
    /// issued `now`, valid from a minute before for five minutes, with the standard attributes
    /// (given name `Test`, surname `User`), unsolicited until `in_response_to` is set.
    pub fn new(
        issuer: &str,
        acs_url: &str,
        audience: &str,
        name_id: &str,
        now: OffsetDateTime,
    ) -> ResponseSpec {
        ResponseSpec {
            issuer: issuer.into(),
            destination: Some(acs_url.into()),
            recipient: acs_url.into(),
            audience: audience.into(),
            name_id: name_id.into(),
            name_id_format: NAMEID_EMAIL.into(),
            attributes: standard_attributes(name_id, "Test", "User"),
            in_response_to: None,
            issue_instant: now,
            not_before: now - Duration::minutes(1),
            not_on_or_after: now + Duration::minutes(5),
            confirmation_not_on_or_after: now + Duration::minutes(5),
            session_index: Some(new_id()),
            response_id: new_id(),
            assertion_id: new_id(),
            status_code: STATUS_SUCCESS.into(),
            millis: false,
            pretty: false,
            typed_values: false,
        }
    }

    /// The same message for another subject: NameID and every attribute value equal to the old
    /// NameID now name `name_id` (the e-mail claims follow the NameID).
    pub fn for_subject(&self, name_id: &str) -> ResponseSpec {
        let mut spec = self.clone();
        for a in &mut spec.attributes {
            for v in &mut a.values {
                if *v == self.name_id {
                    *v = name_id.into();
                }
            }
        }
        spec.name_id = name_id.into();
        spec
    }

    /// Moves every time in the message by `by`.
    pub fn shift_times(&mut self, by: Duration) {
        self.issue_instant += by;
        self.not_before += by;
        self.not_on_or_after += by;
        self.confirmation_not_on_or_after += by;
    }

    /// `t` as an xs:dateTime in UTC, with milliseconds when `millis` is set.
    pub fn time(&self, t: OffsetDateTime) -> String {
        const SECONDS: &[FormatItem<'_>] =
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        const MILLIS: &[FormatItem<'_>] = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        let t = t.to_offset(UtcOffset::UTC);
        t.format(if self.millis { MILLIS } else { SECONDS })
            .unwrap_or_default()
    }
}

/// The `saml:Assertion`, unsigned, canonical as the apex of its own subset.
pub fn assertion_xml(spec: &ResponseSpec) -> String {
    let issue = spec.time(spec.issue_instant);
    let inclusive: &[&str] = if spec.typed_values { &["xs"] } else { &[] };
    let mut w = Canonical::new().pretty(spec.pretty);
    w.start_including(
        "saml:Assertion",
        &[
            ("ID", &spec.assertion_id),
            ("IssueInstant", &issue),
            ("Version", "2.0"),
        ],
        inclusive,
    );
    w.leaf("saml:Issuer", &[], &spec.issuer);

    w.start("saml:Subject", &[]);
    w.leaf(
        "saml:NameID",
        &[("Format", &spec.name_id_format)],
        &spec.name_id,
    );
    w.start("saml:SubjectConfirmation", &[("Method", CM_BEARER)]);
    let until = spec.time(spec.confirmation_not_on_or_after);
    let mut data = vec![
        ("NotOnOrAfter", until.as_str()),
        ("Recipient", &spec.recipient),
    ];
    if let Some(irt) = &spec.in_response_to {
        data.push(("InResponseTo", irt));
    }
    w.leaf("saml:SubjectConfirmationData", &data, "");
    w.end();
    w.end();

    let (nb, noa) = (spec.time(spec.not_before), spec.time(spec.not_on_or_after));
    w.start(
        "saml:Conditions",
        &[("NotBefore", &nb), ("NotOnOrAfter", &noa)],
    );
    w.start("saml:AudienceRestriction", &[]);
    w.leaf("saml:Audience", &[], &spec.audience);
    w.end();
    w.end();

    let mut authn = vec![("AuthnInstant", issue.as_str())];
    if let Some(s) = &spec.session_index {
        authn.push(("SessionIndex", s));
    }
    w.start("saml:AuthnStatement", &authn);
    w.start("saml:AuthnContext", &[]);
    w.leaf("saml:AuthnContextClassRef", &[], PASSWORD_PROTECTED);
    w.end();
    w.end();

    if !spec.attributes.is_empty() {
        w.start("saml:AttributeStatement", &[]);
        for a in &spec.attributes {
            let mut attrs = vec![("Name", a.name.as_str())];
            if let Some(f) = &a.name_format {
                attrs.push(("NameFormat", f));
            }
            w.start("saml:Attribute", &attrs);
            for v in &a.values {
                if spec.typed_values {
                    w.leaf("saml:AttributeValue", &[("xsi:type", "xs:string")], v);
                } else {
                    w.leaf("saml:AttributeValue", &[], v);
                }
            }
            w.end();
        }
        w.end();
    }
    w.end();
    w.finish()
}

/// The `samlp:Response` around `body` (assertions, signed or not, kept byte for byte after the
/// Status), canonical as the apex of its own subset.
pub fn response_xml(spec: &ResponseSpec, body: &str) -> String {
    let issue = spec.time(spec.issue_instant);
    let mut attrs = vec![
        ("ID", spec.response_id.as_str()),
        ("IssueInstant", &issue),
        ("Version", "2.0"),
    ];
    if let Some(d) = &spec.destination {
        attrs.push(("Destination", d));
    }
    if let Some(irt) = &spec.in_response_to {
        attrs.push(("InResponseTo", irt));
    }
    let mut w = Canonical::new().pretty(spec.pretty);
    w.start("samlp:Response", &attrs);
    w.leaf("saml:Issuer", &[], &spec.issuer);
    w.start("samlp:Status", &[]);
    w.leaf("samlp:StatusCode", &[("Value", &spec.status_code)], "");
    w.end();
    if !body.is_empty() {
        w.raw(body);
    }
    w.end();
    w.finish()
}

/// A whole document: the XML declaration, then `root`.
pub fn document(root: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{root}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::canonical::{SAML, SAMLP};
    use time::macros::datetime;

    fn spec() -> ResponseSpec {
        let mut s = ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example/acs?a=1&b=2",
            "https://sp.example/",
            "alice@example.com",
            datetime!(2026-01-02 03:04:05.678 UTC),
        );
        s.response_id = "_r".into();
        s.assertion_id = "_a".into();
        s.session_index = Some("_s".into());
        s
    }

    #[test]
    fn times_are_utc_with_optional_millis() {
        let mut s = spec();
        assert_eq!(s.time(s.issue_instant), "2026-01-02T03:04:05Z");
        s.millis = true;
        assert_eq!(s.time(s.issue_instant), "2026-01-02T03:04:05.678Z");
        let other = datetime!(2026-01-02 05:04:05 +2);
        assert_eq!(s.time(other), "2026-01-02T03:04:05.000Z");
    }

    #[test]
    fn assertion_is_canonical() {
        let xml = assertion_xml(&spec());
        assert!(
            xml.starts_with(&format!(
                "<saml:Assertion xmlns:saml=\"{SAML}\" ID=\"_a\" IssueInstant=\"2026-01-02T03:04:05Z\" \
                 Version=\"2.0\"><saml:Issuer>https://idp.example/</saml:Issuer><saml:Subject>\
                 <saml:NameID Format=\"{NAMEID_EMAIL}\">alice@example.com</saml:NameID>"
            )),
            "{xml}"
        );
        // Escaped URL, sorted attributes, empty element with an end tag.
        assert!(xml.contains(
            "<saml:SubjectConfirmationData NotOnOrAfter=\"2026-01-02T03:09:05Z\" \
             Recipient=\"https://sp.example/acs?a=1&amp;b=2\"></saml:SubjectConfirmationData>"
        ));
        assert!(!xml.contains("/>"));
        assert_eq!(xml.matches("xmlns:").count(), 1);
        assert!(xml.ends_with("</saml:Assertion>"));
    }

    #[test]
    fn response_wraps_body_unchanged() {
        let s = spec();
        let body = assertion_xml(&s);
        let xml = response_xml(&s, &body);
        assert!(xml.starts_with(&format!(
            "<samlp:Response xmlns:samlp=\"{SAMLP}\" Destination=\"https://sp.example/acs?a=1&amp;b=2\" \
             ID=\"_r\" IssueInstant=\"2026-01-02T03:04:05Z\" Version=\"2.0\">\
             <saml:Issuer xmlns:saml=\"{SAML}\">https://idp.example/</saml:Issuer><samlp:Status>\
             <samlp:StatusCode Value=\"{STATUS_SUCCESS}\"></samlp:StatusCode></samlp:Status><saml:Assertion"
        )));
        assert!(xml.contains(&body));
    }

    #[test]
    fn in_response_to_is_written_in_both_places() {
        let mut s = spec();
        s.in_response_to = Some("_req".into());
        assert!(assertion_xml(&s).contains("InResponseTo=\"_req\" NotOnOrAfter="));
        assert!(response_xml(&s, "").contains(" ID=\"_r\" InResponseTo=\"_req\" IssueInstant="));
    }

    #[test]
    fn claims_come_as_short_names_and_uris() {
        let xml = assertion_xml(&spec());
        for name in [
            "email",
            "firstName",
            "lastName",
            CLAIM_EMAIL,
            CLAIM_GIVEN_NAME,
            CLAIM_SURNAME,
        ] {
            assert!(xml.contains(&format!("Name=\"{name}\"")), "{name}");
        }
    }

    #[test]
    fn typed_values_declare_xs_on_the_assertion() {
        let mut s = spec();
        s.typed_values = true;
        let xml = assertion_xml(&s);
        assert!(xml.starts_with(&format!(
            "<saml:Assertion xmlns:saml=\"{SAML}\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" ID="
        )));
        assert!(xml.contains(
            "<saml:AttributeValue xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:type=\"xs:string\">alice@example.com</saml:AttributeValue>"
        ));
    }

    #[test]
    fn for_subject_renames_nameid_and_email_claims() {
        let s = spec().for_subject("bob@example.com");
        let xml = assertion_xml(&s);
        assert!(!xml.contains("alice"));
        assert_eq!(xml.matches("bob@example.com").count(), 3);
    }
}
