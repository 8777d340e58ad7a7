//! Before any scenario, one read-only request tells a setup mistake from non-compliance: the
//! target is reachable, speaks SCIM (JSON, a ListResponse or an Error), and takes the token.
//! A wrong token, an HTML page or a closed port is one clear runtime error (exit 3) with its
//! likely cause, never 150 failed checks blaming the endpoint.

use serde_json::Value;

use super::SetupError;
use crate::exit;
use crate::http::{Client, Credential, Request, TransportError};

/// The request: Entra's own test connection (a filter that matches nobody), so that a
/// server that works for Entra passes it, and it changes nothing.
fn request() -> Request {
    Request {
        method: "GET".into(),
        path: "/Users?filter=userName+eq+%22idgate-preflight-none%22".into(),
        headers: vec![("Accept".into(), "application/scim+json".into())],
        body: None,
        auth: Credential::Bearer,
    }
}

/// Checks that `client`'s target is a SCIM endpoint that takes its token.
pub async fn check(client: &Client, token_env: &str) -> Result<(), SetupError> {
    let at = format!("{}/Users", client.base());
    let fail = |why: String| {
        SetupError::new(
            exit::RUNTIME,
            format!("error: the pre-flight request failed, so no scenario ran: {why}"),
        )
    };
    let x = match client.send(&request()).await {
        Ok(x) => x,
        Err(e @ TransportError::Timeout { .. }) => {
            return Err(fail(format!(
                "{e}. A target that does not answer one read would cost every scenario its timeout"
            )));
        }
        Err(e) => {
            return Err(fail(format!(
                "{e}. Is the service up, and is --scim-url right?"
            )));
        }
    };
    let r = &x.response;
    let body = r.body.trim_start();
    let content_type = r.header("content-type").unwrap_or("").to_ascii_lowercase();
    let json: Option<Value> = serde_json::from_str(body).ok();
    let scim_error = json.as_ref().is_some_and(is_error);
    if matches!(r.status, 401 | 403) {
        return Err(fail(format!(
            "the token was refused: {} on GET {at}. Is ${token_env} this endpoint's token?",
            r.status
        )));
    }
    if content_type.contains("html") || body.starts_with('<') {
        return Err(fail(format!(
            "GET {at} answered {} with HTML, not SCIM: is the base URL right? It is the SCIM root, the part before /Users (e.g. https://host/scim/v2)",
            r.status
        )));
    }
    let Some(json) = json else {
        return Err(fail(format!(
            "GET {at} answered {} with {}, not JSON: is the base URL right?",
            r.status,
            if content_type.is_empty() {
                "no content type".to_string()
            } else {
                content_type
            }
        )));
    };
    match r.status {
        200 if is_list(&json) => Ok(()),
        // A server that cannot filter may refuse the filter; it still speaks SCIM.
        400 | 501 if scim_error => Ok(()),
        // A SCIM Error 404 is either the endpoint answering "nobody" wrongly (a defect
        // Entra's own guidance names, which the scenarios report with its evidence) or a SCIM
        // server's answer to a path it does not have (a wrong base URL): a list of /Users
        // without a filter tells them apart.
        404 if scim_error && lists_users(client).await => Ok(()),
        404 => Err(fail(format!(
            "GET {at} answered 404: is the base URL right? It is the SCIM root, the part before /Users"
        ))),
        s if s >= 500 => Err(fail(format!(
            "GET {at} answered {s} to a read that changes nothing: the endpoint is not working"
        ))),
        s => Err(fail(format!(
            "GET {at} answered {s} with JSON that is neither a ListResponse nor a SCIM Error: is it a SCIM endpoint?"
        ))),
    }
}

/// Whether `GET /Users?count=1` answers a ListResponse: /Users is where the base URL says.
async fn lists_users(client: &Client) -> bool {
    let list = Request {
        method: "GET".into(),
        path: "/Users?count=1".into(),
        headers: vec![("Accept".into(), "application/scim+json".into())],
        body: None,
        auth: Credential::Bearer,
    };
    client.send(&list).await.is_ok_and(|x| {
        x.response.status == 200
            && serde_json::from_str::<Value>(&x.response.body).is_ok_and(|b| is_list(&b))
    })
}

fn schemas_contain(json: &Value, urn: &str) -> bool {
    json.get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn)))
}

fn is_list(json: &Value) -> bool {
    schemas_contain(json, "urn:ietf:params:scim:api:messages:2.0:ListResponse")
        || (json.get("totalResults").is_some() && json.get("Resources").is_some())
}

fn is_error(json: &Value) -> bool {
    schemas_contain(json, "urn:ietf:params:scim:api:messages:2.0:Error")
}
