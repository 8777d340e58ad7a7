//! The resource types and their schemas (RFC 7643 §4, §6, §8.7) and the discovery documents
//! built from them.
//!
//! These tables are the single source for `/Schemas`, for case sensitivity in filters, for
//! string-boolean coercion and for mutability checks, so what the server advertises is what it does.

use serde_json::{Value, json};

use super::{Faults, list_response};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The largest page the server returns, advertised as `filter.maxResults`.
pub const MAX_RESULTS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    DateTime,
    Reference,
    Binary,
    Complex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
}

/// One attribute definition, as `/Schemas` publishes it (RFC 7643 §7).
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub: &'static [Attr],
    pub description: &'static str,
}

impl Attr {
    /// The definition of a sub-attribute, matched case-insensitively.
    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn to_json(&self) -> Value {
        let mut out = json!({
            "name": self.name,
            "type": match self.kind {
                Kind::String => "string",
                Kind::Boolean => "boolean",
                Kind::DateTime => "dateTime",
                Kind::Reference => "reference",
                Kind::Binary => "binary",
                Kind::Complex => "complex",
            },
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
        });
        let obj = out.as_object_mut().expect("json! object");
        if self.kind != Kind::Complex && self.kind != Kind::Boolean {
            obj.insert("caseExact".into(), self.case_exact.into());
        }
        if !self.canonical.is_empty() {
            obj.insert("canonicalValues".into(), json!(self.canonical));
        }
        if !self.reference_types.is_empty() {
            obj.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub.is_empty() {
            let subs: Vec<Value> = self.sub.iter().map(Attr::to_json).collect();
            obj.insert("subAttributes".into(), subs.into());
        }
        let mutability = match self.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        };
        obj.insert("mutability".into(), mutability.into());
        let returned = match self.returned {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
        };
        obj.insert("returned".into(), returned.into());
        if self.kind != Kind::Complex && self.kind != Kind::Boolean {
            let uniqueness = match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
            };
            obj.insert("uniqueness".into(), uniqueness.into());
        }
        out
    }
}

/// The defaults every attribute starts from; each table entry overrides what differs.
const STRING: Attr = Attr {
    name: "",
    kind: Kind::String,
    multi: false,
    required: false,
    case_exact: false,
    mutability: Mutability::ReadWrite,
    returned: Returned::Default,
    uniqueness: Uniqueness::None,
    canonical: &[],
    reference_types: &[],
    sub: &[],
    description: "",
};
const BOOLEAN: Attr = Attr {
    kind: Kind::Boolean,
    ..STRING
};
const COMPLEX: Attr = Attr {
    kind: Kind::Complex,
    ..STRING
};
const MULTI: Attr = Attr {
    kind: Kind::Complex,
    multi: true,
    ..STRING
};

/// The sub-attributes shared by emails, phone numbers, ims, photos, entitlements, roles and
/// certificates (RFC 7643 §2.4), with the value kind and type vocabulary of each.
macro_rules! plural {
    ($value:expr, $canonical:expr, $what:literal) => {
        &[
            Attr {
                name: "value",
                description: concat!("The ", $what, "."),
                ..$value
            },
            Attr {
                name: "display",
                description: "A label for display.",
                ..STRING
            },
            Attr {
                name: "type",
                canonical: $canonical,
                description: concat!("What kind of ", $what, " this is."),
                ..STRING
            },
            Attr {
                name: "primary",
                description: "Whether this is the preferred value; at most one is.",
                ..BOOLEAN
            },
        ]
    };
}

/// `id`, `externalId` and `meta`: on every resource, not listed in `/Schemas` (RFC 7643 §3.1).
pub static COMMON: &[Attr] = &[
    Attr {
        name: "id",
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        description: "Server-assigned identifier.",
        ..STRING
    },
    Attr {
        name: "externalId",
        case_exact: true,
        description: "The client's identifier.",
        ..STRING
    },
    Attr {
        name: "meta",
        mutability: Mutability::ReadOnly,
        description: "Resource metadata.",
        sub: &[
            Attr {
                name: "resourceType",
                case_exact: true,
                mutability: Mutability::ReadOnly,
                ..STRING
            },
            Attr {
                name: "created",
                kind: Kind::DateTime,
                mutability: Mutability::ReadOnly,
                ..STRING
            },
            Attr {
                name: "lastModified",
                kind: Kind::DateTime,
                mutability: Mutability::ReadOnly,
                ..STRING
            },
            Attr {
                name: "location",
                kind: Kind::Reference,
                reference_types: &["uri"],
                case_exact: true,
                mutability: Mutability::ReadOnly,
                ..STRING
            },
            Attr {
                name: "version",
                case_exact: true,
                mutability: Mutability::ReadOnly,
                ..STRING
            },
        ],
        ..COMPLEX
    },
];

/// One schema resource (RFC 7643 §7).
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attr],
}

pub static USER_SCHEMA: Schema = Schema {
    id: USER_URN,
    name: "User",
    description: "User Account",
    attributes: &[
        Attr {
            name: "userName",
            required: true,
            uniqueness: Uniqueness::Server,
            description: "Unique login name of the user; compared case-insensitively.",
            ..STRING
        },
        Attr {
            name: "name",
            description: "The components of the user's name.",
            sub: &[
                Attr {
                    name: "formatted",
                    description: "The full name, formatted for display.",
                    ..STRING
                },
                Attr {
                    name: "familyName",
                    description: "Family name.",
                    ..STRING
                },
                Attr {
                    name: "givenName",
                    description: "Given name.",
                    ..STRING
                },
                Attr {
                    name: "middleName",
                    description: "Middle name.",
                    ..STRING
                },
                Attr {
                    name: "honorificPrefix",
                    description: "Title before the name, e.g. Ms.",
                    ..STRING
                },
                Attr {
                    name: "honorificSuffix",
                    description: "Suffix after the name, e.g. III.",
                    ..STRING
                },
            ],
            ..COMPLEX
        },
        Attr {
            name: "displayName",
            description: "Name shown to end users.",
            ..STRING
        },
        Attr {
            name: "nickName",
            description: "Casual name.",
            ..STRING
        },
        Attr {
            name: "profileUrl",
            kind: Kind::Reference,
            reference_types: &["external"],
            description: "URL of the user's online profile.",
            ..STRING
        },
        Attr {
            name: "title",
            description: "Job title.",
            ..STRING
        },
        Attr {
            name: "userType",
            description: "Relationship to the organisation, e.g. Employee.",
            ..STRING
        },
        Attr {
            name: "preferredLanguage",
            description: "Preferred language (RFC 7231 language tag).",
            ..STRING
        },
        Attr {
            name: "locale",
            description: "Locale for formatting, e.g. en-US.",
            ..STRING
        },
        Attr {
            name: "timezone",
            description: "Time zone in IANA form, e.g. Europe/Paris.",
            ..STRING
        },
        Attr {
            name: "active",
            description: "Whether the account is enabled.",
            ..BOOLEAN
        },
        Attr {
            name: "password",
            mutability: Mutability::WriteOnly,
            returned: Returned::Never,
            description: "Clear-text password; written, never returned.",
            ..STRING
        },
        Attr {
            name: "emails",
            description: "Email addresses.",
            sub: plural!(STRING, &["work", "home", "other"], "email address"),
            ..MULTI
        },
        Attr {
            name: "phoneNumbers",
            description: "Phone numbers.",
            sub: plural!(
                STRING,
                &["work", "home", "mobile", "fax", "pager", "other"],
                "phone number"
            ),
            ..MULTI
        },
        Attr {
            name: "ims",
            description: "Instant messaging addresses.",
            sub: plural!(
                STRING,
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                "messaging address"
            ),
            ..MULTI
        },
        Attr {
            name: "photos",
            description: "URLs of photos of the user.",
            sub: plural!(
                Attr {
                    kind: Kind::Reference,
                    reference_types: &["external"],
                    ..STRING
                },
                &["photo", "thumbnail"],
                "photo URL"
            ),
            ..MULTI
        },
        Attr {
            name: "addresses",
            description: "Physical mailing addresses.",
            sub: &[
                Attr {
                    name: "formatted",
                    description: "The full address, formatted for display.",
                    ..STRING
                },
                Attr {
                    name: "streetAddress",
                    description: "Street, house number, building.",
                    ..STRING
                },
                Attr {
                    name: "locality",
                    description: "City or locality.",
                    ..STRING
                },
                Attr {
                    name: "region",
                    description: "State or region.",
                    ..STRING
                },
                Attr {
                    name: "postalCode",
                    description: "Postal code.",
                    ..STRING
                },
                Attr {
                    name: "country",
                    description: "Country (ISO 3166-1 alpha-2).",
                    ..STRING
                },
                Attr {
                    name: "type",
                    canonical: &["work", "home", "other"],
                    description: "What kind of address this is.",
                    ..STRING
                },
                Attr {
                    name: "primary",
                    description: "Whether this is the preferred address.",
                    ..BOOLEAN
                },
            ],
            ..MULTI
        },
        Attr {
            name: "groups",
            mutability: Mutability::ReadOnly,
            description: "Groups the user belongs to; managed through the Group resource.",
            sub: &[
                Attr {
                    name: "value",
                    mutability: Mutability::ReadOnly,
                    description: "The group's id.",
                    ..STRING
                },
                Attr {
                    name: "$ref",
                    kind: Kind::Reference,
                    reference_types: &["User", "Group"],
                    mutability: Mutability::ReadOnly,
                    description: "URI of the group.",
                    ..STRING
                },
                Attr {
                    name: "display",
                    mutability: Mutability::ReadOnly,
                    description: "The group's displayName.",
                    ..STRING
                },
                Attr {
                    name: "type",
                    canonical: &["direct", "indirect"],
                    mutability: Mutability::ReadOnly,
                    description: "Direct or inherited membership.",
                    ..STRING
                },
            ],
            ..MULTI
        },
        Attr {
            name: "entitlements",
            description: "Entitlements of the user.",
            sub: plural!(STRING, &[], "entitlement"),
            ..MULTI
        },
        Attr {
            name: "roles",
            description: "Roles of the user.",
            sub: plural!(STRING, &[], "role"),
            ..MULTI
        },
        Attr {
            name: "x509Certificates",
            description: "X.509 certificates of the user.",
            sub: plural!(
                Attr {
                    kind: Kind::Binary,
                    ..STRING
                },
                &[],
                "DER certificate, base64"
            ),
            ..MULTI
        },
    ],
};

pub static GROUP_SCHEMA: Schema = Schema {
    id: GROUP_URN,
    name: "Group",
    description: "Group",
    attributes: &[
        Attr {
            name: "displayName",
            required: true,
            uniqueness: Uniqueness::Server,
            description: "Name of the group; unique, compared case-insensitively.",
            ..STRING
        },
        Attr {
            name: "members",
            description: "Members of the group.",
            sub: &[
                Attr {
                    name: "value",
                    mutability: Mutability::Immutable,
                    description: "The member's id.",
                    ..STRING
                },
                Attr {
                    name: "$ref",
                    kind: Kind::Reference,
                    reference_types: &["User", "Group"],
                    mutability: Mutability::Immutable,
                    description: "URI of the member.",
                    ..STRING
                },
                Attr {
                    name: "type",
                    canonical: &["User", "Group"],
                    mutability: Mutability::Immutable,
                    description: "Whether the member is a User or a Group.",
                    ..STRING
                },
                Attr {
                    name: "display",
                    mutability: Mutability::Immutable,
                    description: "A label for display.",
                    ..STRING
                },
            ],
            ..MULTI
        },
    ],
};

pub static ENTERPRISE_SCHEMA: Schema = Schema {
    id: ENTERPRISE_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        Attr {
            name: "employeeNumber",
            description: "Identifier assigned by the organisation.",
            ..STRING
        },
        Attr {
            name: "costCenter",
            description: "Cost center.",
            ..STRING
        },
        Attr {
            name: "organization",
            description: "Organisation.",
            ..STRING
        },
        Attr {
            name: "division",
            description: "Division.",
            ..STRING
        },
        Attr {
            name: "department",
            description: "Department.",
            ..STRING
        },
        Attr {
            name: "manager",
            description: "The user's manager, by id.",
            sub: &[
                Attr {
                    name: "value",
                    description: "The manager's id.",
                    ..STRING
                },
                Attr {
                    name: "$ref",
                    kind: Kind::Reference,
                    reference_types: &["User"],
                    description: "URI of the manager.",
                    ..STRING
                },
                Attr {
                    name: "displayName",
                    mutability: Mutability::ReadOnly,
                    description: "The manager's displayName.",
                    ..STRING
                },
            ],
            ..COMPLEX
        },
    ],
};

/// A resource type (RFC 7643 §6): its endpoint, core schema and extensions.
#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    pub extensions: &'static [&'static Schema],
    /// The attribute that must be present and unique (userName, displayName).
    pub key: &'static str,
}

pub static USERS: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[&ENTERPRISE_SCHEMA],
    key: "userName",
};

pub static GROUPS: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
    key: "displayName",
};

pub static RESOURCE_TYPES: [&ResourceType; 2] = [&USERS, &GROUPS];
pub static SCHEMAS: [&Schema; 3] = [&USER_SCHEMA, &GROUP_SCHEMA, &ENTERPRISE_SCHEMA];

impl ResourceType {
    /// Groups differ from users in a few answers (PATCH is 204, members are checked).
    pub fn is_group(&self) -> bool {
        std::ptr::eq(self, &GROUPS)
    }
}

/// `/Schemas` resources (RFC 7643 §7), one per schema.
pub fn schema_resources(base: &str) -> Vec<Value> {
    SCHEMAS
        .iter()
        .map(|s| {
            json!({
                "schemas": [SCHEMA_URN],
                "id": s.id,
                "name": s.name,
                "description": s.description,
                "attributes": s.attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
                "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{}", s.id) },
            })
        })
        .collect()
}

/// `/ResourceTypes` resources (RFC 7643 §6).
pub fn resource_type_resources(base: &str) -> Vec<Value> {
    RESOURCE_TYPES
        .iter()
        .map(|rt| {
            let extensions: Vec<Value> =
                rt.extensions.iter().map(|e| json!({ "schema": e.id, "required": false })).collect();
            let mut out = json!({
                "schemas": [RESOURCE_TYPE_URN],
                "id": rt.name,
                "name": rt.name,
                "endpoint": rt.endpoint,
                "description": rt.description,
                "schema": rt.schema.id,
                "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", rt.name) },
            });
            if !extensions.is_empty()
                && let Some(obj) = out.as_object_mut()
            {
                obj.insert("schemaExtensions".into(), extensions.into());
            }
            out
        })
        .collect()
}

/// `/ServiceProviderConfig` (RFC 7643 §5): what this server supports.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_URN],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        // RFC 9865 §4: both kinds of paging; index stays the default for older clients.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": MAX_RESULTS,
            "maxPageSize": MAX_RESULTS,
            "cursorTimeout": super::cursor::TIMEOUT_SECONDS,
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a static bearer token in the Authorization header",
            "specUri": "https://datatracker.ietf.org/doc/html/rfc6750",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    })
}

/// Wraps discovery resources in a ListResponse; they are few, so there is a single page.
pub fn discovery_list(resources: Vec<Value>, faults: &Faults) -> Value {
    let total = resources.len();
    list_response(resources, total, 1, faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_attribute_carries_the_rfc_7643_characteristics() {
        fn check(attr: &Value, at: &str) {
            for key in [
                "name",
                "type",
                "multiValued",
                "description",
                "required",
                "mutability",
                "returned",
            ] {
                assert!(attr.get(key).is_some(), "{at}: no {key} in {attr}");
            }
            if attr["type"] == "string" {
                assert!(
                    attr["caseExact"].is_boolean() && attr["uniqueness"].is_string(),
                    "{at}"
                );
            }
            for sub in attr["subAttributes"].as_array().into_iter().flatten() {
                check(sub, &format!("{at}.{}", sub["name"]));
            }
        }
        for schema in schema_resources("http://h/scim/v2") {
            for attr in schema["attributes"].as_array().unwrap() {
                check(attr, &format!("{}:{}", schema["id"], attr["name"]));
            }
        }
    }
}
