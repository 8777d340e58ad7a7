//! The scenario loader on any text: the shipped suite with one scenario file replaced by the
//! input. Whatever the text, loading gives a suite or diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut files = idgate::scenario::embedded_files();
    if let Some(f) = files.iter_mut().find(|(n, _)| n.ends_with("04-users.toml")) {
        f.1 = text.to_string();
    }
    let _ = idgate::session::load(&files);
});
