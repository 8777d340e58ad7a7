//! idgate's test IdP as a run uses it: the signing key an SP trusts, the two keys the
//! battery's forgeries sign with, and the two keys of a certificate rotation (the next key the
//! rotation metadata announces, the retired one it no longer lists). Making an RSA key costs
//! tens of milliseconds, so these keys are made once and kept beside the IdP key (or taken from
//! the committed fixtures), never made again on every run.

use std::fs;
use std::path::Path;

use super::error::{Result, SamlError};
use super::keys::IdpKey;

/// The files the attack keys are kept in, beside `idp-key.pem`.
pub const ATTACKER_KEY_FILE: &str = "attacker-key.pem";
pub const ATTACKER_CERT_FILE: &str = "attacker-cert.pem";
pub const CLONED_KEY_FILE: &str = "cloned-key.pem";
pub const CLONED_CERT_FILE: &str = "cloned-cert.pem";
pub const NEXT_KEY_FILE: &str = "next-key.pem";
pub const NEXT_CERT_FILE: &str = "next-cert.pem";
pub const RETIRED_KEY_FILE: &str = "retired-key.pem";
pub const RETIRED_CERT_FILE: &str = "retired-cert.pem";

/// The keys a forger has: an unrelated one, and one whose certificate copies
/// the IdP certificate's identity ([`IdpKey::clone_of`]).
#[derive(Debug, Clone)]
pub struct AttackKeys {
    pub attacker: IdpKey,
    pub cloned: IdpKey,
}

/// The keys of a certificate rotation: the one the IdP moves to, announced beside its key in
/// `idgate saml metadata --rotation`, and the one it moved away from, which that metadata no
/// longer lists (`--rotation earlier` did).
#[derive(Debug, Clone)]
pub struct RotationKeys {
    pub next: IdpKey,
    pub retired: IdpKey,
}

/// The IdP a run signs with.
#[derive(Debug, Clone)]
pub struct Idp {
    pub key: IdpKey,
    pub entity_id: String,
    pub attack: AttackKeys,
    pub rotation: RotationKeys,
}

impl RotationKeys {
    /// The committed test pairs (`fixtures/saml`).
    pub fn fixtures() -> Result<RotationKeys> {
        Ok(RotationKeys {
            next: IdpKey::from_pem(
                include_bytes!("../../fixtures/saml/next-key.pem"),
                include_bytes!("../../fixtures/saml/next-cert.pem"),
            )?,
            retired: IdpKey::from_pem(
                include_bytes!("../../fixtures/saml/retired-key.pem"),
                include_bytes!("../../fixtures/saml/retired-cert.pem"),
            )?,
        })
    }

    /// The rotation keys kept in `dir`, each made (key file mode 0600) when missing. They
    /// stay as they are, so the metadata an SP was given once keeps naming them.
    pub fn load_or_generate(dir: &Path) -> Result<RotationKeys> {
        let pair = |key: &str, cert: &str, name: &str| match read_pair(dir, key, cert) {
            Some(k) => Ok(k),
            None => {
                let k = IdpKey::generate(name)?;
                store(dir, key, cert, &k)?;
                Ok::<_, SamlError>(k)
            }
        };
        Ok(RotationKeys {
            next: pair(NEXT_KEY_FILE, NEXT_CERT_FILE, "idgate test IdP (next)")?,
            retired: pair(
                RETIRED_KEY_FILE,
                RETIRED_CERT_FILE,
                "idgate test IdP (retired)",
            )?,
        })
    }
}

impl AttackKeys {
    /// The committed test pairs (`fixtures/saml`), made for the fixture IdP key.
    pub fn fixtures() -> Result<AttackKeys> {
        Ok(AttackKeys {
            attacker: IdpKey::from_pem(
                include_bytes!("../../fixtures/saml/attacker-key.pem"),
                include_bytes!("../../fixtures/saml/attacker-cert.pem"),
            )?,
            cloned: IdpKey::from_pem(
                include_bytes!("../../fixtures/saml/cloned-key.pem"),
                include_bytes!("../../fixtures/saml/cloned-cert.pem"),
            )?,
        })
    }

    /// The attack keys kept in `dir` for `idp`, made (key files mode 0600) when
    /// missing, and the cloned one made again when it no longer copies `idp`'s
    /// certificate (the IdP key was replaced).
    pub fn load_or_generate(dir: &Path, idp: &IdpKey) -> Result<AttackKeys> {
        let attacker = match read_pair(dir, ATTACKER_KEY_FILE, ATTACKER_CERT_FILE) {
            Some(k) => k,
            None => {
                let k = IdpKey::generate("idgate attacker")?;
                store(dir, ATTACKER_KEY_FILE, ATTACKER_CERT_FILE, &k)?;
                k
            }
        };
        let cloned = match read_pair(dir, CLONED_KEY_FILE, CLONED_CERT_FILE) {
            Some(k) if k.copies(idp) => k,
            _ => {
                let k = IdpKey::clone_of(idp)?;
                store(dir, CLONED_KEY_FILE, CLONED_CERT_FILE, &k)?;
                k
            }
        };
        Ok(AttackKeys { attacker, cloned })
    }
}

/// A key pair from two files of `dir`; `None` when either is missing or unreadable.
fn read_pair(dir: &Path, key: &str, cert: &str) -> Option<IdpKey> {
    let key = fs::read(dir.join(key)).ok()?;
    let cert = fs::read(dir.join(cert)).ok()?;
    IdpKey::from_pem(&key, &cert).ok()
}

/// Write a pair through temporary files and a rename, so a second process
/// reading at the same moment sees the old pair or the new one, never half.
fn store(dir: &Path, key_file: &str, cert_file: &str, k: &IdpKey) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SamlError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = format!(".{}.tmp", uuid::Uuid::new_v4().simple());
    for (name, pem, private) in [
        (key_file, k.private_key_pem()?, true),
        (cert_file, k.cert_pem().into_bytes(), false),
    ] {
        let staged = dir.join(format!("{name}{tmp}"));
        super::keys::write_file(&staged, &pem, private)?;
        fs::rename(&staged, dir.join(name)).map_err(io(&staged))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_keys_are_made_once_and_follow_the_idp_key() {
        let dir = tempfile::tempdir().unwrap();
        let idp = IdpKey::load_or_generate(dir.path()).unwrap();
        let first = AttackKeys::load_or_generate(dir.path(), &idp).unwrap();
        assert!(first.cloned.copies(&idp));
        let again = AttackKeys::load_or_generate(dir.path(), &idp).unwrap();
        assert_eq!(first.attacker.cert_pem(), again.attacker.cert_pem());
        assert_eq!(first.cloned.cert_pem(), again.cloned.cert_pem());

        // A new IdP key: the cloned certificate is made anew, the attacker's kept.
        let other = IdpKey::generate("another IdP").unwrap();
        let moved = AttackKeys::load_or_generate(dir.path(), &other).unwrap();
        assert!(moved.cloned.copies(&other) && !moved.cloned.copies(&idp));
        assert_eq!(moved.attacker.cert_pem(), first.attacker.cert_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [ATTACKER_KEY_FILE, CLONED_KEY_FILE] {
                let mode = fs::metadata(dir.path().join(f))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o077, 0, "{f} is readable by others");
            }
        }
    }

    #[test]
    fn rotation_keys_are_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let idp = IdpKey::load_or_generate(dir.path()).unwrap();
        let first = RotationKeys::load_or_generate(dir.path()).unwrap();
        let again = RotationKeys::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.next.cert_pem(), again.next.cert_pem());
        assert_eq!(first.retired.cert_pem(), again.retired.cert_pem());
        let pems = [
            idp.cert_pem(),
            first.next.cert_pem(),
            first.retired.cert_pem(),
        ];
        assert!(pems[0] != pems[1] && pems[1] != pems[2] && pems[0] != pems[2]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [NEXT_KEY_FILE, RETIRED_KEY_FILE] {
                let mode = fs::metadata(dir.path().join(f))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o077, 0, "{f} is readable by others");
            }
        }
        let fixed = RotationKeys::fixtures().unwrap();
        assert!(fixed.next.cert_pem() != fixed.retired.cert_pem());
    }

    #[test]
    fn the_fixture_attack_keys_match_the_fixture_idp() {
        let idp = IdpKey::from_pem(
            include_bytes!("../../fixtures/saml/idp-key.pem"),
            include_bytes!("../../fixtures/saml/idp-cert.pem"),
        )
        .unwrap();
        let keys = AttackKeys::fixtures().unwrap();
        assert!(keys.cloned.copies(&idp));
        assert!(!keys.attacker.copies(&idp));
    }
}
