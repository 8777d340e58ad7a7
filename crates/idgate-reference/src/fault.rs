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

            /// Which part of the reference target the fault is in: `"scim"`, `"saml"`, or
            /// `"load"` (how the SCIM server bears `idgate load`).
            pub fn area(self) -> &'static str {
                match self.breaks().split_once('.') {
                    Some(("saml", _)) => "saml",
                    Some(("load", _)) => "load",
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
    UnsupportedAs404 => "unsupported-as-404", "rfc7644.me",
        "/Me and /.search, which the server does not offer, answer 404 instead of 501";
    SchemasOptional => "schemas-optional", "rfc7644.validate.missing-schemas-400",
        "a User or Group without `schemas` is created, and answered, without them";
    UnknownPathIgnored => "unknown-path-ignored", "rfc7644.patch.unknown-path-400",
        "a PATCH path naming an attribute the schema does not define is stored as a new key";
    SortIgnored => "sort-ignored", "rfc7644.sort.ascending",
        "sortBy is accepted and ignored: lists come back in store order";
    SortOrderIgnored => "sort-order-ignored", "rfc7644.sort.descending",
        "sortOrder=descending is ignored: lists always sort ascending";
    EtagMissing => "etag-missing", "rfc7644.etag.header",
        "single-resource replies carry no ETag header, though etag is advertised";
    EtagNotVersion => "etag-not-version", "rfc7644.etag.matches-version",
        "the ETag header is the strong form of meta.version, so the two differ";
    IfNoneMatchIgnored => "if-none-match-ignored", "rfc7644.etag.not-modified-304",
        "a read with If-None-Match of the current version answers 200 with the body, not 304";
    IfMatchIgnored => "if-match-ignored", "rfc7644.etag.precondition-412",
        "a write with a stale If-Match is applied instead of refused with 412";
    CursorIgnored => "cursor-ignored", "rfc7644.cursor.first-page",
        "the cursor parameter is ignored: lists page by index and carry no nextCursor";
    CursorPreviousOnFirstPage => "cursor-previous-on-first-page", "rfc7644.cursor.no-previous-on-first",
        "the first cursor page carries a previousCursor";
    CursorRepeatsPage => "cursor-repeats-page", "rfc7644.cursor.next-page",
        "nextCursor names the page just served, so the walk never advances";
    CursorNextOnLastPage => "cursor-next-on-last-page", "rfc7644.cursor.none-after-last",
        "the last cursor page still carries a nextCursor";
    CursorForgedAccepted => "cursor-forged-accepted", "rfc7644.cursor.invalid-400",
        "a cursor the server never issued is answered with the first page";
    FilterUnadvertisedIgnored => "filter-unadvertised-ignored", "rfc7644.filter.unadvertised-not-ignored",
        "/ServiceProviderConfig says filtering is unsupported, and a filter is answered 200 with every user";
    ChangePasswordRefused => "change-password-refused", "rfc7644.change-password.patch",
        "a PATCH that replaces the password is refused with 400, though changePassword is advertised";
    SpcFeatureMissing => "spc-feature-missing", "rfc7644.discovery.spc-features",
        "/ServiceProviderConfig leaves out changePassword";
    SpcLimitsMissing => "spc-limits-missing", "rfc7644.discovery.spc-limits",
        "/ServiceProviderConfig leaves out filter.maxResults";
    SpcNoAuthSchemes => "spc-no-auth-schemes", "rfc7644.discovery.spc-authentication-schemes",
        "/ServiceProviderConfig leaves out authenticationSchemes";
    ResourceTypesNoGroup => "resource-types-no-group", "rfc7644.discovery.resource-type-group",
        "/ResourceTypes lists User but not Group, though /Groups is served";
    UnknownSchema200 => "unknown-schema-200", "rfc7644.discovery.schema-unknown-404",
        "/Schemas/{id} of an unknown schema answers 200 (with the Error body)";
    NoWwwAuthenticate => "no-www-authenticate", "rfc7644.auth.www-authenticate",
        "a 401 on /Users carries no WWW-Authenticate header";
    WwwAuthenticateBasic => "www-authenticate-basic", "rfc7644.auth.www-authenticate-bearer",
        "a 401 on /Users challenges for Basic, though only a bearer token is advertised";
    UnknownUser400 => "unknown-user-400", "rfc7644.errors.unknown-id-404",
        "reading a user id that does not exist answers 400 instead of 404";
    UnknownGroup400 => "unknown-group-400", "rfc7644.errors.unknown-group-404",
        "reading a group id that does not exist answers 400 instead of 404";
    ErrorWithoutSchemas => "error-without-schemas", "rfc7644.errors.error-schema",
        "the 404 for an unknown user has no `schemas` naming the Error message";
    UnsupportedMethod404 => "unsupported-method-404", "rfc7644.errors.method-not-allowed",
        "DELETE /Users answers 404 instead of 405 (or 501)";
    SpcPatchable => "spc-patchable", "rfc7644.errors.discovery-read-only",
        "PATCH /ServiceProviderConfig answers 204 as if the configuration could be changed";
    UnknownEndpoint200 => "unknown-endpoint-200", "rfc7644.errors.unknown-endpoint-404",
        "a GET of an endpoint that does not exist answers 200";
    CreateReturns200 => "create-returns-200", "rfc7644.create.201",
        "a user is created with 200 instead of 201";
    CreateWithoutSchemas => "create-without-schemas", "rfc7644.create.returns-resource",
        "the created user comes back without `schemas`";
    CreateWithoutLastModified => "create-without-last-modified", "rfc7644.create.meta",
        "the created user's meta has no lastModified";
    ActiveAsString => "active-as-string", "rfc7644.create.boolean-active",
        "the created user's `active` comes back as the string \"true\"";
    ExtensionDropped => "extension-dropped", "rfc7644.create.extension-stored",
        "the created user comes back without its enterprise extension";
    ReadWithoutUserName => "read-without-username", "rfc7644.read.200",
        "GET /Users/{id} answers without userName";
    LocationDiffers => "location-differs", "rfc7644.read.location-matches",
        "GET /Users/{id} gives a meta.location other than the Location of the create";
    CreatedMoves => "created-moves", "rfc7644.read.created-stable",
        "GET /Users/{id} gives a meta.created other than the one the create answered";
    ConflictWithoutScimType => "conflict-without-scim-type", "rfc7644.unique.scim-type",
        "the 409 for a duplicate userName has no scimType";
    MissingUserNameAccepted => "missing-username-accepted", "rfc7644.validate.missing-username-400",
        "a user without userName is answered 201";
    PasswordReturned => "password-returned", "rfc7644.password.never-returned",
        "the user created with a password comes back with it";
    FilterErrorWrongType => "filter-error-wrong-type", "rfc7644.filter.invalid-filter-type",
        "a 400 for a bad filter says scimType invalidSyntax instead of invalidFilter";
    ReplaceRefused => "replace-refused", "rfc7644.patch.replace",
        "a user PATCH with a replace operation is refused with 400";
    Patch200WithoutBody => "patch-200-without-body", "rfc7644.patch.returns-resource",
        "a user PATCH answers 200 with an empty object instead of the resource";
    AddRefused => "add-refused", "rfc7644.patch.add-multi-valued",
        "a user PATCH with an add operation is refused with 400";
    UrnPathRefused => "urn-path-refused", "rfc7644.patch.extension-path",
        "a user PATCH whose path is URN-qualified is refused with 400 invalidPath";
    ValuePathRefused => "value-path-refused", "rfc7644.patch.value-path",
        "a user PATCH whose path has a [type eq ...] filter is refused with 400 invalidPath";
    JsonBooleanRefused => "json-boolean-refused", "rfc7644.patch.boolean",
        "a user PATCH with the JSON boolean false as its value is refused with 400";
    RemoveRefused => "remove-refused", "rfc7644.patch.remove",
        "a user PATCH with a remove operation is refused with 400";
    NoTargetWrongType => "no-target-wrong-type", "rfc7644.patch.no-target",
        "every 400 to a user PATCH says scimType invalidValue";
    MutabilityWrongType => "mutability-wrong-type", "rfc7644.patch.mutability",
        "the 400 for a PATCH of `id` says scimType invalidValue instead of mutability";
    PatchUnknownId400 => "patch-unknown-id-400", "rfc7644.patch.unknown-id-404",
        "a PATCH of a user id that does not exist answers 400 instead of 404";
    PutReturns204 => "put-returns-204", "rfc7644.put.200",
        "a user PUT answers 204 with no body instead of 200 with the resource";
    PutUnknownId400 => "put-unknown-id-400", "rfc7644.put.unknown-id-404",
        "a PUT of a user id that does not exist answers 400 instead of 404";
    GroupCreateDropsMembers => "group-create-drops-members", "rfc7644.group.create-201",
        "the created group comes back without its members";
    GroupWithoutCreated => "group-without-created", "rfc7644.group.meta",
        "the created group's meta has no created";
    UserGroupsEmpty => "user-groups-empty", "rfc7644.group.user-groups",
        "a user's `groups` is always empty, even when groups list them";
    Search500 => "search-500", "rfc7644.search.post",
        "POST /Users/.search answers 500";
    FilterNamesCaseSensitive => "filter-names-case-sensitive", "rfc7644.filter.names-case-insensitive",
        "attribute names in filters match only as the schema spells them (USERNAME finds nobody)";
    CoAsSw => "co-as-sw", "rfc7644.filter.co",
        "`co` in a filter is evaluated as `sw`";
    AndAsOr => "and-as-or", "rfc7644.filter.and",
        "`and` in a filter is evaluated as `or`";
    NotIgnored => "not-ignored", "rfc7644.filter.not",
        "`not (...)` in a filter is evaluated as the expression inside";
    GtAsLt => "gt-as-lt", "rfc7644.filter.gt-datetime",
        "`gt` in a filter is evaluated as `lt`";
    SubAttributeMatchesNothing => "sub-attribute-matches-nothing", "rfc7644.filter.sub-attribute",
        "a filter on a sub-attribute (emails.value, meta.created) matches nobody";
    ValuePathMatchesNothing => "value-path-matches-nothing", "rfc7644.filter.value-path",
        "a value-path filter (emails[type eq \"work\"]) matches nobody";
    AttributesIgnored => "attributes-ignored", "rfc7644.read.attributes",
        "the attributes parameter is ignored: every attribute is returned";
    UserExcludedAttributesIgnored => "user-excluded-attributes-ignored", "rfc7644.read.excluded-attributes",
        "excludedAttributes is ignored on /Users";
    ClientIdTaken => "client-id-taken", "rfc7644.create.id-assigned",
        "a user created with an id of the client's choosing keeps it";
    TotalCountsEveryone => "total-counts-everyone", "rfc7644.page.total-results",
        "a filtered list's totalResults counts every resource, not the matching ones";
    StartIndexIgnored => "start-index-ignored", "rfc7644.page.no-overlap",
        "startIndex is ignored: every page is the first";
    PastTheEnd500 => "past-the-end-500", "rfc7644.page.past-the-end",
        "a startIndex past the last result answers 500";
    PastTheEndLastPage => "past-the-end-last-page", "rfc7644.page.past-the-end-empty",
        "a startIndex past the last result serves the last page again";
    RemoveIgnored => "remove-ignored", "rfc7644.patch.remove-applied",
        "a PATCH remove of a user attribute answers success and removes nothing";
    RemoveWithoutPathIgnored => "remove-without-path-ignored", "rfc7644.patch.remove-without-path-400",
        "a PATCH remove without a path is skipped instead of refused with 400 noTarget";
    PatchNotAtomic => "patch-not-atomic", "rfc7644.patch.atomic",
        "when one PATCH operation fails, those before it stay applied";
    UnknownOpIgnored => "unknown-op-ignored", "rfc7644.patch.invalid-op-400",
        "a PATCH operation with an unknown op is skipped instead of refused";
    PatchSchemasOptional => "patch-schemas-optional", "rfc7644.patch.missing-schemas-400",
        "a PATCH without the PatchOp schemas is applied";
    ReadOnlyIgnored => "read-only-ignored", "rfc7644.patch.read-only-400",
        "a PATCH of a readOnly attribute (id) is dropped silently and answered with success";
    LastModifiedFrozen => "last-modified-frozen", "rfc7644.meta.last-modified-changes",
        "a PUT leaves meta.lastModified as it was";
    PutMerges => "put-merges", "rfc7644.put.replaces",
        "a PUT keeps the attributes its body leaves out, like a PATCH";
    PutResetsCreated => "put-resets-created", "rfc7644.meta.created-kept",
        "a PUT sets meta.created to the time of the replacement";
    PutTakesId => "put-takes-id", "rfc7644.put.id-kept",
        "a PUT whose body has another id answers with that id";
    PutOtherId500 => "put-other-id-500", "rfc7644.put.id-not-taken",
        "a PUT whose body has another id answers 500";
    DuplicateMember409 => "duplicate-member-409", "rfc7644.group.duplicate-add-accepted",
        "adding a member that is already in the group is refused with 409";
    DuplicateMemberKept => "duplicate-member-kept", "rfc7644.group.no-duplicate-member",
        "adding a member that is already in the group lists it twice";
    UnknownMemberStored => "unknown-member-stored", "rfc7644.group.unknown-member-refused",
        "a member id that names no resource is stored";
    MalformedMemberStored => "malformed-member-stored", "rfc7644.group.malformed-member-400",
        "string attributes take any JSON value, so a member whose value is an object is stored";
    PrMatchesAll => "pr-matches-all", "rfc7644.filter.pr",
        "`pr` in a filter is true whether or not the attribute has a value";
    ValuePathAcrossElements => "value-path-across-elements", "rfc7644.filter.value-path-same-element",
        "the parts of an `and` inside [...] may be met by different elements of the attribute";
    DeletedMemberKept => "deleted-member-kept", "rfc7644.group.deleted-member-removed",
        "a deleted user is gone, but stays listed in the members of its groups";
    SwAsEq => "sw-as-eq", "rfc7644.filter.sw",
        "`sw` in a filter is evaluated as `eq`";
    EwAsSw => "ew-as-sw", "rfc7644.filter.ew",
        "`ew` in a filter is evaluated as `sw`";
    OrAsAnd => "or-as-and", "rfc7644.filter.or",
        "`or` in a filter is evaluated as `and`";
    ReplaceIgnored => "replace-ignored", "rfc7644.patch.replace-applied",
        "a PATCH replace of a user attribute answers success and changes nothing";
    MultiValuedAddIgnored => "multi-valued-add-ignored", "rfc7644.patch.add-multi-valued-applied",
        "a PATCH add to a multi-valued user attribute answers success and adds nothing";
    ValuePathIgnored => "value-path-ignored", "rfc7644.patch.value-path-applied",
        "a PATCH replace through a value path (emails[type eq \"work\"].value) changes nothing";
    SearchIgnoresFilter => "search-ignores-filter", "rfc7644.search.filters",
        "POST /.search ignores the filter of its SearchRequest and returns everyone";
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
    // The SCIM server under `idgate load`.
    SlowAnswers => "slow-answers", "load.requests-per-second",
        "every SCIM answer is held 250 ms, so a client with a few requests in flight is served fewer than 25 a second";
    Throttles => "throttles", "load.requests-per-second",
        "more than 10 SCIM requests in a second are answered 429 with Retry-After: 1, so fewer than 25 a second are served";
    CreatesRefused => "creates-refused", "load.no-quarantine",
        "every POST /Users answers 500: each user of a first cycle fails, and from 5,000 failures Entra quarantines";
    MemberAddsRefused => "member-adds-refused", "load.every-object-provisioned",
        "every PATCH of a group answers 500: memberships fail as reference failures, which quarantine leaves out";
    // SAML service provider.
    AcceptsUnsigned => "accepts-unsigned", "saml.unsigned",
        "a Response with no signature at all is accepted";
    TrustsKeyinfoCert => "trusts-keyinfo-cert", "saml.attacker-key",
        "signatures are verified with the certificate in their own KeyInfo, not the configured one";
    IdentityFromUnsignedElement => "identity-from-unsigned-element", "saml.xsw3",
        "once a signature verifies, the identity is read from the first Assertion in the document, signed or not";
    SignatureCoversAnything => "signature-covers-anything", "saml.response-in-advice",
        "a valid signature counts for the element it sits in, whatever its Reference names";
    SignatureFoundAnywhere => "signature-found-anywhere", "saml.decoy-signature-in-attribute",
        "a Signature anywhere below an Assertion (an AttributeValue) is taken as the Assertion's own, its Reference not held to that Assertion (the lax lookup and the lax binding a decoy needs together)";
    NamespacedIdAccepted => "namespaced-id-accepted", "saml.id-attribute-pollution",
        "the signed Assertion is looked up again by the ID its signature vouched for, among several, and an attribute named ID in any namespace counts: the first match is read (the lookup and the several Assertions it needs)";
    XmlIdAccepted => "xml-id-accepted", "saml.xml-id-decoy",
        "the verifier knows IDs by ID alone, but the signed Assertion is then looked up again among several by an ID lookup in which xml:id counts too: the first match is read (the two lookups that disagree and the several Assertions a decoy needs)";
    PrefixReadAsNamespace => "prefix-read-as-namespace", "saml.namespace-confusion",
        "signatures are checked by namespace, but the Assertion read is the first element written saml:Assertion, and its parts are read by prefix too, whatever namespace the prefix is bound to";
    SeveralReferencesAllowed => "several-references-allowed", "saml.two-references",
        "a SignedInfo with several References is accepted when each names the signed element and its digest holds";
    ForeignReferenceMeansParent => "foreign-reference-means-parent", "saml.reference-relative-uri",
        "a Reference URI that is no same-document reference (assertion.xml) is taken to name the element the signature sits in, and checked against its digest";
    SeveralSignedAssertionsTaken => "several-signed-assertions-taken", "saml.two-signed-subjects-forged-last",
        "a Response with several Assertions, each signed, is taken, and the first one counts";
    IssuerFormatIgnored => "issuer-format-ignored", "saml.issuer-format-wrong",
        "an Assertion Issuer's Format is not checked";
    RelayStateFollowed => "relay-state-followed", "saml.relaystate-absolute",
        "after a login, the ACS redirects to whatever URL the RelayState holds";
    AttributesFromLastAssertion => "attributes-from-last-assertion", "saml.multiple-assertions-forged-last",
        "a Response with several Assertions is taken: the identity from the signed one, the attributes from the last, signed or not";
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
    AssertionMeansSuccess => "assertion-means-success", "saml.error-response-forged-assertion",
        "a signed Response holding an Assertion anywhere below it (.//saml:Assertion) is a login, whatever its StatusCode says";
    ExtensionsRefused => "extensions-refused", "saml.extensions-foreign-element",
        "a Response with samlp:Extensions is refused, though its content is the IdP's to add";
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
    SubjectConfirmationOptional => "subject-confirmation-optional", "saml.subject-confirmation-missing",
        "a Subject without any SubjectConfirmation is accepted";
    ConfirmationDataOptional => "confirmation-data-optional", "saml.confirmation-data-missing",
        "a bearer SubjectConfirmation is checked only for the data it carries: without SubjectConfirmationData, or without its NotOnOrAfter, it holds";
    ConditionsOptional => "conditions-optional", "saml.conditions-missing",
        "an Assertion without Conditions is accepted: its times and audience are checked only when there are Conditions";
    MalformedTimeIgnored => "malformed-time-ignored", "saml.not-on-or-after-malformed",
        "a time attribute that is not an xs:dateTime is read as if it were absent";
    AuthnStatementOptional => "authn-statement-optional", "saml.no-authn-statement",
        "an Assertion without an AuthnStatement is accepted";
    DuplicateAttributesAllowed => "duplicate-attributes-allowed", "saml.duplicate-attribute",
        "an Attribute name given twice is accepted (the last one wins)";
    AttributeValueFirstNode => "attribute-value-first-node", "saml.comment-in-attribute",
        "AttributeValues are read as their first child node (firstChild.nodeValue), so a comment or CDATA section cuts them short, and the first e-mail attribute is the user's address (its domain checked) even beside an e-mail NameID (the short read, and the use that makes it matter)";
    MultiValuedAttributeRefused => "multi-valued-attribute-refused", "saml.attribute-multi-valued",
        "an Attribute with more than one AttributeValue is refused";
    FirstSigningKeyOnly => "first-signing-key-only", "saml.rotation-next-key",
        "only the first signing KeyDescriptor of the IdP metadata is trusted, so the next key a rotation announces is refused";
    KeepsRetiredKey => "keeps-retired-key", "saml.rotation-retired-key",
        "a signing key of IdP metadata the SP held before stays trusted after metadata without it replaced it";
    AcceptsExpiredIdpCert => "accepts-expired-idp-cert", "saml.idp-cert-expired",
        "a signature whose KeyInfo carries an IdP certificate outside its validity (expired or not yet valid) is accepted (failed under --saml-sp-profile entra)";
    NoReplayCache => "no-replay-cache", "saml.replay-same-response",
        "consumed Response and Assertion IDs are not remembered, so a response can be posted again";
}

impl Fault {
    /// Other checks the fault makes fail, besides [`Fault::breaks`]: the RFC 7644 suite
    /// tests many rules the Entra cycle's faults were written for, and several SAML cases show
    /// one rule. The mutation test holds each fault to every id listed here (a SAML fault to
    /// exactly these and its own).
    pub fn also_breaks(self) -> &'static [&'static str] {
        match self {
            Fault::FilterIgnored => &[
                "rfc7644.filter.eq",
                "rfc7644.filter.matches-nobody",
                "rfc7644.filter.malformed-400",
                "rfc7644.filter.unknown-operator-400",
                "rfc7644.filter.unbalanced-400",
                "rfc7644.search.filters",
            ],
            Fault::EmptyFilter404 => &["rfc7644.filter.matches-nobody"],
            // Ignored, the cursor also cannot be refused.
            Fault::CursorIgnored => &["rfc7644.cursor.invalid-400"],
            Fault::UsernameCaseSensitive => &["rfc7644.filter.value-case-insensitive"],
            Fault::NoAuth => &["rfc7644.auth.no-token-401"],
            Fault::AnyTokenAccepted => &["rfc7644.auth.wrong-token-401"],
            Fault::ContentTypeJson => &["rfc7644.errors.content-type"],
            Fault::ErrorStatusInteger => &["rfc7644.errors.status-string"],
            Fault::Spc404 => &["rfc7644.discovery.spc"],
            Fault::ResourceTypes404 => &[
                "rfc7644.discovery.resource-types",
                "rfc7644.discovery.resource-type-by-id",
            ],
            Fault::Schemas404 => &[
                "rfc7644.discovery.schemas",
                "rfc7644.discovery.schema-by-id",
            ],
            Fault::NoLocationHeader => &["rfc7644.create.location"],
            Fault::DuplicateUsernameAccepted => &[
                "rfc7644.unique.duplicate-409",
                "rfc7644.unique.case-insensitive",
            ],
            Fault::DeleteReturns200 => &["rfc7644.delete.204", "rfc7644.group.delete-204"],
            Fault::DeleteIsNoop => &[
                "rfc7644.delete.gone-404",
                "rfc7644.delete.again-404",
                "rfc7644.delete.not-listed",
                "rfc7644.group.gone-404",
            ],
            Fault::IgnoreCount => &[
                "rfc7644.page.count",
                "rfc7644.page.count-zero",
                "rfc7644.page.count-negative",
                "rfc7644.page.groups",
            ],
            Fault::ListResponseBare => &[
                "rfc7644.page.fields-when-paged",
                "rfc7644.page.total-stable",
            ],
            Fault::ZeroBasedStartIndex => &["rfc7644.page.start-index-below-1"],
            Fault::IgnoreExcludedAttributes => &["rfc7644.group.filter-display-name"],
            Fault::IgnoreUrnPath => &["rfc7644.patch.extension-path-applied"],
            Fault::SoftDeleteVanishes => &["rfc7644.patch.boolean-applied"],
            Fault::AttributesIgnored => &["rfc7644.list.attributes"],
            Fault::PatchNotAtomic => &["rfc7644.group.refused-members-absent"],
            Fault::CreatesRefused => &["load.every-object-provisioned"],
            // SAML: the other cases that show the same broken rule; the mutation test holds
            // each SAML fault to exactly these and its own.
            // A Signature in another namespace is no signature: the message is unsigned.
            Fault::AcceptsUnsigned => &["saml.signature-wrong-namespace"],
            // The retired key's certificate is in the KeyInfo too.
            Fault::TrustsKeyinfoCert => &["saml.cloned-cert", "saml.rotation-retired-key"],
            Fault::IdentityFromUnsignedElement => &[
                "saml.id-attribute-pollution",
                "saml.two-signed-subjects-forged-first",
                "saml.two-signed-subjects-forged-last",
            ],
            Fault::SignatureCoversAnything => &[
                "saml.reference-elsewhere",
                "saml.signature-misplaced",
                "saml.xsw2",
                "saml.xsw2-extensions",
            ],
            Fault::SignatureFoundAnywhere => &[
                "saml.reference-elsewhere",
                "saml.response-in-advice",
                "saml.signature-misplaced",
                "saml.xsw2",
                "saml.xsw2-extensions",
            ],
            Fault::SeveralSignedAssertionsTaken => &["saml.two-signed-subjects-forged-first"],
            Fault::RelayStateFollowed => &[
                "saml.relaystate-backslash",
                "saml.relaystate-protocol-relative",
            ],
            Fault::NameidTruncatedAtComment => &["saml.pi-in-nameid"],
            Fault::ResolvesExternalEntities => &[
                "saml.billion-laughs",
                "saml.doctype",
                "saml.doctype-differential",
                "saml.xxe-external-dtd",
                "saml.xxe-parameter-entity",
            ],
            Fault::IgnoresStatus => &["saml.status-missing"],
            // Success read from the Assertion found, the Status is never looked at.
            Fault::AssertionMeansSuccess => &["saml.status-missing", "saml.status-responder"],
            Fault::IgnoresVersion => &[
                "saml.assertion-version-missing",
                "saml.response-version-missing",
            ],
            Fault::IgnoresDestination => &["saml.destination-empty", "saml.destination-missing"],
            Fault::IgnoresRecipient => &["saml.confirmation-no-recipient"],
            Fault::IgnoresAudience => &[
                "saml.audience-empty",
                "saml.audience-missing",
                "saml.audience-second-wrong",
            ],
            Fault::IgnoresIssuer => &[
                "saml.assertion-issuer-missing",
                "saml.response-issuer-missing",
                "saml.response-issuer-wrong",
            ],
            // The measured tolerance is unbounded, beyond any --saml-max-skew.
            Fault::IgnoresNotBefore => &["saml.clock-not-yet-valid"],
            Fault::IgnoresNotOnOrAfter => &["saml.clock-expired"],
            Fault::IgnoresConfirmationExpiry => &["saml.clock-confirmation-expired"],
            Fault::NoSkew => &[
                "saml.confirmation-expired-inside-skew",
                "saml.not-yet-valid-inside-skew",
            ],
            Fault::ConfirmationDataOptional => &["saml.confirmation-no-not-on-or-after"],
            Fault::MalformedTimeIgnored => &["saml.not-before-malformed"],
            Fault::AttributeValueFirstNode => &["saml.cdata-in-attribute"],
            Fault::NoReplayCache => &["saml.replay-assertion-new-response"],
            _ => &[],
        }
    }
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
            let family = fault.breaks().split_once('.').map(|(f, _)| f);
            let expected: &[&str] = match fault.area() {
                "saml" => &["saml"],
                "load" => &["load"],
                _ => &["scim", "rfc7644"],
            };
            assert!(
                family.is_some_and(|f| expected.contains(&f)),
                "{}",
                fault.breaks()
            );
            assert!(!fault.description().is_empty());
        }
        let saml = Fault::ALL.iter().filter(|f| f.area() == "saml").count();
        assert_eq!(saml, 47);
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
