//! The reference SP's first steps with a posted SAMLResponse: base64, DOCTYPE, XML parse.
//! It must refuse what it cannot read, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    idgate_reference::fuzz_sp_read(&text);
    // The same bytes as a well-formed base64 value, so the parser sees them.
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    idgate_reference::fuzz_sp_read(&encoded);
});
