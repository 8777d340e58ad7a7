//! Embeds every scenario file (`*.toml`) and accepted snapshot (`*.snap`)
//! under `scenarios/` so `idgate run` works from any directory, with no files
//! beside the binary.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// A Rust file declaring `name` as every `(path under the manifest dir, text)` of `files`.
fn table(name: &str, root: &Path, files: &[PathBuf]) -> String {
    let mut code = format!("pub static {name}: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(root).expect("under the manifest dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    code
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let scenarios = root.join("scenarios");
    println!("cargo:rerun-if-changed=scenarios");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    for (extension, name, file) in [
        ("toml", "FILES", "embedded_scenarios.rs"),
        // Pending `.snap.new` files are not embedded: only what a person accepted.
        ("snap", "SNAPSHOTS", "embedded_snapshots.rs"),
    ] {
        let mut files = Vec::new();
        walk(&scenarios, extension, &mut files);
        files.sort();
        std::fs::write(out.join(file), table(name, &root, &files)).expect("write the table");
    }
}
