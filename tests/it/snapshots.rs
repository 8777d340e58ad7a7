//! Snapshot expectations as a user meets them: a copy of the shipped
//! scenarios and their `.snap` files, the binary run against the embedded
//! reference target, and the files it leaves behind.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{idgate, text, walk};

const USERS_2020: &str = "sc/entra/snapshots/users__entra-2020__read-created-user.snap";
const USERS_LEGACY: &str = "sc/entra/snapshots/users__entra-legacy__read-created-user.snap";

/// A run of the users scenario as one client, with the scenarios copied to `sc`;
/// one SAML case only, so the run stays short.
fn run_users(dir: &Path, client: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--scenarios",
        "sc",
        "--tag",
        "users",
        "--client",
        client,
        "--saml-case",
        "saml.valid",
        "-q",
    ];
    args.extend_from_slice(extra);
    idgate(&args, &[], dir)
}

/// A temporary directory holding a copy of the shipped scenarios as `sc/`.
fn with_scenarios() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_scenarios(&dir.path().join("sc"));
    dir
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The snapshot body below the YAML header.
fn body(snap: &str) -> String {
    snap.splitn(3, "---\n")
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

fn pending_files(dir: &Path) -> Vec<String> {
    walk(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".snap.new"))
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect()
}

#[test]
fn a_matching_snapshot_passes_and_writes_nothing() {
    let dir = with_scenarios();
    let before = read(dir.path(), USERS_2020);
    let o = run_users(dir.path(), "entra-2020", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(pending_files(dir.path()).is_empty());
    assert_eq!(read(dir.path(), USERS_2020), before);
    assert!(!text(&o).contains("unreferenced"), "{}", text(&o));
}

#[test]
fn a_changed_body_fails_with_a_diff_and_writes_snap_new() {
    let dir = with_scenarios();
    let accepted = read(dir.path(), USERS_2020);
    let edited = accepted.replace("\"resourceType\": \"User\"", "\"resourceType\": \"Person\"");
    assert_ne!(edited, accepted);
    std::fs::write(dir.path().join(USERS_2020), &edited).unwrap();

    let o = run_users(dir.path(), "entra-2020", &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("✗ scim.create.stored-as-sent"), "{out}");
    assert!(
        out.contains(&format!("expected: the response recorded in {USERS_2020}")),
        "{out}"
    );
    assert!(out.contains("-    \"resourceType\": \"Person\","), "{out}");
    assert!(out.contains("+    \"resourceType\": \"User\","), "{out}");
    assert!(
        out.contains(&format!("new snapshot written to {USERS_2020}.new")),
        "{out}"
    );
    // The accepted file is left alone; the pending one holds this run's answer.
    assert_eq!(read(dir.path(), USERS_2020), edited);
    assert_eq!(pending_files(dir.path()), [format!("{USERS_2020}.new")]);
    assert_eq!(
        body(&read(dir.path(), &format!("{USERS_2020}.new"))),
        body(&accepted)
    );
    // The same failure reaches the reports.
    let junit = read(dir.path(), "reports/junit.xml");
    assert!(
        junit.contains("+    &quot;resourceType&quot;: &quot;User&quot;,"),
        "{junit}"
    );
}

#[test]
fn a_missing_snapshot_fails_and_writes_snap_new() {
    let dir = with_scenarios();
    let accepted = read(dir.path(), USERS_2020);
    std::fs::remove_file(dir.path().join(USERS_2020)).unwrap();
    let o = run_users(dir.path(), "entra-2020", &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains(&format!(
            "new snapshot written, review it: {USERS_2020}.new"
        )),
        "{out}"
    );
    assert!(out.contains("actual:   none recorded yet"), "{out}");
    assert!(
        out.contains(&format!("pending snapshot: {USERS_2020}.new")),
        "{out}"
    );
    assert!(!dir.path().join(USERS_2020).exists());
    assert_eq!(
        body(&read(dir.path(), &format!("{USERS_2020}.new"))),
        body(&accepted)
    );
}

#[test]
fn update_snapshots_writes_the_snap_and_passes() {
    let dir = with_scenarios();
    let accepted = read(dir.path(), USERS_2020);
    std::fs::remove_file(dir.path().join(USERS_2020)).unwrap();
    // A stale pending file from an earlier run goes too.
    std::fs::write(dir.path().join(format!("{USERS_2020}.new")), "stale").unwrap();
    let o = run_users(dir.path(), "entra-2020", &["--update-snapshots"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Written as the shipped file; the header names the scenario file as this run found it.
    let written = read(dir.path(), USERS_2020);
    assert_eq!(body(&written), body(&accepted));
    assert_eq!(
        written.replace("source: sc/", "source: scenarios/"),
        accepted
    );
    assert!(pending_files(dir.path()).is_empty());
}

#[test]
fn update_snapshots_is_refused_in_ci() {
    let dir = with_scenarios();
    std::fs::remove_file(dir.path().join(USERS_2020)).unwrap();
    let o = idgate(
        &[
            "run",
            "--scenarios",
            "sc",
            "--tag",
            "users",
            "--update-snapshots",
        ],
        &[("CI", "true")],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("--update-snapshots is refused because CI is set"),
        "{out}"
    );
    assert!(!dir.path().join(USERS_2020).exists());
    assert!(!dir.path().join("reports").exists(), "nothing was run");

    // In CI a plain run still leaves the pending file, to keep as an artifact.
    let o = idgate(
        &[
            "run",
            "--scenarios",
            "sc",
            "--tag",
            "users",
            "--client",
            "entra-2020",
            "--saml-case",
            "saml.valid",
        ],
        &[("CI", "true")],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(pending_files(dir.path()), [format!("{USERS_2020}.new")]);
    assert!(!dir.path().join(USERS_2020).exists());
}

#[test]
fn review_accept_and_reject_settle_pending_snapshots() {
    let dir = with_scenarios();
    let d = dir.path();
    // Both clients' snapshots made stale, so both runs leave a pending file.
    let mut stale = Vec::new();
    for rel in [USERS_2020, USERS_LEGACY] {
        let s = read(d, rel).replace("\"active\": true", "\"active\": false");
        std::fs::write(d.join(rel), &s).unwrap();
        stale.push(s);
    }
    let o = idgate(
        &[
            "run",
            "--scenarios",
            "sc",
            "--tag",
            "users",
            "--saml-case",
            "saml.valid",
            "-q",
        ],
        &[],
        d,
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(pending_files(d).len(), 2, "{:?}", pending_files(d));

    let o = idgate(&["snapshots", "review", "--scenarios", "sc"], &[], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    for rel in [USERS_2020, USERS_LEGACY] {
        assert!(
            out.contains(&format!("pending snapshot: {rel}.new")),
            "{out}"
        );
    }
    assert!(out.contains("-  \"active\": false,"), "{out}");
    assert!(out.contains("+  \"active\": true,"), "{out}");
    assert!(out.contains("2 pending snapshot(s)"), "{out}");

    // A name that is no pending snapshot is a usage error with a suggestion.
    let o = idgate(
        &[
            "snapshots",
            "accept",
            "read-creatd-user",
            "--scenarios",
            "sc",
        ],
        &[],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("did you mean"), "{}", text(&o));

    let o = idgate(
        &[
            "snapshots",
            "accept",
            "users__entra-2020__read-created-user",
            "--scenarios",
            "sc",
        ],
        &[],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("accepted {USERS_2020}")),
        "{}",
        text(&o)
    );
    assert!(read(d, USERS_2020).contains("\"active\": true"));
    assert_eq!(pending_files(d), [format!("{USERS_LEGACY}.new")]);

    let o = idgate(&["snapshots", "reject", "--scenarios", "sc"], &[], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("rejected {USERS_LEGACY}.new")),
        "{}",
        text(&o)
    );
    assert!(pending_files(d).is_empty());
    assert_eq!(
        read(d, USERS_LEGACY),
        stale[1],
        "rejecting keeps the accepted file"
    );

    let o = idgate(&["snapshots", "review", "--scenarios", "sc"], &[], d);
    assert!(
        text(&o).contains("no pending snapshots under sc"),
        "{}",
        text(&o)
    );

    // The accepted one now passes; the rejected one fails again.
    assert_eq!(run_users(d, "entra-2020", &[]).status.code(), Some(0));
    assert_eq!(run_users(d, "entra-legacy", &[]).status.code(), Some(4));
    assert_eq!(pending_files(d), [format!("{USERS_LEGACY}.new")]);
}

#[test]
fn redaction_makes_two_runs_equal() {
    let dir = with_scenarios();
    let d = dir.path();
    let shipped: Vec<(PathBuf, String)> = walk(&d.join("sc/entra/snapshots"))
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    assert_eq!(shipped.len(), 6, "3 snapshots for each of the 2 clients");
    for (p, _) in &shipped {
        std::fs::remove_file(p).unwrap();
    }
    let args = [
        "run",
        "--scenarios",
        "sc",
        "--saml-case",
        "saml.valid",
        "-q",
    ];
    // Two runs, each with new ids, timestamps, names and a new port: the same files.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut a = args.to_vec();
        a.push("--update-snapshots");
        let o = idgate(&a, &[], d);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let files: Vec<(PathBuf, String)> = walk(&d.join("sc/entra/snapshots"))
            .into_iter()
            .map(|p| {
                let t = std::fs::read_to_string(&p).unwrap();
                (p, t)
            })
            .collect();
        for (p, _) in &files {
            std::fs::remove_file(p).unwrap();
        }
        runs.push(files);
    }
    assert_eq!(runs[0], runs[1]);
    // And equal to the committed ones, made on another day on another port.
    let bodies = |files: &[(PathBuf, String)]| -> Vec<(PathBuf, String)> {
        files.iter().map(|(p, t)| (p.clone(), body(t))).collect()
    };
    assert_eq!(bodies(&runs[0]), bodies(&shipped));
    let user = &runs[0]
        .iter()
        .find(|(p, _)| p.ends_with("users__entra-2020__read-created-user.snap"))
        .unwrap()
        .1;
    for redacted in [
        "\"id\": \"[id]\"",
        "\"created\": \"[timestamp]\"",
        "\"lastModified\": \"[timestamp]\"",
        "\"version\": \"[version]\"",
        "\"location\": \"[location]\"",
        "\"userName\": \"[userName]\"",
        "\"externalId\": \"[externalId]\"",
        "\"value\": \"[email]\"",
        "\"givenName\": \"{{given_name}}\"",
        "\"formatted\": \"{{given_name}} {{family_name}}\"",
    ] {
        assert!(user.contains(redacted), "{redacted} in\n{user}");
    }
    assert!(!user.contains("127.0.0.1"), "{user}");
}

#[test]
fn unreferenced_snapshots_are_reported() {
    let dir = with_scenarios();
    let d = dir.path();
    let orphan = "sc/entra/snapshots/users__entra-2020__old-name.snap";
    std::fs::copy(d.join(USERS_2020), d.join(orphan)).unwrap();
    let o = run_users(d, "entra-2020", &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning, not a failure: {}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains(&format!("warning: unreferenced snapshot: {orphan}")),
        "{}",
        text(&o)
    );
    let o = idgate(&["snapshots", "review", "--scenarios", "sc"], &[], d);
    assert!(
        text(&o).contains(&format!("unreferenced snapshot: {orphan}")),
        "{}",
        text(&o)
    );
    // Snapshots of a client the run left out are still referenced.
    assert!(!text(&o).contains("entra-legacy"), "{}", text(&o));
}

/// The snapshot alone (with the json tests taken out) catches a server that drops `name`.
#[test]
fn the_snapshot_fails_against_a_server_that_drops_the_name() {
    let dir = with_scenarios();
    let d = dir.path();
    let file = d.join("sc/entra/04-users.toml");
    let toml = std::fs::read_to_string(&file).unwrap();
    let only_snapshot = toml.replacen(
        "snapshot = \"read-created-user\"\njson = ",
        "snapshot = \"read-created-user\"\n# json = ",
        1,
    );
    assert_ne!(toml, only_snapshot);
    std::fs::write(&file, only_snapshot).unwrap();

    assert_eq!(run_users(d, "entra-2020", &[]).status.code(), Some(0));
    let o = run_users(d, "entra-2020", &["--fault", "create-drops-name"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("✗ scim.create.stored-as-sent"), "{out}");
    assert!(out.contains("-  \"name\": {"), "{out}");
    assert!(
        out.contains("-    \"givenName\": \"{{given_name}}\""),
        "{out}"
    );
    assert_eq!(pending_files(d), [format!("{USERS_2020}.new")]);
}

/// Without --scenarios, snapshots under ./scenarios are read first, the binary's
/// copies otherwise, and pending files go under ./scenarios.
#[test]
fn the_embedded_suite_reads_and_writes_snapshots_under_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |d: &Path| {
        idgate(
            &[
                "run",
                "--tag",
                "users",
                "--client",
                "entra-2020",
                "--saml-case",
                "saml.valid",
                "-q",
            ],
            &[],
            d,
        )
    };
    let o = run(d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !d.join("scenarios").exists(),
        "nothing is written when all match"
    );

    let rel = "scenarios/entra/snapshots/users__entra-2020__read-created-user.snap";
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap();
    std::fs::create_dir_all(d.join(rel).parent().unwrap()).unwrap();
    std::fs::write(
        d.join(rel),
        shipped.replace("\"roles\": []", "\"roles\": [1]"),
    )
    .unwrap();
    let o = run(d);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("-  \"roles\": [1],"), "{}", text(&o));
    assert_eq!(pending_files(d), [format!("{rel}.new")]);

    let o = idgate(&["snapshots", "accept"], &[], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(d.join(rel)).unwrap(),
        shipped,
        "{}",
        text(&o)
    );
    assert_eq!(run(d).status.code(), Some(0));
}

#[test]
fn snapshot_mistakes_are_scenario_errors() {
    let cases = [
        (
            "snapshot = \"read-created-user\"",
            "snapshot = \"read created user\"",
            "cannot name a snapshot file",
        ),
        (
            "snapshot = \"read-created-user\"",
            "redact = [\"/name/givenName\"]",
            "`redact` only applies to a snapshot",
        ),
        (
            "snapshot = \"read-created-user\"",
            "snapshot = \"read-created-user\"\nredact = [\"name\"]",
            "is not a selector",
        ),
        (
            "snapshot = \"read-created-user\"",
            "snapshot = \"read-created-user\"\nsnapshot_headers = [\"Set-Cookie\"]",
            "never written to a snapshot",
        ),
        (
            "check = \"scim.create.duplicate-409\"",
            "check = \"scim.create.duplicate-409\"\nsnapshot = \"read-created-user\"",
            "snapshot `read-created-user` is already recorded",
        ),
        (
            "name = \"users\"",
            "name = \"all users\"",
            "has snapshots, so its name becomes part of a file name",
        ),
    ];
    for (from, to, message) in cases {
        let dir = with_scenarios();
        let file = dir.path().join("sc/entra/04-users.toml");
        let toml = std::fs::read_to_string(&file).unwrap();
        assert!(toml.contains(from), "{from}");
        std::fs::write(&file, toml.replacen(from, to, 1)).unwrap();
        let o = idgate(&["run", "--scenarios", "sc"], &[], dir.path());
        assert_eq!(o.status.code(), Some(2), "{to}: {}", text(&o));
        assert!(text(&o).contains(message), "{to}: {}", text(&o));
        assert!(text(&o).contains("sc/entra/04-users.toml:"), "{}", text(&o));
    }
}

#[test]
fn listed_headers_are_kept_and_volatile_ones_redacted() {
    let dir = with_scenarios();
    let d = dir.path();
    let file = d.join("sc/entra/04-users.toml");
    let toml = std::fs::read_to_string(&file).unwrap();
    // The create step gets a snapshot of its own, with the Location header.
    let with_create = toml.replacen(
        "check = \"scim.create.location\"\n",
        "check = \"scim.create.location\"\nsnapshot = \"create\"\nsnapshot_headers = [\"Location\"]\nredact = [\"/name/givenName\", \"/emails/*\"]\n",
        1,
    );
    assert_ne!(toml, with_create);
    std::fs::write(&file, with_create).unwrap();
    let o = run_users(d, "entra-2020", &["--update-snapshots"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let snap = read(d, "sc/entra/snapshots/users__entra-2020__create.snap");
    let body = body(&snap);
    assert!(
        body.starts_with(
            "HTTP 201\ncontent-type: application/scim+json\nlocation: [location]\n\n{"
        ),
        "{snap}"
    );
    assert!(body.contains("\"givenName\": \"[givenName]\""), "{snap}");
    assert!(
        body.contains("\"emails\": [\n    \"[redacted]\"\n  ]"),
        "{snap}"
    );
    assert!(
        snap.contains("expression: \"POST {{base}}/Users\""),
        "{snap}"
    );
    assert_eq!(run_users(d, "entra-2020", &[]).status.code(), Some(0));
}

/// A SAML step's snapshot records the Response idgate posted: it passes as
/// shipped, run after run (IDs, instants, signatures and the per-machine
/// certificate redacted), and a change in what is posted fails with a diff.
#[test]
fn a_saml_step_snapshot_records_the_posted_response() {
    let dir = with_scenarios();
    let args = [
        "run",
        "--scenarios",
        "sc",
        "--tag",
        "seed",
        "--skip",
        "saml-battery",
        "-q",
    ];
    for _ in 0..2 {
        let o = idgate(&args, &[], dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let rel = "sc/saml/snapshots/saml-seeds__saml-idp__jit-response.snap";
    let snap = read(dir.path(), rel);
    assert!(snap.contains("<saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{{jit_user}}</saml:NameID>"), "{snap}");
    std::fs::write(
        dir.path().join(rel),
        snap.replace(
            "https://idp.idgate.test/saml/metadata",
            "https://old-idp.test",
        ),
    )
    .unwrap();
    let o = idgate(&args, &[], dir.path());
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("saml.seed.jit-provisioning"), "{out}");
    let diff_line = |sign: char, text: &str| {
        out.lines()
            .any(|l| l.trim_start().starts_with(sign) && l.contains(text))
    };
    assert!(
        diff_line('-', "https://old-idp.test") && diff_line('+', "https://idp.idgate.test"),
        "{out}"
    );
    assert!(!pending_files(dir.path()).is_empty());
}
