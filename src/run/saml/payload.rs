//! A failed case's Response kept as files under the reports folder, and the curl line that
//! posts it again: a terminal never holds hundreds of kilobytes of base64.

use std::path::Path;

use crate::saml::cases::BuiltCase;

/// Saves the last post of a case under `dir` (`CASE.b64` as posted, `CASE.xml` to read) and
/// returns the curl line that posts the file again, with `ACS_URL` for the URL.
pub(super) fn save(dir: &Path, id: &str, built: &BuiltCase) -> std::io::Result<String> {
    std::fs::create_dir_all(dir)?;
    let last = built.posts.last().map_or("", String::as_str);
    let b64 = dir.join(format!("{id}.b64"));
    std::fs::write(&b64, last)?;
    std::fs::write(dir.join(format!("{id}.xml")), &built.xml)?;
    let mut line = format!(
        "curl -sS -X POST ACS_URL --data-urlencode SAMLResponse@{}",
        shell_quote(&b64.display().to_string())
    );
    if let Some(relay) = &built.relay_state {
        line.push_str(&format!(
            " --data-urlencode {}",
            shell_quote(&format!("RelayState={relay}"))
        ));
    }
    if let Some(second) = &built.second_value {
        let path = dir.join(format!("{id}.second.b64"));
        std::fs::write(&path, second)?;
        line.push_str(&format!(
            " --data-urlencode SAMLResponse@{}",
            shell_quote(&path.display().to_string())
        ));
    }
    Ok(line)
}

/// Removes an earlier run's saved payloads, so that every file there belongs to this run.
/// Only idgate's own names (`saml.*.b64`, `saml.*.xml`) are touched.
pub(super) fn clear(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("saml.") && (name.ends_with(".b64") || name.ends_with(".xml")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub(super) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
