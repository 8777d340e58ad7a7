//! The test IdP's signing key and self-signed certificate.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509Builder, X509Extension, X509NameBuilder, X509Ref};
use time::OffsetDateTime;

use super::error::{Result, SamlError};

/// File name of the private key written by [`IdpKey::load_or_generate`].
pub const KEY_FILE: &str = "idp-key.pem";
/// File name of the certificate written by [`IdpKey::load_or_generate`].
pub const CERT_FILE: &str = "idp-cert.pem";

/// An RSA 2048 private key with the self-signed X.509 certificate that carries its public key.
///
/// `Debug` shows the certificate's subject and SHA-256 fingerprint, never key material.
#[derive(Clone)]
pub struct IdpKey {
    key: PKey<Private>,
    cert: X509,
}

impl fmt::Debug for IdpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpKey")
            .field("subject", &self.subject())
            .field("cert_sha256", &self.fingerprint_sha256())
            .finish_non_exhaustive()
    }
}

impl IdpKey {
    /// A new key and a certificate for `CN=<subject_cn>, O=idgate`, valid from a day ago for
    /// ten years.
    pub fn generate(subject_cn: &str) -> Result<IdpKey> {
        let now = OffsetDateTime::now_utc();
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let mut serial = BigNum::new()?;
        serial.rand(63, MsbOption::MAYBE_ZERO, false)?;
        let serial = serial.to_asn1_integer()?;
        let cert = self_signed(
            &key,
            subject_cn,
            &serial,
            now - time::Duration::days(1),
            now + time::Duration::days(3650),
            None,
        )?;
        Ok(IdpKey { key, cert })
    }

    /// Loads `idp-key.pem` and `idp-cert.pem` from `dir`, or generates both (the key file with
    /// mode 0600) when neither exists. One without the other is an error, so a lone key is never
    /// overwritten.
    pub fn load_or_generate(dir: &Path) -> Result<IdpKey> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        match (key_path.exists(), cert_path.exists()) {
            (true, true) => {
                let read = |p: &Path| {
                    fs::read(p).map_err(|source| SamlError::Io {
                        path: p.to_path_buf(),
                        source,
                    })
                };
                IdpKey::from_pem(&read(&key_path)?, &read(&cert_path)?)
            }
            (false, false) => {
                let idp = IdpKey::generate("idgate test IdP")?;
                fs::create_dir_all(dir).map_err(|source| SamlError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                write_private(&key_path, &idp.key.private_key_to_pem_pkcs8()?)?;
                fs::write(&cert_path, idp.cert_pem()).map_err(|source| SamlError::Io {
                    path: cert_path.clone(),
                    source,
                })?;
                Ok(idp)
            }
            (has_key, _) => Err(SamlError::Key(format!(
                "{} exists but {} does not; remove it or supply both",
                if has_key { &key_path } else { &cert_path }.display(),
                if has_key { &cert_path } else { &key_path }.display(),
            ))),
        }
    }

    /// A key and certificate from PEM text. The certificate must carry the key's public half.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<IdpKey> {
        let key = PKey::private_key_from_pem(key_pem)?;
        let cert = X509::from_pem(cert_pem)?;
        if !cert.public_key()?.public_eq(&key) {
            return Err(SamlError::Key(
                "the certificate does not belong to the private key".into(),
            ));
        }
        Ok(IdpKey { key, cert })
    }

    /// The same key with a new certificate (same subject and serial) valid only between
    /// `not_before` and `not_after`: for the expired and not-yet-valid certificate cases.
    pub fn reissue(&self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Result<IdpKey> {
        let cert = self_signed(
            &self.key,
            &self.common_name(),
            self.cert.serial_number(),
            not_before,
            not_after,
            None,
        )?;
        Ok(IdpKey {
            key: self.key.clone(),
            cert,
        })
    }

    /// A new key whose certificate copies `original`'s subject, serial number, validity and
    /// extensions (the ones idgate writes, the subject key identifier included): what an
    /// attacker makes to fool an SP that trusts a certificate by its name rather than its key.
    pub fn clone_of(original: &IdpKey) -> Result<IdpKey> {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let cert = self_signed_with(
            &key,
            original.cert.subject_name(),
            original.cert.serial_number(),
            original.cert.not_before(),
            original.cert.not_after(),
            original.cert.subject_key_id().map(|id| id.as_slice()),
        )?;
        Ok(IdpKey { key, cert })
    }

    /// The certificate as PEM text.
    pub fn cert_pem(&self) -> String {
        let pem = self
            .cert
            .to_pem()
            .expect("a parsed certificate encodes as PEM");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The certificate as DER bytes.
    pub fn cert_der(&self) -> Vec<u8> {
        self.cert
            .to_der()
            .expect("a parsed certificate encodes as DER")
    }

    /// The certificate's DER as one line of base64, as `ds:X509Certificate` carries it.
    pub fn cert_base64(&self) -> String {
        STANDARD.encode(self.cert_der())
    }

    /// The certificate itself.
    pub fn cert(&self) -> &X509Ref {
        &self.cert
    }

    /// SHA-256 of the certificate's DER, as colon-separated hex (what admin consoles show).
    pub fn fingerprint_sha256(&self) -> String {
        self.cert
            .digest(MessageDigest::sha256())
            .map(|d| {
                d.iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .unwrap_or_default()
    }

    /// An RSASSA-PKCS1-v1_5 signature of `data` with `digest` (sha1, sha256 or sha512).
    pub fn sign_rsa(&self, digest: MessageDigest, data: &[u8]) -> Result<Vec<u8>> {
        let mut signer = Signer::new(digest, &self.key)?;
        signer.update(data)?;
        Ok(signer.sign_to_vec()?)
    }

    /// Whether this certificate copies `other`'s identity: the same subject,
    /// serial number and validity (what [`IdpKey::clone_of`] makes).
    pub fn copies(&self, other: &IdpKey) -> bool {
        let (a, b) = (&self.cert, &other.cert);
        let same_name = match (a.subject_name().to_der(), b.subject_name().to_der()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        };
        let same_serial = match (a.serial_number().to_bn(), b.serial_number().to_bn()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        };
        let same_dates = a.not_before() == b.not_before() && a.not_after() == b.not_after();
        same_name && same_serial && same_dates
    }

    /// The private key as PKCS#8 PEM, for the one place that stores it.
    pub(crate) fn private_key_pem(&self) -> Result<Vec<u8>> {
        Ok(self.key.private_key_to_pem_pkcs8()?)
    }

    fn subject(&self) -> String {
        self.cert
            .subject_name()
            .entries()
            .map(|e| {
                format!(
                    "{}={}",
                    e.object().nid().short_name().unwrap_or("?"),
                    e.data().to_string().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn common_name(&self) -> String {
        self.cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok())
            .unwrap_or_else(|| "idgate test IdP".into())
    }
}

fn write_private(path: &Path, pem: &[u8]) -> Result<()> {
    write_file(path, pem, true)
}

/// Create `path` (it must not exist) holding `bytes`; mode 0600 when `private`.
pub(crate) fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let io = |source| SamlError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)
}

fn asn1_time(t: OffsetDateTime) -> Result<Asn1Time> {
    Ok(Asn1Time::from_unix(t.unix_timestamp())?)
}

fn self_signed(
    key: &PKey<Private>,
    cn: &str,
    serial: &openssl::asn1::Asn1IntegerRef,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    key_id: Option<&[u8]>,
) -> Result<X509> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "idgate")?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    let name = name.build();
    let (not_before, not_after) = (asn1_time(not_before)?, asn1_time(not_after)?);
    self_signed_with(key, &name, serial, &not_before, &not_after, key_id)
}

/// A certificate signed by its own key, with the extensions of a signing-only end entity.
fn self_signed_with(
    key: &PKey<Private>,
    name: &openssl::x509::X509NameRef,
    serial: &openssl::asn1::Asn1IntegerRef,
    not_before: &openssl::asn1::Asn1TimeRef,
    not_after: &openssl::asn1::Asn1TimeRef,
    key_id: Option<&[u8]>,
) -> Result<X509> {
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial: Asn1Integer = serial.to_bn()?.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(name)?;
    b.set_issuer_name(name)?;
    b.set_not_before(not_before)?;
    b.set_not_after(not_after)?;
    b.set_pubkey(key)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    let ski = match key_id {
        // A copied identifier, so a cloned certificate matches the original's extensions too.
        Some(id) if id.len() < 128 => {
            let mut der = vec![0x04, id.len() as u8];
            der.extend_from_slice(id);
            let oid = Asn1Object::from_str("2.5.29.14")?;
            let value = Asn1OctetString::new_from_bytes(&der)?;
            X509Extension::new_from_der(&oid, false, &value)?
        }
        _ => SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?,
    };
    b.append_extension(ski)?;
    b.sign(key, MessageDigest::sha256())?;
    Ok(b.build())
}

/// A committed test key pair from `fixtures/saml/`: `idp`, `attacker` or `cloned`.
#[cfg(test)]
pub(crate) fn test_key(name: &str) -> IdpKey {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/saml");
    let read = |f: String| fs::read(dir.join(f)).unwrap();
    IdpKey::from_pem(
        &read(format!("{name}-key.pem")),
        &read(format!("{name}-cert.pem")),
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/saml")
                .join(name),
        )
        .unwrap()
    }

    fn fixture_idp() -> IdpKey {
        test_key("idp")
    }

    #[test]
    fn debug_shows_no_key_material() {
        let idp = fixture_idp();
        let shown = format!("{idp:?}");
        assert!(shown.contains("idgate test IdP"), "{shown}");
        assert!(!shown.contains("PRIVATE"));
        let pem = String::from_utf8(fixture("idp-key.pem")).unwrap();
        let body_line = pem.lines().nth(1).unwrap();
        assert!(!shown.contains(body_line));
        assert!(!shown.contains(&idp.cert_base64()[..40]));
    }

    #[test]
    fn mismatched_key_and_cert_are_refused() {
        let err = IdpKey::from_pem(&fixture("idp-key.pem"), &fixture("attacker-cert.pem"));
        assert!(matches!(err, Err(SamlError::Key(_))));
    }

    #[test]
    fn load_or_generate_writes_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = IdpKey::load_or_generate(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = IdpKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.cert_der(), again.cert_der());
        fs::remove_file(dir.path().join(CERT_FILE)).unwrap();
        assert!(IdpKey::load_or_generate(dir.path()).is_err());
    }

    #[test]
    fn cert_forms_agree() {
        let idp = fixture_idp();
        let pem = idp.cert_pem();
        assert_eq!(pem.as_bytes(), fixture("idp-cert.pem").as_slice());
        assert_eq!(STANDARD.decode(idp.cert_base64()).unwrap(), idp.cert_der());
    }

    #[test]
    fn rsa_signature_verifies_with_the_certificate() {
        let idp = fixture_idp();
        let sig = idp.sign_rsa(MessageDigest::sha256(), b"data").unwrap();
        let public = idp.cert().public_key().unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(b"data").unwrap();
        assert!(v.verify(&sig).unwrap());
    }

    #[test]
    fn clone_copies_identity_but_not_key() {
        let idp = fixture_idp();
        let clone = IdpKey::clone_of(&idp).unwrap();
        assert_eq!(clone.subject(), idp.subject());
        let serial = |k: &IdpKey| k.cert().serial_number().to_bn().unwrap();
        assert_eq!(serial(&clone), serial(&idp));
        assert_eq!(
            clone.cert().subject_key_id().unwrap().as_slice(),
            idp.cert().subject_key_id().unwrap().as_slice()
        );
        assert!(!clone.cert().public_key().unwrap().public_eq(&idp.key));
        // The committed fixture was made the same way with the openssl command.
        let fixed = test_key("cloned");
        assert_eq!(fixed.subject(), idp.subject());
        assert_eq!(serial(&fixed), serial(&idp));
        assert_eq!(
            fixed.cert().subject_key_id().unwrap().as_slice(),
            idp.cert().subject_key_id().unwrap().as_slice()
        );
    }

    #[test]
    fn reissue_keeps_the_key() {
        let idp = fixture_idp();
        let past = OffsetDateTime::now_utc() - time::Duration::days(30);
        let old = idp.reissue(past - time::Duration::days(365), past).unwrap();
        assert!(old.cert().public_key().unwrap().public_eq(&idp.key));
        assert!(old.cert().not_after() < Asn1Time::days_from_now(0).unwrap());
    }
}
