//! The HTTP-POST binding as a browser uses it: a form with `SAMLResponse`
//! posted to the SP's Assertion Consumer Service, then a look at which user,
//! if any, got the session.

use serde_json::Value;

use crate::scenario::Auth;
use crate::scim::Request;

/// The form a browser posts to the ACS. Several values send the parameter
/// more than once (a binding attack).
pub fn form_post(
    acs_url: &str,
    values: &[String],
    relay_state: Option<&str>,
    cookies: &[String],
) -> Request {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for v in values {
        form.append_pair("SAMLResponse", v);
    }
    if let Some(r) = relay_state {
        form.append_pair("RelayState", r);
    }
    let mut headers = vec![(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    if !cookies.is_empty() {
        headers.push(("Cookie".to_string(), cookies.join("; ")));
    }
    Request {
        method: "POST".into(),
        path: acs_url.to_string(),
        headers,
        body: Some(form.finish()),
        auth: Auth::None,
    }
}

/// A GET with the session cookies, e.g. of the SP's "who am I" page or its login URL.
pub fn get(url: &str, cookies: &[String]) -> Request {
    let mut headers = Vec::new();
    if !cookies.is_empty() {
        headers.push(("Cookie".to_string(), cookies.join("; ")));
    }
    Request {
        method: "GET".into(),
        path: url.to_string(),
        headers,
        body: None,
        auth: Auth::None,
    }
}

/// Which user a whoami answer names: a JSON field commonly used for it, or
/// the whole body when it is a short plain text.
pub fn session_user(body: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        for key in [
            "name_id", "nameId", "nameID", "NameID", "user", "username", "email", "sub",
        ] {
            if let Some(s) = v.get(key).and_then(Value::as_str) {
                return Some(s.to_string());
            }
        }
        return None;
    }
    let t = body.trim();
    (!t.is_empty() && t.len() < 256 && !t.contains('<')).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_posts_repeat_the_parameter_and_encode_it() {
        let r = form_post(
            "http://127.0.0.1:1/acs",
            &["a+b/=".into(), "c".into()],
            Some("x"),
            &[],
        );
        assert_eq!(
            r.body.unwrap(),
            "SAMLResponse=a%2Bb%2F%3D&SAMLResponse=c&RelayState=x"
        );
    }

    #[test]
    fn session_user_from_json_or_text() {
        assert_eq!(session_user(r#"{"name_id":"a@b"}"#).as_deref(), Some("a@b"));
        assert_eq!(session_user("a@b\n").as_deref(), Some("a@b"));
        assert_eq!(session_user("<html>"), None);
    }
}
