//! idgate's signed SAML checked by an independent verifier: Debian's `xmlsec1` command.
//!
//! idgate writes canonical XML itself instead of canonicalizing a parsed tree, so these tests are
//! what proves that the bytes it digests are the bytes a real verifier digests. They fail (never
//! skip) when `xmlsec1` is missing.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use idgate::saml::cases::{self, BuiltCase, CaseContext, Expect};
use idgate::saml::{IdpKey, ResponseSpec};

const RESPONSE: &str = "urn:oasis:names:tc:SAML:2.0:protocol:Response";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml")
}

fn key(name: &str) -> IdpKey {
    common::fixture_key(name)
}

/// xmlsec1, the independent verifier of every signature idgate makes.
fn have_xmlsec1() -> bool {
    if common::runs("xmlsec1", &["--version"]) {
        return true;
    }
    common::skip("xmlsec1", "apt-get install xmlsec1");
    false
}

/// What `xmlsec1 --verify` said about one signature.
struct Verdict {
    ok: bool,
    /// The canonical bytes the verified Reference digested (`--store-references`).
    pre_digest: String,
    output: String,
}

/// Verifies the first signature in `file`, or the one inside the element with ID `node_id`,
/// against the IdP certificate only.
fn verify(file: &Path, node_id: Option<&str>) -> Verdict {
    verify_with(file, node_id, "idp-cert.pem")
}

/// As [`verify`], against the certificate `cert` of `fixtures/saml` only.
fn verify_with(file: &Path, node_id: Option<&str>, cert: &str) -> Verdict {
    let mut cmd = Command::new("xmlsec1");
    cmd.arg("--verify")
        .arg("--store-references")
        .arg("--pubkey-cert-pem")
        .arg(fixtures().join(cert))
        .args(["--id-attr:ID", RESPONSE, "--id-attr:ID", ASSERTION]);
    if let Some(id) = node_id {
        cmd.args(["--node-id", id]);
    }
    let out = cmd.arg(file).output().expect("run xmlsec1");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let pre_digest = stdout
        .split("== PreDigest data - start buffer:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n== PreDigest data - end buffer").next())
        .unwrap_or_default()
        .to_string();
    Verdict {
        ok: out.status.success(),
        pre_digest,
        output: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    }
}

struct Battery {
    dir: tempfile::TempDir,
    spec: ResponseSpec,
    forged: String,
    built: Vec<(&'static str, BuiltCase)>,
}

impl Battery {
    /// Every case built once, or `None` (the test skipped) without xmlsec1.
    fn new() -> Option<Battery> {
        if !have_xmlsec1() {
            return None;
        }
        let (idp, attacker, cloned) = (key("idp"), key("attacker"), key("cloned"));
        let mut spec = ResponseSpec::new(
            "https://idp.example/",
            "https://sp.example/acs?tenant=a&b=<c>",
            "https://sp.example/",
            "alice@example.com",
            time::OffsetDateTime::now_utc(),
        );
        spec.in_response_to = Some("_request-1".into());
        spec.attributes[1].values = vec!["Zoë \"Q\" & <co>\r\n".into()];
        let rotation = idgate::saml::RotationKeys::fixtures().unwrap();
        let mut ctx = CaseContext::new(spec.clone(), &idp, &attacker, &cloned);
        ctx.rotation = Some(&rotation);
        let dir = tempfile::tempdir().unwrap();
        let built = cases::all()
            .iter()
            .map(|c| {
                let b = cases::build(&c.id, &ctx).unwrap();
                std::fs::write(dir.path().join(format!("{}.xml", c.id)), &b.xml).unwrap();
                (c.id.as_str(), b)
            })
            .collect();
        Some(Battery {
            dir,
            spec,
            forged: ctx.forged_name_id.clone(),
            built,
        })
    }

    fn file(&self, id: &str) -> PathBuf {
        self.dir.path().join(format!("{id}.xml"))
    }

    fn xml(&self, id: &str) -> &str {
        &self.built.iter().find(|(i, _)| *i == id).unwrap().1.xml
    }

    /// Whether the assertion in `id`'s document carries its own signature (which xmlsec1 only
    /// checks when asked with `--node-id`, as it verifies the first signature it finds).
    fn assertion_signed(&self, id: &str) -> bool {
        let xml = self.xml(id);
        let Some(start) = xml.find("<saml:Assertion ") else {
            return false;
        };
        let assertion = &xml[start..];
        let issuer_end = assertion.find("</saml:Issuer>").unwrap_or(0);
        let rest = &assertion[issuer_end..];
        rest.starts_with("</saml:Issuer><ds:Signature")
            || rest.starts_with("</saml:Issuer><Signature")
    }
}

fn check(failures: &mut Vec<String>, id: &str, what: &str, verdict: &Verdict, want_ok: bool) {
    if verdict.ok != want_ok {
        failures.push(format!(
            "{id}: {what} {} under xmlsec1, expected {}\n{}",
            if verdict.ok { "verified" } else { "failed" },
            if want_ok { "to verify" } else { "to fail" },
            verdict
                .output
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
}

#[test]
fn valid_and_must_accept_responses_verify() {
    let Some(b) = Battery::new() else { return };
    let mut failures = Vec::new();
    let accepted: Vec<&str> = cases::all()
        .iter()
        .filter(|c| c.expect == Expect::Accept)
        .map(|c| c.id.as_str())
        .collect();
    for id in [
        "saml.valid",
        "saml.response-signed-only",
        "saml.assertion-signed-only",
        "saml.rsa-sha512",
        "saml.pretty-printed",
    ] {
        assert!(accepted.contains(&id), "{id} is expected to be accepted");
    }
    for id in accepted {
        // The rotation's next key signs with its own certificate, which the SP was given.
        let cert = match id {
            "saml.rotation-next-key" => "next-cert.pem",
            _ => "idp-cert.pem",
        };
        let first = verify_with(&b.file(id), None, cert);
        check(&mut failures, id, "first signature", &first, true);
        if b.assertion_signed(id) {
            let assertion = verify_with(&b.file(id), Some(&b.spec.assertion_id), cert);
            check(&mut failures, id, "assertion signature", &assertion, true);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The rotation cases are signed, both signatures, by the key their certificate names: the
/// next one and the retired one each verify under their own certificate and under no other.
#[test]
fn rotation_cases_verify_under_their_own_certificate_only() {
    let Some(b) = Battery::new() else { return };
    let mut failures = Vec::new();
    for (id, own) in [
        ("saml.rotation-next-key", "next-cert.pem"),
        ("saml.rotation-retired-key", "retired-cert.pem"),
    ] {
        assert!(b.assertion_signed(id), "{id}");
        for cert in ["idp-cert.pem", "next-cert.pem", "retired-cert.pem"] {
            let want = cert == own;
            let first = verify_with(&b.file(id), None, cert);
            check(
                &mut failures,
                id,
                &format!("Response signature under {cert}"),
                &first,
                want,
            );
            let assertion = verify_with(&b.file(id), Some(&b.spec.assertion_id), cert);
            check(
                &mut failures,
                id,
                &format!("assertion signature under {cert}"),
                &assertion,
                want,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn both_signatures_of_the_valid_response_cover_idgates_bytes() {
    let Some(b) = Battery::new() else { return };
    let xml = b.xml("saml.valid");
    assert!(b.assertion_signed("saml.valid"));
    let response = verify(&b.file("saml.valid"), None);
    assert!(response.ok, "{}", response.output);
    let assertion = verify(&b.file("saml.valid"), Some(&b.spec.assertion_id));
    assert!(assertion.ok, "{}", assertion.output);
    // xmlsec1's own canonical form of the assertion, signature removed, is byte for byte what
    // idgate wrote and digested.
    let unsigned = idgate::saml::response::assertion_xml(&b.spec);
    assert_eq!(assertion.pre_digest, unsigned);
    // Escaping of text and attribute values was part of what xmlsec1 just agreed with.
    assert!(xml.contains(">Zoë \"Q\" &amp; &lt;co&gt;&#xD;\n</saml:AttributeValue>"));
    assert!(xml.contains("Recipient=\"https://sp.example/acs?tenant=a&amp;b=&lt;c>\""));
    assert!(response.pre_digest.starts_with("<samlp:Response "));
}

#[test]
fn tampered_and_wrongly_signed_responses_fail() {
    let Some(b) = Battery::new() else { return };
    let mut failures = Vec::new();
    // Each fails for its own reason, not because xmlsec1 could not read the file.
    const DIGEST: &str = "data and digest do not match";
    const SIGNATURE: &str = "signature verification failed";
    for (id, reason) in [
        ("saml.tampered", DIGEST),
        ("saml.attacker-key", SIGNATURE),
        ("saml.cloned-cert", SIGNATURE),
        ("saml.comment-in-digestvalue", DIGEST),
        ("saml.broken-signature-value", SIGNATURE),
        ("saml.broken-empty-signature-value", "xmlSecBase64Decode"),
        ("saml.broken-no-signedinfo", "expected=SignedInfo"),
        ("saml.alg-mismatch", SIGNATURE),
        (
            "saml.unsigned",
            "failed to find default node with name=\"Signature\"",
        ),
    ] {
        let first = verify(&b.file(id), None);
        check(&mut failures, id, "first signature", &first, false);
        if !first.output.contains(reason) {
            failures.push(format!(
                "{id}: xmlsec1 failed, but not with `{reason}`:\n{}",
                first.output
            ));
        }
        if id != "saml.unsigned" {
            let assertion = verify(&b.file(id), Some(&b.spec.assertion_id));
            check(&mut failures, id, "assertion signature", &assertion, false);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Wrapping and parser-differential payloads carry a valid signature over the original
/// identity: only the SP's choice of element decides who logs in. (XSW1, XSW6 and XSW8 put
/// non-Object children in a Signature, and XSW7, XSW8-ns and duplicate-ids repeat an ID; xmlsec1
/// refuses those documents outright, so they are not listed.)
#[test]
fn wrapped_payloads_still_verify_over_the_original_identity() {
    let Some(b) = Battery::new() else { return };
    let mut failures = Vec::new();
    for id in [
        "saml.xsw2",
        "saml.xsw3",
        "saml.xsw4",
        "saml.xsw5",
        "saml.multiple-assertions-forged-last",
        "saml.id-decoy-lowercase",
        "saml.id-decoy-mixedcase",
        "saml.assertion-in-advice",
        // The genuine Signature moved into an AttributeValue still verifies over the original.
        "saml.decoy-signature-in-attribute",
    ] {
        assert!(
            b.xml(id).contains(&b.forged),
            "{id} carries no forged identity"
        );
        let v = verify(&b.file(id), None);
        check(&mut failures, id, "signature", &v, true);
        if v.ok && (!v.pre_digest.contains(&b.spec.name_id) || v.pre_digest.contains(&b.forged)) {
            failures.push(format!(
                "{id}: the verified reference is not the original assertion"
            ));
        }
    }
    // The NameID splits: the IdP signed the whole `<victim>.evil.test`.
    for id in [
        "saml.comment-in-nameid",
        "saml.pi-in-nameid",
        "saml.cdata-in-nameid",
        "saml.charref-in-nameid",
    ] {
        let whole = format!("{}.evil.test", b.forged);
        let v = verify(&b.file(id), Some(&b.spec.assertion_id));
        check(&mut failures, id, "assertion signature", &v, true);
        let text = v.pre_digest.replace("<?idgate?>", "");
        if v.ok && !text.contains(&format!(">{whole}</saml:NameID>")) {
            failures.push(format!("{id}: signed NameID is not {whole}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn rejected_only_by_saml_rules_still_verify() {
    // Cryptographically sound, wrong by SAML's rules: an SP must look past the signature.
    let Some(b) = Battery::new() else { return };
    let mut failures = Vec::new();
    for id in [
        "saml.reference-elsewhere",
        "saml.reference-empty",
        "saml.signature-misplaced",
        "saml.broken-empty-keyinfo",
        "saml.transform-xpath",
        "saml.doctype",
        "saml.destination-wrong",
        "saml.audience-wrong",
        "saml.expired-outside-skew",
        "saml.not-bearer",
    ] {
        let v = verify(&b.file(id), None);
        check(&mut failures, id, "signature", &v, true);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
