//! What a target says it can do: the optional features of its
//! `/ServiceProviderConfig` (RFC 7643 §5; cursor paging, RFC 9865 §4), read
//! once per session, so that scenarios skip what is not advertised (with the
//! reason) and test what is.

use serde_json::Value;

use crate::http::{Client, Credential, Request};

/// The features a target advertises, or why they could not be read.
#[derive(Debug, Clone)]
pub struct Advertised {
    read: Result<Value, String>,
}

impl Advertised {
    /// GET /ServiceProviderConfig, with the token (some servers want it there too).
    pub async fn read(client: &Client) -> Advertised {
        let req = Request {
            method: "GET".into(),
            path: "/ServiceProviderConfig".into(),
            headers: vec![("Accept".into(), "application/scim+json".into())],
            body: None,
            auth: Credential::Bearer,
        };
        let read = match client.send(&req).await {
            Err(e) => Err(e.to_string()),
            Ok(x) if x.response.status != 200 => Err(format!(
                "GET /ServiceProviderConfig answered {}",
                x.response.status
            )),
            Ok(x) => serde_json::from_str::<Value>(&x.response.body)
                .map_err(|e| format!("/ServiceProviderConfig is not JSON: {e}")),
        };
        Advertised { read }
    }

    /// From a body already read (tests, a stub).
    pub fn from_config(config: Value) -> Advertised {
        Advertised { read: Ok(config) }
    }

    /// Whether `feature` is advertised: `Err` says why it is not known.
    pub fn supports(&self, feature: &str) -> Result<bool, String> {
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

fn where_said(feature: &str) -> String {
    match feature {
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
        };
        assert!(
            broken
                .why_not("sort", true)
                .unwrap()
                .contains("cannot tell")
        );
    }
}
