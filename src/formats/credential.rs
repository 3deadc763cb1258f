//! Certificates as signed credentials: W3C Verifiable Credentials 2.0 in the Open Badges
//! 3.0 shape, secured with a Data Integrity proof of the `eddsa-jcs-2022` cryptosuite
//! (Ed25519 over the JCS-canonical document), the issuer's key named as a `did:key`, so
//! anyone can check a credential offline; revocation is published as a Bitstring Status
//! List. Written by hand: the pieces are small (canonical JSON, base58btc, multicodec,
//! gzip of a bitstring), and the crates that do all of it bring JSON-LD processors this
//! service does not need.

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The multicodec prefix of an Ed25519 public key (`0xed01`).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Bits in a status list: the minimum the Bitstring Status List asks for (16 KB), so a
/// list does not tell how many certificates there are.
pub const STATUS_LIST_BITS: usize = 131_072;

/// `did:key:z6Mk…` of an Ed25519 public key.
pub fn did_key(public: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(public.as_bytes());
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// The public key a `did:key` (or a verification method `did:key:…#…`) names.
pub fn key_of_did(did: &str) -> Option<VerifyingKey> {
    let id = did.strip_prefix("did:key:z")?.split('#').next()?;
    let bytes = bs58::decode(id).into_vec().ok()?;
    let key: [u8; 32] = bytes.strip_prefix(&ED25519_PUB)?.try_into().ok()?;
    VerifyingKey::from_bytes(&key).ok()
}

/// JSON Canonicalization Scheme (RFC 8785) for the values credentials hold: object keys
/// sorted by their UTF-16 code units, no insignificant white space, strings escaped as
/// ECMAScript does (serde_json's compact escaping is the same for strings), integers as
/// written. Credentials here carry no fractional numbers.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&m[*k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// What `eddsa-jcs-2022` signs: the hash of the canonical proof options (with the
/// document's `@context`) followed by the hash of the canonical document without proof.
fn signing_input(doc: &Map<String, Value>, proof_options: &Map<String, Value>) -> Vec<u8> {
    let mut options = proof_options.clone();
    options.remove("proofValue");
    if let Some(ctx) = doc.get("@context") {
        options.insert("@context".into(), ctx.clone());
    }
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    let mut out = Sha256::digest(canonical(&Value::Object(options)).as_bytes()).to_vec();
    out.extend_from_slice(&Sha256::digest(
        canonical(&Value::Object(unsecured)).as_bytes(),
    ));
    out
}

/// Adds a `DataIntegrityProof` (`eddsa-jcs-2022`) made with `key` to `doc`.
pub fn sign(mut doc: Map<String, Value>, key: &SigningKey, created: &str) -> Value {
    doc.remove("proof");
    let did = did_key(&key.verifying_key());
    let fragment = did.trim_start_matches("did:key:").to_string();
    let mut proof = Map::new();
    proof.insert("type".into(), json!("DataIntegrityProof"));
    proof.insert("cryptosuite".into(), json!("eddsa-jcs-2022"));
    proof.insert("created".into(), json!(created));
    proof.insert(
        "verificationMethod".into(),
        json!(format!("{did}#{fragment}")),
    );
    proof.insert("proofPurpose".into(), json!("assertionMethod"));
    let signature = key.sign(&signing_input(&doc, &proof));
    proof.insert(
        "proofValue".into(),
        json!(format!(
            "z{}",
            bs58::encode(signature.to_bytes()).into_string()
        )),
    );
    doc.insert("proof".into(), Value::Object(proof));
    Value::Object(doc)
}

/// Why a credential does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("not a JSON object")]
    NotObject,
    #[error("no Data Integrity proof of the eddsa-jcs-2022 cryptosuite")]
    NoProof,
    #[error("the verification method is not an Ed25519 did:key")]
    Key,
    #[error("the proof value is not a base58btc Ed25519 signature")]
    ProofValue,
    #[error("the signature does not match: the credential was changed or not signed by this key")]
    Signature,
}

impl CredentialError {
    pub fn code(&self) -> &'static str {
        match self {
            CredentialError::NotObject => "credential_error.not_object",
            CredentialError::NoProof => "credential_error.no_proof",
            CredentialError::Key => "credential_error.key",
            CredentialError::ProofValue => "credential_error.proof_value",
            CredentialError::Signature => "credential_error.signature",
        }
    }
}

/// Checks a credential's proof; returns the issuer key's `did:key` on success.
pub fn verify(doc: &Value) -> Result<String, CredentialError> {
    let doc = doc.as_object().ok_or(CredentialError::NotObject)?;
    let proof = doc
        .get("proof")
        .and_then(Value::as_object)
        .filter(|p| p.get("cryptosuite") == Some(&json!("eddsa-jcs-2022")))
        .ok_or(CredentialError::NoProof)?;
    let method = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or(CredentialError::Key)?;
    let key = key_of_did(method).ok_or(CredentialError::Key)?;
    let value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|v| v.strip_prefix('z'))
        .and_then(|v| bs58::decode(v).into_vec().ok())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(CredentialError::ProofValue)?;
    let signature = Signature::from_bytes(&value);
    key.verify(&signing_input(doc, proof), &signature)
        .map_err(|_| CredentialError::Signature)?;
    Ok(did_key(&key))
}

/// The `encodedList` of a Bitstring Status List with the given indexes set: the bits
/// (index 0 the first bit of the first byte) gzip-compressed, base64url without padding,
/// with the multibase prefix `u`.
pub fn encoded_status_list(set: &[u64]) -> String {
    let mut bits = vec![0u8; STATUS_LIST_BITS / 8];
    for &i in set {
        let i = i as usize;
        if i < STATUS_LIST_BITS {
            bits[i / 8] |= 0x80 >> (i % 8);
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = std::io::Write::write_all(&mut gz, &bits);
    let zipped = gz.finish().unwrap_or_default();
    format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(zipped)
    )
}

/// Whether index `i` is set in an `encodedList` (for offline checks and tests).
pub fn status_list_bit(encoded: &str, i: u64) -> Option<bool> {
    let zipped = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u')?)
        .ok()?;
    let mut bits = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut bits).ok()?;
    let i = usize::try_from(i).ok()?;
    Some(bits.get(i / 8)? & (0x80 >> (i % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn doc() -> Map<String, Value> {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
               "credentialSubject": {"name": "张*", "achievement": {"name": "养老护理员 五级"}},
               "validFrom": "2026-12-04T00:00:00Z"})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_signed_credential_verifies_and_any_change_breaks_it() {
        let signed = sign(doc(), &key(), "2026-12-04T08:00:00Z");
        let did = verify(&signed).unwrap();
        assert!(did.starts_with("did:key:z6Mk"), "{did}");
        assert_eq!(key_of_did(&did).unwrap(), key().verifying_key());
        let mut changed = signed.clone();
        changed["credentialSubject"]["achievement"]["name"] = json!("养老护理员 一级");
        assert_eq!(verify(&changed), Err(CredentialError::Signature));
        // Key order and white space do not matter (canonical form).
        let reordered: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&signed).unwrap()).unwrap();
        assert!(verify(&reordered).is_ok());
        // Another key's signature over the same document does not pass as ours.
        let other = sign(
            doc(),
            &SigningKey::from_bytes(&[8u8; 32]),
            "2026-12-04T08:00:00Z",
        );
        assert_ne!(verify(&other).unwrap(), did);
        let mut unsigned = signed;
        unsigned.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&unsigned), Err(CredentialError::NoProof));
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_space() {
        let v = json!({"b": 1, "a": {"d": [1, "x"], "c": null}, "é": true});
        assert_eq!(
            canonical(&v),
            r#"{"a":{"c":null,"d":[1,"x"]},"b":1,"é":true}"#
        );
    }

    #[test]
    fn status_lists_set_exactly_the_revoked_bits() {
        let list = encoded_status_list(&[0, 9, 4_000]);
        assert!(list.starts_with('u'));
        for (i, want) in [
            (0, true),
            (1, false),
            (9, true),
            (4_000, true),
            (4_001, false),
        ] {
            assert_eq!(status_list_bit(&list, i), Some(want), "bit {i}");
        }
    }
}
