//! Signatures in OpenSSH's SSH signature format (SSHSIG, the format of
//! `ssh-keygen -Y sign`), namespace `candlefish`, made and checked with the
//! RustCrypto `ssh-key` crate: a record's signature is what `ssh-keygen -Y
//! sign -n candlefish` makes over its [`payload`](crate::state::trust::payload),
//! so `ssh-keygen -Y verify` checks it with the same `allowed_signers` file.
//!
//! Ed25519 and ECDSA P-256 keys sign, from a private key file or from
//! ssh-agent. RSA is not supported: the `rsa` crate has an open advisory
//! (RUSTSEC-2023-0071), and `ssh-key` is built without it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ssh_encoding::{Decode as _, Encode as _};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, PrivateKey, PublicKey, SshSig};

use super::agent::Agent;

/// The SSHSIG namespace of every Candlefish signature.
pub const NAMESPACE: &str = "candlefish";

/// A key that can sign. One per run, so the private key is held inline.
#[allow(clippy::large_enum_variant)]
pub enum Key {
    /// A private key read from a file (not passphrase-protected).
    File {
        /// Where it was read from, for messages.
        path: String,
        /// The key.
        key: PrivateKey,
    },
    /// A key ssh-agent holds; the agent signs.
    Agent {
        /// Its public half.
        public: PublicKey,
    },
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        write!(f, "Key({})", self.fingerprint())
    }
}

impl Key {
    /// The public key.
    pub fn public(&self) -> &PublicKey {
        match self {
            Key::File { key, .. } => key.public_key(),
            Key::Agent { public } => public,
        }
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.public().key_data())
    }

    /// Signs `msg`: the base64 of the SSHSIG blob.
    pub fn sign(&self, msg: &[u8]) -> Result<String, String> {
        let sig = match self {
            Key::File { path, key } => key
                .sign(NAMESPACE, HashAlg::Sha512, msg)
                .map_err(|e| format!("cannot sign with {path}: {e}"))?,
            Key::Agent { public } => {
                let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, msg)
                    .map_err(|e| e.to_string())?;
                let signature = Agent::from_env()?.sign(public.key_data(), &data)?;
                SshSig::new(
                    public.key_data().clone(),
                    NAMESPACE,
                    HashAlg::Sha512,
                    signature,
                )
                .map_err(|e| e.to_string())?
            }
        };
        // A signature that does not verify is never written.
        public_key(sig.public_key())
            .verify(NAMESPACE, msg, &sig)
            .map_err(|e| format!("the signature just made does not verify: {e}"))?;
        let mut blob = Vec::new();
        sig.encode(&mut blob).map_err(|e| e.to_string())?;
        Ok(STANDARD.encode(blob))
    }
}

/// Whether Candlefish signs and verifies with keys of this algorithm.
pub fn supported(algorithm: &Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Ed25519
            | Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256
            }
    )
}

/// `SHA256:…` of a public key.
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn public_key(key: &KeyData) -> PublicKey {
    PublicKey::new(key.clone(), "")
}

/// A signature that verified over a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key that made it.
    pub key: KeyData,
    /// Its fingerprint.
    pub fingerprint: String,
}

/// Checks `signature` (base64 of an SSHSIG blob, or its PEM armour) over
/// `msg` in the `candlefish` namespace. The error says why, for people.
pub fn verify(msg: &[u8], signature: &str) -> Result<Verified, String> {
    let sig = decode(signature)?;
    let key = sig.public_key().clone();
    let fingerprint = fingerprint(&key);
    if !supported(&key.algorithm()) {
        return Err(format!(
            "signature by {fingerprint} uses {}, which Candlefish does not verify (Ed25519 and ECDSA P-256 only)",
            key.algorithm()
        ));
    }
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "signature by {fingerprint} was made for namespace `{}`, not `{NAMESPACE}`",
            sig.namespace()
        ));
    }
    public_key(&key).verify(NAMESPACE, msg, &sig).map_err(|_| {
        format!("signature by {fingerprint} does not verify: the record was changed after signing")
    })?;
    Ok(Verified { key, fingerprint })
}

/// The signature's key, without verifying anything (for messages).
pub fn signer_of(signature: &str) -> Option<String> {
    decode(signature)
        .ok()
        .map(|sig| fingerprint(sig.public_key()))
}

fn decode(signature: &str) -> Result<SshSig, String> {
    let text = signature.trim();
    if text.starts_with("-----BEGIN") {
        return SshSig::from_pem(text).map_err(|e| format!("the signature cannot be read: {e}"));
    }
    let blob = STANDARD
        .decode(text)
        .map_err(|_| "the signature cannot be read: not base64".to_owned())?;
    SshSig::decode(&mut blob.as_slice()).map_err(|e| format!("the signature cannot be read: {e}"))
}

/// The PEM armour `ssh-keygen -Y verify -s` reads.
pub fn armored(signature: &str) -> Result<String, String> {
    decode(signature)?
        .to_pem(ssh_key::LineEnding::LF)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        let pair = ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]);
        Key::File {
            path: "test".into(),
            key: PrivateKey::from(pair),
        }
    }

    #[test]
    fn signs_and_verifies_and_notices_changes() {
        let key = key();
        let sig = key.sign(b"payload").unwrap();
        let ok = verify(b"payload", &sig).unwrap();
        assert_eq!(ok.fingerprint, key.fingerprint());
        let err = verify(b"payl0ad", &sig).unwrap_err();
        assert_eq!(
            err,
            format!(
                "signature by {} does not verify: the record was changed after signing",
                key.fingerprint()
            )
        );
        assert!(
            armored(&sig)
                .unwrap()
                .starts_with("-----BEGIN SSH SIGNATURE-----")
        );
        assert!(verify(b"payload", &armored(&sig).unwrap()).is_ok());
        assert!(
            verify(b"payload", "!!")
                .unwrap_err()
                .contains("cannot be read")
        );
        assert!(format!("{key:?}").starts_with("Key(SHA256:"));
    }
}
