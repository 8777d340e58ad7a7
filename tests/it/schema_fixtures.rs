//! The fixture files keep their conventions: every schema has its `$id`, a title and a
//! description citing the RFC, and every sample body is valid under the schema its name implies.

use std::fs;
use std::path::{Path, PathBuf};

use idgate::check::schema;
use serde_json::Value;

fn json_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .expect("UTF-8 file name")
}

#[test]
fn schemas_carry_id_title_and_rfc_description() {
    let files = json_files("fixtures/schemas");
    assert!(
        files.len() >= 10,
        "fixtures/schemas/ holds {} files",
        files.len()
    );
    for path in files {
        let name = file_name(&path);
        let doc = read(&path);
        assert_eq!(
            doc["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(
            doc["$id"],
            format!("https://idgate.dev/schemas/{name}"),
            "{name}"
        );
        assert!(
            doc["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{name} has no title"
        );
        let description = doc["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("RFC 764"),
            "{name}: the description cites no RFC section"
        );
        // Embedded in the binary: a schema file that is not would never be used.
        let source = include_str!("../../src/check/schema.rs");
        assert!(
            source.contains(&format!("fixtures/schemas/{name}\")")),
            "{name} is not embedded by src/check/schema.rs"
        );
    }
}

#[test]
fn samples_are_valid_under_the_schema_their_name_implies() {
    let files = json_files("fixtures/samples");
    assert!(!files.is_empty());
    for path in files {
        let name = file_name(&path);
        let schema_name = match name {
            n if n.starts_with("user") => "User",
            n if n.starts_with("group") => "Group",
            n if n.starts_with("list-response-users") || n == "list-response-empty.json" => {
                "ListResponse<User>"
            }
            n if n.starts_with("error") => "Error",
            n if n.starts_with("patch") => "PatchOp",
            n => panic!("{n}: name a sample user-, group-, list-response-users-, error- or patch-"),
        };
        assert_eq!(
            schema::validate(schema_name, &read(&path)),
            Ok(()),
            "{name} as {schema_name}"
        );
    }
}
