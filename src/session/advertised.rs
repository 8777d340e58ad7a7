//! What a target says it can do: the optional features of its
//! `/ServiceProviderConfig` (RFC 7643 §5; cursor paging, RFC 9865 §4), the
//! schema extensions of its `/ResourceTypes` (RFC 7643 §6) and the schemas of
//! its `/Schemas` (RFC 7643 §7, where /ResourceTypes cannot be read), read once
//! per session, so that scenarios skip what is not advertised (with the reason)
//! and test what is.

use serde_json::Value;

use crate::http::{Client, Credential, Request};

/// The features a target advertises, or why they could not be read.
#[derive(Debug, Clone)]
pub struct Advertised {
    read: Result<Value, String>,
    resource_types: Result<Value, String>,
    schemas: Result<Value, String>,
}

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

impl Advertised {
    /// GET /ServiceProviderConfig and /ResourceTypes, with the token (some servers want it
    /// there too).
    pub async fn read(client: &Client) -> Advertised {
        Advertised {
            read: fetch(client, "/ServiceProviderConfig").await,
            resource_types: fetch(client, "/ResourceTypes").await,
            schemas: fetch(client, "/Schemas").await,
        }
    }

    /// From a body already read (tests, a stub); no resource types.
    pub fn from_config(config: Value) -> Advertised {
        Advertised {
            read: Ok(config),
            resource_types: Err("not read".into()),
            schemas: Err("not read".into()),
        }
    }

    /// Whether `feature` is advertised: `Err` says why it is not known.
    pub fn supports(&self, feature: &str) -> Result<bool, String> {
        if feature == "enterpriseUser" {
            return self.has_enterprise_user();
        }
        let config = self
            .read
            .as_ref()
            .map_err(|e| format!("its ServiceProviderConfig could not be read ({e})"))?;
        let flag = match feature {
            // RFC 9865 §4: "pagination": {"cursor": true, ...}
            "cursor" => config.pointer("/pagination/cursor"),
            other => config.get(other).and_then(|f| f.get("supported")),
        };
        Ok(flag.and_then(Value::as_bool).unwrap_or(false))
    }

    /// The sentence a skipped step gives when `feature` is not as it needs.
    pub fn why_not(&self, feature: &str, advertised: bool) -> Option<String> {
        match self.supports(feature) {
            Err(e) => Some(format!(
                "idgate cannot tell whether the target has `{feature}`: {e}"
            )),
            Ok(has) if has == advertised => None,
            Ok(true) => Some(format!(
                "the target advertises `{feature}`, and this step tests a target without it"
            )),
            Ok(false) => Some(format!(
                "the target does not advertise `{feature}` ({})",
                where_said(feature)
            )),
        }
    }
}

impl Advertised {
    /// Whether the User resource type lists the enterprise extension (RFC 7643 §6
    /// `schemaExtensions`), from a ListResponse or a bare array of resource types.
    fn has_enterprise_user(&self) -> Result<bool, String> {
        let types = match (&self.resource_types, &self.schemas) {
            (Ok(types), _) => types,
            // Without resource types, a listed enterprise schema says as much.
            (Err(_), Ok(schemas)) => {
                return Ok(list(schemas).is_some_and(|l| {
                    l.iter()
                        .any(|s| s.get("id").and_then(Value::as_str) == Some(ENTERPRISE_URN))
                }));
            }
            (Err(e), Err(_)) => {
                return Err(format!(
                    "neither its /ResourceTypes nor its /Schemas could be read ({e})"
                ));
            }
        };
        let list = types
            .get("Resources")
            .unwrap_or(types)
            .as_array()
            .ok_or("/ResourceTypes is not a list of resource types")?;
        Ok(list
            .iter()
            .filter(|t| t.get("schema").and_then(Value::as_str) == Some(USER_URN))
            .flat_map(|t| t.get("schemaExtensions").and_then(Value::as_array))
            .flatten()
            .any(|e| e.get("schema").and_then(Value::as_str) == Some(ENTERPRISE_URN)))
    }
}

/// The resources of a ListResponse, or a bare array of them.
fn list(body: &Value) -> Option<&Vec<Value>> {
    body.get("Resources").unwrap_or(body).as_array()
}

async fn fetch(client: &Client, path: &str) -> Result<Value, String> {
    let req = Request {
        method: "GET".into(),
        path: path.into(),
        headers: vec![("Accept".into(), "application/scim+json".into())],
        body: None,
        auth: Credential::Bearer,
    };
    match client.send(&req).await {
        Err(e) => Err(e.to_string()),
        Ok(x) if x.response.status != 200 => {
            Err(format!("GET {path} answered {}", x.response.status))
        }
        Ok(x) => serde_json::from_str::<Value>(&x.response.body)
            .map_err(|e| format!("{path} is not JSON: {e}")),
    }
}

fn where_said(feature: &str) -> String {
    match feature {
        "enterpriseUser" => {
            "/ResourceTypes does not list the enterprise extension for User (RFC 7643 §6)".into()
        }
        "cursor" => "ServiceProviderConfig pagination.cursor is not true (RFC 9865 §4)".into(),
        f => format!("ServiceProviderConfig {f}.supported is not true (RFC 7643 §5)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_read_from_the_config() {
        let a = Advertised::from_config(serde_json::json!({
            "patch": {"supported": true}, "sort": {"supported": false},
            "pagination": {"cursor": true}
        }));
        assert_eq!(a.supports("patch"), Ok(true));
        assert_eq!(a.supports("sort"), Ok(false));
        assert_eq!(a.supports("etag"), Ok(false));
        assert_eq!(a.supports("cursor"), Ok(true));
        assert!(a.why_not("patch", true).is_none());
        assert!(a.why_not("sort", true).unwrap().contains("sort.supported"));
        assert!(a.why_not("patch", false).is_some());
        let broken = Advertised {
            read: Err("401".into()),
            resource_types: Err("401".into()),
            schemas: Err("401".into()),
        };
        assert!(
            broken
                .why_not("sort", true)
                .unwrap()
                .contains("cannot tell")
        );
    }

    #[test]
    fn the_enterprise_extension_is_read_from_the_resource_types() {
        let with = |types: Value| Advertised {
            read: Ok(serde_json::json!({})),
            resource_types: Ok(types),
            schemas: Err("not read".into()),
        };
        let user = |ext: &str| serde_json::json!({"schema": USER_URN, "schemaExtensions": [{"schema": ext, "required": false}]});
        let listed = with(serde_json::json!({"Resources": [user(ENTERPRISE_URN)]}));
        assert_eq!(listed.supports("enterpriseUser"), Ok(true));
        let bare = with(serde_json::json!([user(ENTERPRISE_URN)]));
        assert_eq!(bare.supports("enterpriseUser"), Ok(true));
        let other = with(serde_json::json!({"Resources": [user("urn:x")]}));
        assert_eq!(other.supports("enterpriseUser"), Ok(false));
        assert!(
            other
                .why_not("enterpriseUser", true)
                .unwrap()
                .contains("/ResourceTypes")
        );
        let unread = Advertised::from_config(serde_json::json!({}));
        assert!(unread.supports("enterpriseUser").is_err());
        // /ResourceTypes unreadable: /Schemas listing the extension is enough.
        let from_schemas = Advertised {
            read: Ok(serde_json::json!({})),
            resource_types: Err("404".into()),
            schemas: Ok(serde_json::json!({"Resources": [{"id": ENTERPRISE_URN}]})),
        };
        assert_eq!(from_schemas.supports("enterpriseUser"), Ok(true));
    }
}
