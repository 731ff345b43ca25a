//! The keys tokens may be signed with, and the algorithms each may be used with.
//!
//! A key set is built from configuration: an optional HS256 secret (`JWT_SECRET`) and an optional
//! JWK set (`JWT_JWKS`) that can hold more HS256 keys and the public keys of EdDSA (Ed25519) and
//! ES256 (P-256) signers. Each key serves exactly one algorithm, fixed by its key type, and the
//! set refuses to hold a key whose algorithm is not in the allow-list (`JWT_ALGORITHMS`). So the
//! only way a token's `alg` can matter is by failing to match its key: a token cannot pick `none`,
//! nor get an HMAC checked with a public key as the secret.

use std::fmt;

use jwt_compact::jwk::JsonWebKey;
use serde_json::Value;

use crate::auth::token::SigningSecret;

/// Shortest HMAC key accepted: HS256 keys shorter than the hash output weaken it.
pub const MIN_SECRET_BYTES: usize = 32;

/// Most keys one set may hold; a set is read on every request.
pub const MAX_KEYS: usize = 16;

/// A signature algorithm this service can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC with SHA-256, keyed with a shared secret.
    Hs256,
    /// Ed25519 signatures (`EdDSA` in a token's header).
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl Algorithm {
    /// Every algorithm this service supports, in the order the documentation lists them.
    pub const ALL: [Algorithm; 3] = [Algorithm::Hs256, Algorithm::EdDsa, Algorithm::Es256];

    /// The name a token's `alg` header uses for the algorithm.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es256 => "ES256",
        }
    }

    /// Reads a comma-separated allow-list such as `HS256, EdDSA`. Names are matched exactly, as
    /// in a token header; `none` and every other name are refused.
    pub fn parse_list(raw: &str) -> Result<Vec<Algorithm>, String> {
        let mut allowed = Vec::new();
        for name in raw
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            let algorithm = Self::ALL
                .into_iter()
                .find(|candidate| candidate.name() == name)
                .ok_or_else(|| {
                    "names an unsupported algorithm (supported: HS256, EdDSA, ES256)".to_owned()
                })?;
            if !allowed.contains(&algorithm) {
                allowed.push(algorithm);
            }
        }

        if allowed.is_empty() {
            return Err("names no algorithm".to_owned());
        }
        Ok(allowed)
    }
}

/// The material of one key, which also fixes the one algorithm it verifies.
pub(crate) enum KeyMaterial {
    Hmac(SigningSecret),
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

impl KeyMaterial {
    fn algorithm(&self) -> Algorithm {
        match self {
            KeyMaterial::Hmac(_) => Algorithm::Hs256,
            KeyMaterial::Ed25519(_) => Algorithm::EdDsa,
            KeyMaterial::P256(_) => Algorithm::Es256,
        }
    }
}

/// One key and the `kid` that selects it; a key without a `kid` serves tokens without one.
pub struct Key {
    kid: Option<String>,
    pub(crate) material: KeyMaterial,
}

impl Key {
    /// The algorithm a token verified with this key must name.
    pub fn algorithm(&self) -> Algorithm {
        self.material.algorithm()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public keys are not secret, but one Debug form for every key keeps it simple to audit.
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// The keys tokens are verified with.
///
/// Invariants: never empty, at most one key without a `kid`, no `kid` twice, and every key's
/// algorithm is allowed.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// Builds the set from the allow-list, the HS256 secret and the JWK set, each as configured.
    ///
    /// The errors name what is wrong without quoting the configuration, which may hold secrets.
    pub fn new(
        allowed: &[Algorithm],
        secret: Option<&str>,
        jwks: Option<&str>,
    ) -> Result<KeySet, String> {
        let mut keys = Vec::new();
        if let Some(secret) = secret.filter(|secret| !secret.is_empty()) {
            keys.push(Key {
                kid: None,
                material: KeyMaterial::Hmac(hmac_secret(secret.as_bytes(), "JWT_SECRET")?),
            });
        }
        if let Some(jwks) = jwks.filter(|jwks| !jwks.trim().is_empty()) {
            keys.extend(parse_jwks(jwks)?);
        }

        if keys.is_empty() {
            return Err("no key: set JWT_SECRET or give JWT_JWKS at least one key".to_owned());
        }
        if keys.len() > MAX_KEYS {
            return Err(format!("more than {MAX_KEYS} keys"));
        }
        for (index, key) in keys.iter().enumerate() {
            if !allowed.contains(&key.algorithm()) {
                return Err(format!(
                    "{} holds a key for {}, which JWT_ALGORITHMS does not allow",
                    key_name(key),
                    key.algorithm().name()
                ));
            }
            if keys[..index].iter().any(|earlier| earlier.kid == key.kid) {
                return Err(match &key.kid {
                    Some(kid) => format!("two keys have the kid {kid:?}"),
                    None => "two keys have no kid (JWT_SECRET counts as one)".to_owned(),
                });
            }
        }
        Ok(KeySet { keys })
    }

    /// The key a token with this `kid` (or none) must be verified with.
    pub fn find(&self, kid: Option<&str>) -> Option<&Key> {
        self.keys.iter().find(|key| key.kid.as_deref() == kid)
    }

    /// A set of one HS256 key without a `kid`, for tests and tools that sign their own tokens.
    pub fn single_secret(secret: SigningSecret) -> KeySet {
        KeySet {
            keys: vec![Key {
                kid: None,
                material: KeyMaterial::Hmac(secret),
            }],
        }
    }
}

fn key_name(key: &Key) -> String {
    match &key.kid {
        Some(kid) => format!("JWT_JWKS key {kid:?}"),
        None => "JWT_SECRET".to_owned(),
    }
}

fn hmac_secret(bytes: &[u8], source: &str) -> Result<SigningSecret, String> {
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!("{source} is shorter than {MIN_SECRET_BYTES} bytes"));
    }
    Ok(SigningSecret::new(bytes.to_vec()))
}

/// Reads a JWK set (`{"keys": [...]}`). Every key must carry a `kid`, may say `"use": "sig"` and
/// an `alg` that matches its type, and must not hold a private part: the edge needs only public
/// keys, and a private key in configuration is one leak away from forged tokens.
fn parse_jwks(raw: &str) -> Result<Vec<Key>, String> {
    let set: Value = serde_json::from_str(raw).map_err(|_| "JWT_JWKS is not JSON".to_owned())?;
    let entries = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| "JWT_JWKS has no \"keys\" array".to_owned())?;

    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            parse_jwk(entry).map_err(|why| format!("JWT_JWKS key {index}: {why}"))
        })
        .collect()
}

fn parse_jwk(entry: &Value) -> Result<Key, String> {
    let kid = match entry.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err("needs a non-empty string kid".to_owned()),
    };
    if entry.get("use").is_some_and(|usage| usage != "sig") {
        return Err("has a \"use\" other than \"sig\"".to_owned());
    }

    // The library's errors may quote key bytes, so they are replaced, not passed on.
    let jwk = serde_json::from_value::<JsonWebKey<'_>>(entry.clone())
        .map_err(|_| "is not a JWK of a supported type (oct, OKP, EC)".to_owned())?;
    let material = match &jwk {
        JsonWebKey::Symmetric { secret } => KeyMaterial::Hmac(hmac_secret(secret, "the key")?),
        JsonWebKey::KeyPair {
            secret: Some(_), ..
        }
        | JsonWebKey::EllipticCurve {
            secret: Some(_), ..
        } => {
            return Err("holds a private key; give only the public part".to_owned());
        }
        JsonWebKey::KeyPair { .. } => KeyMaterial::Ed25519(
            ed25519_dalek::VerifyingKey::try_from(&jwk)
                .map_err(|_| "is not an Ed25519 public key".to_owned())?,
        ),
        JsonWebKey::EllipticCurve { .. } => KeyMaterial::P256(
            p256::ecdsa::VerifyingKey::try_from(&jwk)
                .map_err(|_| "is not a P-256 public key".to_owned())?,
        ),
        _ => return Err("has an unsupported key type".to_owned()),
    };

    let algorithm = material.algorithm();
    if entry.get("alg").is_some_and(|alg| alg != algorithm.name()) {
        return Err(format!(
            "names an alg other than {}, the one its key type serves",
            algorithm.name()
        ));
    }
    Ok(Key {
        kid: Some(kid),
        material,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const SECRET: &str = "unit-test-secret-of-at-least-32-bytes!";

    /// A fixed Ed25519 key pair, so tests need no randomness.
    pub(crate) fn ed25519_signing_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
    }

    /// A fixed P-256 key pair.
    pub(crate) fn p256_signing_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap()
    }

    /// The public halves of the fixed keys, as the JWK set a deployment would configure.
    pub(crate) fn public_jwks() -> String {
        let ed_key = ed25519_signing_key().verifying_key();
        let ec_key = p256_signing_key();
        let ed = JsonWebKey::from(&ed_key);
        let ec = JsonWebKey::from(ec_key.verifying_key());
        let with_kid = |jwk: &JsonWebKey<'_>, kid: &str| {
            let mut value = serde_json::to_value(jwk).unwrap();
            value["kid"] = kid.into();
            value
        };

        serde_json::json!({ "keys": [with_kid(&ed, "ed-1"), with_kid(&ec, "ec-1")] }).to_string()
    }

    fn all() -> Vec<Algorithm> {
        Algorithm::ALL.to_vec()
    }

    #[test]
    fn allow_list_takes_exact_names_and_refuses_none() {
        assert_eq!(
            Algorithm::parse_list(" HS256 ,EdDSA,HS256").unwrap(),
            [Algorithm::Hs256, Algorithm::EdDsa]
        );
        for bad in ["", " , ", "none", "hs256", "HS256,RS256", "HS512"] {
            assert!(Algorithm::parse_list(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn keys_are_found_by_kid_and_the_secret_serves_tokens_without_one() {
        let set = KeySet::new(&all(), Some(SECRET), Some(&public_jwks())).unwrap();

        assert_eq!(set.find(None).unwrap().algorithm(), Algorithm::Hs256);
        assert_eq!(
            set.find(Some("ed-1")).unwrap().algorithm(),
            Algorithm::EdDsa
        );
        assert_eq!(
            set.find(Some("ec-1")).unwrap().algorithm(),
            Algorithm::Es256
        );
        assert!(set.find(Some("unknown")).is_none());
    }

    #[test]
    fn a_set_of_public_keys_needs_no_secret() {
        let set = KeySet::new(
            &[Algorithm::EdDsa, Algorithm::Es256],
            None,
            Some(&public_jwks()),
        )
        .unwrap();

        assert!(set.find(None).is_none());
    }

    #[test]
    fn an_empty_key_set_fails_closed() {
        for (secret, jwks) in [
            (None, None),
            (Some(""), Some("")),
            (None, Some(r#"{"keys":[]}"#)),
            (Some(""), Some("  ")),
        ] {
            assert!(
                KeySet::new(&all(), secret, jwks).is_err(),
                "{secret:?} {jwks:?}"
            );
        }
    }

    #[test]
    fn a_key_for_an_algorithm_not_allowed_is_a_configuration_error() {
        let only_hmac = [Algorithm::Hs256];

        let error = KeySet::new(&only_hmac, Some(SECRET), Some(&public_jwks())).unwrap_err();

        assert!(error.contains("EdDSA"), "{error}");
        assert!(KeySet::new(&[Algorithm::EdDsa], Some(SECRET), None).is_err());
    }

    #[test]
    fn malformed_or_dangerous_jwk_sets_are_refused_without_quoting_them() {
        let private = serde_json::to_value(JsonWebKey::from(&ed25519_signing_key())).unwrap();
        let mut private = private;
        private["kid"] = "leak".into();
        let short_oct = r#"{"keys":[{"kty":"oct","kid":"h","k":"c2hvcnQ"}]}"#.to_owned();
        let sets = [
            "not json".to_owned(),
            r#"{"keys":{}}"#.to_owned(),
            r#"[]"#.to_owned(),
            r#"{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}"#.to_owned(),
            r#"{"keys":[{"kty":"OKP","kid":"e","crv":"Ed25519","x":"AAAA"}]}"#.to_owned(),
            r#"{"keys":[{"kty":"EC","kid":"c","crv":"P-256","x":"AAAA","y":"AAAA"}]}"#.to_owned(),
            serde_json::json!({ "keys": [private] }).to_string(),
            short_oct,
        ];

        for set in &sets {
            let error = KeySet::new(&all(), None, Some(set)).unwrap_err();
            assert!(
                !error.contains("AAAA") && !error.contains("c2hvcnQ"),
                "{error}"
            );
        }
    }

    #[test]
    fn jwk_rules_on_kid_use_and_alg_are_enforced() {
        let set = |entry: Value| serde_json::json!({ "keys": [entry] }).to_string();
        let ed =
            serde_json::to_value(JsonWebKey::from(&ed25519_signing_key().verifying_key())).unwrap();
        let variant = |field: &str, value: Value| {
            let mut entry = ed.clone();
            entry["kid"] = "ed".into();
            entry[field] = value;
            set(entry)
        };

        assert!(
            KeySet::new(&all(), None, Some(&set(ed.clone()))).is_err(),
            "no kid"
        );
        assert!(KeySet::new(&all(), None, Some(&variant("kid", "".into()))).is_err());
        assert!(KeySet::new(&all(), None, Some(&variant("use", "enc".into()))).is_err());
        assert!(KeySet::new(&all(), None, Some(&variant("alg", "HS256".into()))).is_err());
        assert!(KeySet::new(&all(), None, Some(&variant("alg", "EdDSA".into()))).is_ok());
        assert!(KeySet::new(&all(), None, Some(&variant("use", "sig".into()))).is_ok());
    }

    #[test]
    fn duplicate_kids_are_refused() {
        let oct =
            r#"{"kty":"oct","kid":"h","k":"dW5pdC10ZXN0LXNlY3JldC1vZi1hdC1sZWFzdC0zMi1ieXRlcyE"}"#;
        let twice = format!(r#"{{"keys":[{oct},{oct}]}}"#);
        let once = format!(r#"{{"keys":[{oct}]}}"#);

        assert!(KeySet::new(&all(), None, Some(&twice)).is_err());
        assert!(KeySet::new(&all(), Some(SECRET), Some(&once)).is_ok());
    }
}
