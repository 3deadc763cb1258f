//! Secrets: password hashing (argon2id), encryption of identity document numbers at rest
//! with a separate keyed look-up hash (DESIGN §3.1), and random tokens.

use std::path::Path;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::identity::{Document, DocumentType};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key: {0}")]
    Key(String),
    #[error("key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("stored document cannot be decrypted (wrong master key?)")]
    Decrypt,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Keys derived from the one master key. The encryption and look-up keys differ, so
/// the look-up hash reveals nothing about the ciphertext key and vice versa.
#[derive(Clone)]
pub struct Keys {
    enc: [u8; 32],
    lookup: [u8; 32],
    chain: [u8; 32],
    credential: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keys {
    pub fn from_master(master: &[u8; 32]) -> Keys {
        Keys {
            enc: derive(master, "skillcert document encryption v1"),
            lookup: derive(master, "skillcert document lookup v1"),
            chain: derive(master, "skillcert audit chain v1"),
            credential: derive(master, "skillcert credential signing v1"),
        }
    }

    /// The key from `hex` (setting) or from `<data_dir>/keys/master.key`, creating that
    /// file (mode 0600) with a fresh random key on first start.
    pub fn load_or_create(hex_key: Option<&str>, data_dir: &Path) -> Result<Keys, CryptoError> {
        if let Some(h) = hex_key {
            return Ok(Keys::from_master(&parse_master(h.trim())?));
        }
        let dir = data_dir.join("keys");
        let path = dir.join("master.key");
        let io = |source| CryptoError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            return Ok(Keys::from_master(&parse_master(text.trim())?));
        }
        std::fs::create_dir_all(&dir).map_err(io)?;
        let mut master = [0u8; 32];
        OsRng.fill_bytes(&mut master);
        write_private(&path, hex::encode(master).as_bytes()).map_err(io)?;
        Ok(Keys::from_master(&master))
    }

    /// The key of the audit chain's hashes: outside the database, so a database writer
    /// cannot recompute the chain after a change.
    pub fn chain_key(&self) -> crate::domain::audit::ChainKey {
        crate::domain::audit::ChainKey::new(self.chain)
    }

    /// The Ed25519 key certificates are signed with as credentials: derived from the
    /// master key, so every process sharing the master key signs with the same key and
    /// no second secret has to be kept (its public half is the issuer's `did:key`).
    pub fn credential_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.credential)
    }

    /// `nonce ‖ ciphertext`, with the document type bound in as associated data so a
    /// ciphertext cannot be moved to a record of another type.
    pub fn encrypt_document(&self, doc: &Document) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.enc).into());
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let payload = chacha20poly1305::aead::Payload {
            msg: doc.expose().as_bytes(),
            aad: doc.doc_type.code().as_bytes(),
        };
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 encryption of a short message cannot fail");
        let mut out = nonce.to_vec();
        out.extend(ct);
        out
    }

    pub fn decrypt_document(
        &self,
        doc_type: DocumentType,
        blob: &[u8],
    ) -> Result<String, CryptoError> {
        if blob.len() < 24 {
            return Err(CryptoError::Decrypt);
        }
        let cipher = XChaCha20Poly1305::new((&self.enc).into());
        let payload = chacha20poly1305::aead::Payload {
            msg: &blob[24..],
            aad: doc_type.code().as_bytes(),
        };
        let pt = cipher
            .decrypt(XNonce::from_slice(&blob[..24]), payload)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Decrypt)
    }

    /// Keyed hash for "is this person already registered?" without decrypting anything.
    pub fn document_lookup(&self, doc: &Document) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.lookup).expect("any key length");
        mac.update(doc.doc_type.code().as_bytes());
        mac.update(b":");
        mac.update(doc.expose().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn parse_master(h: &str) -> Result<[u8; 32], CryptoError> {
    let bytes =
        hex::decode(h).map_err(|_| CryptoError::Key("expected 64 hex characters".into()))?;
    bytes
        .try_into()
        .map_err(|_| CryptoError::Key("expected 64 hex characters".into()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// argon2id with the OWASP minimum the brief asks for: m = 19456 KiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Argon2 working memory (19 MiB per hash) comes from a pool of at most
/// [`HASH_BUFFERS`] buffers instead of a fresh allocation per hash, and hashes wait for
/// a free buffer. Why: glibc raises its mmap threshold once such a block is freed and
/// from then on keeps 19 MiB blocks in per-thread arenas; a server that had created
/// 70 accounts held over 1.2 GB (measured, BENCHMARKS.md). Hashing is CPU-bound, so
/// two at a time on a 2-core machine loses nothing.
const HASH_BUFFERS: usize = 2;

struct HashMemory {
    free: std::sync::Mutex<(Vec<Vec<argon2::Block>>, usize)>,
    ready: std::sync::Condvar,
}

static HASH_MEMORY: HashMemory = HashMemory {
    free: std::sync::Mutex::new((Vec::new(), 0)),
    ready: std::sync::Condvar::new(),
};

fn with_hash_memory<T>(blocks: usize, f: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
    let mut buf = {
        let mut g = HASH_MEMORY.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(b) = g.0.pop() {
                break b;
            }
            if g.1 < HASH_BUFFERS {
                g.1 += 1;
                break Vec::new();
            }
            g = HASH_MEMORY.ready.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    };
    if buf.len() < blocks {
        buf.resize(blocks, argon2::Block::new());
    }
    let out = f(&mut buf[..blocks]);
    HASH_MEMORY
        .free
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .0
        .push(buf);
    HASH_MEMORY.ready.notify_one();
    out
}

/// Hashes to a PHC string. CPU-heavy: call through [`hash_password_blocking`] from async code.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let err = |e: String| CryptoError::Hash(e);
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|e| err(e.to_string()))?;
    let a = argon2();
    let params = a.params().clone();
    let mut out = [0u8; 32];
    with_hash_memory(params.block_count(), |m| {
        a.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, m)
    })
    .map_err(|e| err(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e: argon2::password_hash::Error| err(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| err(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Checks a password against a PHC string (any argon2 variant and parameters it names),
/// in constant time, with the pooled working memory.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let check = || -> Option<bool> {
        let h = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(h.algorithm).ok()?;
        let version = match h.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&h).ok()?;
        let expected = h.hash?;
        let mut salt_buf = [0u8; 64];
        let salt = h.salt?.decode_b64(&mut salt_buf).ok()?;
        let a = Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        with_hash_memory(params.block_count(), |m| {
            a.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, m)
        })
        .ok()?;
        let computed = argon2::password_hash::Output::new(&out).ok()?;
        // `Output`'s equality is constant-time.
        Some(computed == expected)
    };
    check().unwrap_or(false)
}

/// Hashing off the async worker threads.
pub async fn hash_password_blocking(password: String) -> Result<String, CryptoError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| CryptoError::Hash(e.to_string()))?
}

/// Verifies off the async threads. For an unknown account pass `None`: a dummy hash is
/// verified instead so the answer takes as long as for a real one.
pub async fn verify_password_blocking(
    password: String,
    phc: Option<String>,
    dummy: String,
) -> bool {
    let known = phc.is_some();
    let phc = phc.unwrap_or(dummy);
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    ok && known
}

/// A fresh 128-bit random token (32 hex characters) and the SHA-256 under which it is
/// stored: the database never holds a usable token.
/// Equality of two secrets (tokens, look-up hashes) in time that depends on their
/// length only, not on where they first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A readable random password for the first admin (no look-alike characters).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn documents_round_trip_and_do_not_leak() {
        let keys = Keys::from_master(&[7u8; 32]);
        let doc = Document::parse(
            DocumentType::ResidentId,
            "11010519491231002X",
            date!(2026 - 01 - 01),
        )
        .unwrap();
        let blob = keys.encrypt_document(&doc);
        assert!(!blob.windows(18).any(|w| w == b"11010519491231002X"));
        assert_eq!(
            keys.decrypt_document(DocumentType::ResidentId, &blob)
                .unwrap(),
            "11010519491231002X"
        );
        // Bound to its type.
        assert!(keys
            .decrypt_document(DocumentType::Passport, &blob)
            .is_err());
        // Another key cannot read it; the look-up hash is stable per key.
        let other = Keys::from_master(&[8u8; 32]);
        assert!(other
            .decrypt_document(DocumentType::ResidentId, &blob)
            .is_err());
        assert_eq!(keys.document_lookup(&doc), keys.document_lookup(&doc));
        assert_ne!(keys.document_lookup(&doc), other.document_lookup(&doc));
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    /// Hashes written by the argon2 crate's own `PasswordHasher` (as stored by earlier
    /// versions) verify with the pooled implementation, and the other way round.
    #[test]
    fn pooled_hashing_matches_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        assert!(!verify_password("correct horsE", &theirs));
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
    }

    #[test]
    fn tokens_are_128_bit_and_stored_hashed() {
        let (t, h) = new_token();
        assert_eq!(t.len(), 32);
        assert_eq!(h, token_hash(&t));
        assert_ne!(new_token().0, t);
    }
}
