//! Fault switches: each one makes the reference server break exactly one rule, so a test can
//! prove that the check guarding that rule notices.

use std::fmt;
use std::str::FromStr;

/// Declares the enum and its name, description and broken check id from one table, so the
/// three can never drift apart.
macro_rules! faults {
    ($($variant:ident => $name:literal, $breaks:literal, $description:literal;)*) => {
        /// One deliberate deviation from SCIM 2.0 (or from what Microsoft Entra ID expects), or
        /// from the SAML 2.0 Web Browser SSO profile.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $(#[doc = $description] $variant,)*
        }

        impl Fault {
            /// Every fault, in the order `idgate serve --list-faults` shows them.
            pub const ALL: &[Fault] = &[$(Fault::$variant,)*];

            /// The kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// One line saying what the server does wrong while the fault is on.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => $description,)* }
            }

            /// The id of the check this fault is meant to make fail.
            pub fn breaks(self) -> &'static str {
                match self { $(Fault::$variant => $breaks,)* }
            }

            /// Which part of the reference target the fault is in: `"scim"` or `"saml"`.
            pub fn area(self) -> &'static str {
                match self.breaks().split_once('.') {
                    Some(("saml", _)) => "saml",
                    _ => "scim",
                }
            }
        }
    };
}

faults! {
    EmptyFilter404 => "empty-filter-404", "scim.entra.test-connection-empty-list",
        "a filter that matches nothing answers 404 instead of an empty ListResponse";
    FilterIgnored => "filter-ignored", "scim.filter.username-eq",
        "the filter parameter on /Users is ignored and every user is returned";
    UsernameCaseSensitive => "username-case-sensitive", "scim.filter.username-case-insensitive",
        "userName in filters is compared case-sensitively";
    ExternalIdFilterUnsupported => "externalid-filter-unsupported", "scim.filter.externalid-eq",
        "a filter on externalId is rejected with 400 invalidFilter";
    ListResponseBare => "list-response-bare", "scim.list-response.fields",
        "ListResponses omit startIndex and itemsPerPage";
    RejectScimContentType => "reject-scim-content-type", "scim.create.201",
        "requests sent as `application/scim+json; charset=utf-8` are refused with 415";
    NoLocationHeader => "no-location-header", "scim.create.location",
        "201 Created responses carry no Location header";
    ContentTypeJson => "content-type-json", "scim.response.content-type",
        "responses are labelled application/json instead of application/scim+json";
    DuplicateUsernameAccepted => "duplicate-username-accepted", "scim.create.duplicate-409",
        "a user with an already taken userName is created (201) instead of 409";
    CreateDropsName => "create-drops-name", "scim.create.stored-as-sent",
        "POST /Users silently drops the name attribute";
    CaseSensitiveOps => "case-sensitive-ops", "scim.patch.op-case-insensitive",
        "PATCH accepts only lowercase ops; \"Replace\" is 400 invalidSyntax";
    FilterPathNeedsExisting => "filter-path-needs-existing", "scim.patch.filter-path",
        "add/replace on emails[type eq \"work\"].value without a matching email is 400 noTarget";
    IgnoreUrnPath => "ignore-urn-path", "scim.patch.urn-path",
        "PATCH operations with a URN-qualified path are silently skipped";
    DottedKeysLiteral => "dotted-keys-literal", "scim.patch.dotted-keys",
        "path-less PATCH keys like name.givenName are stored as literal top-level attributes";
    AddRequiresExisting => "add-requires-existing", "scim.patch.add-single-value",
        "PATCH add to an absent single-valued attribute is 400 noTarget";
    ManagerIgnored => "manager-ignored", "scim.patch.manager",
        "PATCH operations on the enterprise manager are silently ignored";
    ManagerObjectOnly => "manager-object-only", "scim.entra.manager-plain-id",
        "a manager given as a plain string id is 400 invalidValue";
    RejectStringBooleans => "reject-string-booleans", "scim.entra.disable-string-boolean",
        "string booleans such as \"False\" are 400 invalidValue";
    StringActiveEchoed => "string-active-echoed", "scim.disable.active-false",
        "string booleans are stored and returned as strings (\"active\":\"False\")";
    SoftDeleteVanishes => "soft-delete-vanishes", "scim.disable.still-readable",
        "users with active false answer 404 and are missing from lists and filters";
    DeleteReturns200 => "delete-returns-200", "scim.delete.204",
        "DELETE answers 200 with the deleted resource instead of 204";
    DeleteIsNoop => "delete-is-noop", "scim.delete.gone",
        "DELETE answers 204 but the resource stays";
    ErrorStatusInteger => "error-status-integer", "scim.schema.error",
        "Error bodies carry status as an integer instead of a string";
    GroupExtraSchemaRejected => "group-extra-schema-rejected", "scim.group.create-201",
        "POST /Groups with any schema URN besides the core Group is 400 invalidValue";
    GroupDuplicateAllowed => "group-duplicate-allowed", "scim.group.displayname-unique",
        "a group with an already taken displayName is accepted";
    GroupFilterIgnored => "group-filter-ignored", "scim.group.filter-displayname",
        "the filter parameter on /Groups is ignored and every group is returned";
    IgnoreExcludedAttributes => "ignore-excluded-attributes", "scim.group.excluded-attributes",
        "excludedAttributes is ignored on /Groups, so members are always returned";
    GroupRenameIgnored => "group-rename-ignored", "scim.group.rename",
        "PATCH replace of a group's displayName answers 204 but changes nothing";
    RejectNullRef => "reject-null-ref", "scim.group.member-add",
        "group members given with \"$ref\": null are 400 invalidValue";
    RejectLegacyMemberRemove => "reject-legacy-member-remove", "scim.group.member-remove-legacy",
        "remove with path members and a value list is 400 invalidValue";
    LegacyRemoveClearsAll => "legacy-remove-clears-all", "scim.group.member-remove-exact",
        "remove with path members and a value list removes every member";
    MemberFilterRemoveIgnored => "member-filter-remove-ignored", "scim.group.member-remove-filter",
        "remove of members[value eq \"id\"] answers 204 but removes nothing";
    UnknownMemberFailsPatch => "unknown-member-fails-patch", "scim.group.remove-unknown-member",
        "removing a member that is not in the group rejects the whole PATCH with 400 noTarget";
    Schemas404 => "schemas-404", "scim.discovery.schemas",
        "/Schemas answers 404";
    Spc404 => "spc-404", "scim.discovery.service-provider-config",
        "/ServiceProviderConfig answers 404";
    ResourceTypes404 => "resource-types-404", "scim.discovery.resource-types",
        "/ResourceTypes answers 404";
    IgnoreCount => "ignore-count", "scim.pagination.count",
        "the count parameter is ignored and every result is returned";
    ZeroBasedStartIndex => "zero-based-start-index", "scim.pagination.start-index",
        "startIndex is read as 0-based: startIndex=1 skips the first result and echoes 0";
    EmptyPatch500 => "empty-patch-500", "scim.patch.empty-operations",
        "PATCH with an empty Operations array answers 500";
    NoAuth => "no-auth", "scim.auth.token-required",
        "requests without an Authorization header are accepted";
    AnyTokenAccepted => "any-token-accepted", "scim.auth.token-verified",
        "any bearer token is accepted (a missing header is still 401)";
    // SAML service provider.
    AcceptsUnsigned => "accepts-unsigned", "saml.unsigned",
        "a Response with no signature at all is accepted";
    TrustsKeyinfoCert => "trusts-keyinfo-cert", "saml.attacker-key",
        "signatures are verified with the certificate in their own KeyInfo, not the configured one";
    IdentityFromUnsignedElement => "identity-from-unsigned-element", "saml.xsw3",
        "once a signature verifies, the identity is read from the first Assertion in the document, signed or not";
    HmacKeyedWithCert => "hmac-keyed-with-cert", "saml.hmac-with-idp-cert",
        "HMAC-SHA256 signatures are accepted, keyed with the IdP certificate's PEM text";
    RejectsDsDefaultNamespace => "rejects-ds-default-namespace", "saml.ds-default-namespace",
        "signatures are looked up by the ds: prefix, so one in the default namespace is not found";
    RejectsPrettyPrinted => "rejects-pretty-printed", "saml.pretty-printed",
        "whitespace between elements is stripped before verifying, so pretty-printed signed XML fails";
    NameidTruncatedAtComment => "nameid-truncated-at-comment", "saml.comment-in-nameid",
        "the NameID is read up to its first comment instead of as its whole text";
    ResolvesExternalEntities => "resolves-external-entities", "saml.xxe-external-entity",
        "a DOCTYPE is allowed and its entities expanded, external ones fetched (loopback URLs only)";
    IgnoresStatus => "ignores-status", "saml.status-responder",
        "the top-level StatusCode is not checked";
    IgnoresVersion => "ignores-version", "saml.version-not-2",
        "the Version of the Response and the Assertion is not checked";
    IgnoresDestination => "ignores-destination", "saml.destination-wrong",
        "the Response's Destination is not compared with the ACS URL";
    DestinationOptional => "destination-optional", "saml.destination-missing",
        "a Response without Destination is accepted (only a present one is compared)";
    IgnoresRecipient => "ignores-recipient", "saml.recipient-wrong",
        "SubjectConfirmationData Recipient is not compared with the ACS URL";
    IgnoresInResponseTo => "ignores-in-response-to", "saml.in-response-to-wrong",
        "InResponseTo is not matched against the AuthnRequests the SP sent";
    IgnoresAudience => "ignores-audience", "saml.audience-wrong",
        "AudienceRestriction is not checked";
    AnyAudienceRestriction => "any-audience-restriction", "saml.audience-second-wrong",
        "one AudienceRestriction naming the SP is enough, even if another names only someone else";
    IgnoresIssuer => "ignores-issuer", "saml.assertion-issuer-wrong",
        "the Response and Assertion Issuers are not compared with the IdP entity ID";
    IgnoresNotBefore => "ignores-not-before", "saml.not-yet-valid-outside-skew",
        "Conditions NotBefore is not checked";
    IgnoresNotOnOrAfter => "ignores-not-on-or-after", "saml.expired-outside-skew",
        "Conditions NotOnOrAfter is not checked";
    IgnoresConfirmationExpiry => "ignores-confirmation-expiry", "saml.confirmation-expired-outside-skew",
        "SubjectConfirmationData NotOnOrAfter is not checked";
    NoSkew => "no-skew", "saml.expired-inside-skew",
        "times are compared without the clock skew allowance, so a response just inside it is refused";
    AcceptsNotBearer => "accepts-not-bearer", "saml.not-bearer",
        "any SubjectConfirmation method is accepted, not only bearer";
    AuthnStatementOptional => "authn-statement-optional", "saml.no-authn-statement",
        "an Assertion without an AuthnStatement is accepted";
    DuplicateAttributesAllowed => "duplicate-attributes-allowed", "saml.duplicate-attribute",
        "an Attribute name given twice is accepted (the last one wins)";
    NoReplayCache => "no-replay-cache", "saml.replay-same-response",
        "consumed Response and Assertion IDs are not remembered, so a response can be posted again";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        if let Some(fault) = Fault::ALL
            .iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
        {
            return Ok(*fault);
        }
        let closest = idgate_core::diagnostic::suggest(wanted, Fault::ALL.iter().map(|f| f.name()));
        let mut message = format!("unknown fault `{wanted}`");
        if let Some(name) = closest {
            message.push_str(&format!("; did you mean `{name}`?"));
        }
        message.push_str(" (run `idgate serve --list-faults` to see them all)");
        Err(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = HashSet::new();
        for fault in Fault::ALL {
            assert!(seen.insert(fault.name()), "duplicate name {}", fault.name());
            assert_eq!(fault.name().parse::<Fault>(), Ok(*fault));
            assert_eq!(fault.to_string(), fault.name());
            assert!(fault.breaks().starts_with(&format!("{}.", fault.area())));
            assert!(!fault.description().is_empty());
        }
        let saml = Fault::ALL.iter().filter(|f| f.area() == "saml").count();
        assert_eq!((Fault::ALL.len() - saml, saml), (41, 25));
    }

    #[test]
    fn unknown_name_suggests_the_closest() {
        let err = "filter-ignord".parse::<Fault>().unwrap_err();
        assert!(err.contains("did you mean `filter-ignored`?"), "{err}");
        assert!(err.contains("idgate serve --list-faults"), "{err}");
        let err = "zzzzzz".parse::<Fault>().unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }
}
