//! What idgate does with a SCIM answer: the JSON schemas, the builtin response checks and
//! the JSON pointers of expectations, on any body. Never a panic.
#![no_main]

use idgate::http::Received;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let body = String::from_utf8_lossy(rest).into_owned();
    let names = idgate::check::schema::known_names();
    let name = names[pick as usize % names.len()];
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&body) {
        let _ = idgate::check::schema::validate(name, &value);
        // Pointers taken from the body's own text, as a scenario could write them.
        for line in body.lines().take(4) {
            let _ = value.pointer(line);
        }
    }
    let resp = Received {
        status: 200 + u16::from(pick % 4) * 100,
        headers: vec![("content-type".into(), "application/scim+json".into())],
        body,
        cookies: vec![],
    };
    let _ = idgate::check::builtin::content_type(&resp);
    let _ = idgate::check::builtin::schema_check(&resp, Some(name));
});
