//! From a request template and the values of a run to the exact bytes a
//! client sends: the path as written with values percent-encoded (form-encoded
//! in the query, as Entra does: `userName+eq+%22x%40y.test%22`), the body as
//! compact JSON in the key order the profile wrote it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::http::{Credential, Request};
use crate::scenario::template::{Lookup, render_json};
use crate::scenario::{Auth, Client, RequestTemplate};

/// Characters left alone in a path segment: RFC 3986 unreserved.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_path_value(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// `application/x-www-form-urlencoded`, what .NET's clients put in a query.
pub fn encode_query_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Render `template` for `client` (whose headers and body Content-Type apply).
/// Fails with the name of the first value that is not known.
pub fn build(
    template: &RequestTemplate,
    client: &Client,
    vars: &mut dyn Lookup,
) -> Result<Request, String> {
    let path = template
        .path
        .render_url(vars, &encode_path_value, &encode_query_value)?;
    let mut headers: Vec<(String, String)> = client.headers.clone();
    let body = match &template.body {
        Some(b) => {
            let value = render_json(b, vars)?;
            headers.push(("Content-Type".to_string(), client.content_type.clone()));
            Some(serde_json::to_string(&value).expect("a JSON value serializes"))
        }
        None => None,
    };
    for (name, value) in &template.headers {
        let v = value.render(vars)?;
        // A header written in the step replaces the client's default of that name.
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), v));
    }
    Ok(Request {
        method: template.method.clone(),
        path,
        headers,
        body,
        auth: credential(template.auth),
    })
}

/// The scenario's word for how to authenticate, as the transport sends it.
fn credential(auth: Auth) -> Credential {
    match auth {
        Auth::Bearer => Credential::Bearer,
        Auth::None => Credential::None,
        Auth::WrongToken => Credential::WrongToken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_encoded_like_entra_does() {
        assert_eq!(encode_query_value("x@y.test a\"b"), "x%40y.test+a%22b");
        assert_eq!(encode_path_value("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_path_value("0a21f0f2-8d2a"), "0a21f0f2-8d2a");
    }
}
