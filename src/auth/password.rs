//! The re-entered password and the stored PBKDF2-HMAC-SHA256 hash it is checked against.
//!
//! Stored hashes are PHC strings, `$pbkdf2-sha256$i=<iterations>,l=32$<salt>$<hash>`, with the
//! salt and hash in unpadded standard base64. Passwords are compared after Unicode NFC
//! normalisation, the same form used when hashing, so a password typed on a keyboard that emits
//! decomposed accents still matches.

use std::fmt;

use pbkdf2::password_hash::{Ident, Output, PasswordHash, PasswordHasher, SaltString};
use pbkdf2::{Params, Pbkdf2};

use crate::auth::foreign_hash::{self, HashFormat};
use crate::auth::kdf;

/// Iterations for newly made hashes: the current OWASP figure for PBKDF2-HMAC-SHA256.
pub const DEFAULT_ITERATIONS: u32 = 600_000;

/// Bytes of random salt for newly made hashes.
pub const SALT_BYTES: usize = 16;

/// Bytes of derived key stored in every hash.
pub const HASH_BYTES: usize = 32;

const ALGORITHM: &str = "pbkdf2-sha256";

/// A password as the user typed it, normalised to NFC. Its `Debug` output never shows it.
pub struct Password(String);

impl Password {
    /// Normalises `typed` to NFC.
    pub fn new(typed: &str) -> Self {
        Self(nfc(typed))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The bytes a key may be derived from, or `None` for a password that is never correct
    /// (one holding U+0000). For callers that derive the key themselves, such as through the
    /// runtime's WebCrypto; [`StoredHash::matches`] then checks the result.
    pub fn derivable(&self) -> Option<&[u8]> {
        (!self.has_nul()).then(|| self.as_bytes())
    }

    /// Whether the password holds U+0000. HMAC pads keys with zero bytes, so a password with
    /// NULs appended derives the same key as the password without them; such a password is
    /// therefore never hashed and never correct.
    fn has_nul(&self) -> bool {
        self.0.contains('\0')
    }
}

/// Unicode NFC. Natively through the `unicode-normalization` crate; inside the Worker through
/// the runtime's own `String.prototype.normalize`, which saves the wasm bundle the crate's
/// tables. Both follow the standard, and NFC of assigned characters never changes between
/// Unicode versions; a cross-check test compares them on composed and decomposed input.
#[cfg(not(target_arch = "wasm32"))]
fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;

    text.nfc().collect()
}

#[cfg(target_arch = "wasm32")]
fn nfc(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFC").into()
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why a stored hash could not be used. The text names the fault, never the hash itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashFormatError(pub(crate) &'static str);

impl fmt::Display for HashFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for HashFormatError {}

/// A parsed stored hash, ready to check passwords against.
pub struct StoredHash {
    format: HashFormat,
    iterations: u32,
    salt: Vec<u8>,
    expected: Output,
}

impl StoredHash {
    /// Parses a stored hash: a PHC string of the form this project writes, or a PBKDF2-SHA256
    /// hash written by Django, passlib or Werkzeug ([`foreign_hash`]).
    ///
    /// Note: in the project's form only `pbkdf2-sha256` with a 32-byte output is accepted;
    /// anything in no supported form is a fault in the stored data, which the caller reports as
    /// a server error rather than a wrong password.
    pub fn parse(phc: &str) -> Result<StoredHash, HashFormatError> {
        if let Some(foreign) = foreign_hash::parse(phc) {
            let foreign = foreign?;
            let expected = Output::new(&foreign.expected)
                .map_err(|_| HashFormatError("unreadable or oddly sized hash"))?;
            return Ok(StoredHash {
                format: foreign.format,
                iterations: foreign.iterations,
                salt: foreign.salt,
                expected,
            });
        }

        let parsed = PasswordHash::new(phc).map_err(|_| HashFormatError("not a PHC string"))?;
        if parsed.algorithm.as_str() != ALGORITHM {
            return Err(HashFormatError("algorithm is not pbkdf2-sha256"));
        }

        let params =
            Params::try_from(&parsed).map_err(|_| HashFormatError("unreadable parameters"))?;
        if parsed.params.get("i").is_none() {
            return Err(HashFormatError("iteration count missing"));
        }
        if params.rounds == 0 {
            return Err(HashFormatError("iteration count is zero"));
        }

        let expected = parsed.hash.ok_or(HashFormatError("hash missing"))?;
        if expected.len() != HASH_BYTES {
            return Err(HashFormatError("hash is not 32 bytes"));
        }

        let salt = parsed.salt.ok_or(HashFormatError("salt missing"))?;
        let mut salt_buf = [0u8; 64];
        let salt = salt
            .decode_b64(&mut salt_buf)
            .map_err(|_| HashFormatError("bad salt"))?;

        Ok(StoredHash {
            format: HashFormat::Project,
            iterations: params.rounds,
            salt: salt.to_vec(),
            expected,
        })
    }

    /// The PBKDF2 iteration count this hash was made with.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The salt this hash was made with.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Which system wrote the hash.
    pub fn format(&self) -> HashFormat {
        self.format
    }

    /// Bytes of derived key the hash holds (32 in the project's form).
    pub fn key_len(&self) -> usize {
        self.expected.len()
    }

    /// Whether the hash should be replaced by one in the project's form at `policy_iterations`
    /// once its password is known: it is foreign, or weaker than the policy.
    pub fn needs_rehash(&self, policy_iterations: u32) -> bool {
        self.format != HashFormat::Project || self.iterations < policy_iterations
    }

    /// Whether `password` derives the stored hash, with this crate's PBKDF2 core. The comparison
    /// takes the same time wherever the first differing byte is.
    ///
    /// Note: a password holding U+0000 is never correct (see [`Password`]).
    pub fn verify(&self, password: &Password) -> bool {
        let Some(bytes) = password.derivable() else {
            return false;
        };

        let mut derived = vec![0u8; self.key_len()];
        kdf::pbkdf2_hmac_sha256(bytes, &self.salt, self.iterations, &mut derived);
        self.matches(&derived)
    }

    /// Whether `derived`, a key derived elsewhere from this hash's salt and iteration count, is
    /// the stored one; in constant time, as [`StoredHash::verify`].
    pub fn matches(&self, derived: &[u8]) -> bool {
        // `Output`'s equality is constant-time.
        Output::new(derived).is_ok_and(|derived| derived == self.expected)
    }
}

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredHash")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// Writes a key derived elsewhere (through WebCrypto or [`kdf`]) from `salt` at `iterations`
/// in the project's PHC form, exactly as [`hash_password`] does.
pub fn project_phc(iterations: u32, salt: &[u8; SALT_BYTES], derived: &[u8; HASH_BYTES]) -> String {
    use base64ct::{Base64Unpadded, Encoding};

    format!(
        "${ALGORITHM}$i={iterations},l={HASH_BYTES}${}${}",
        Base64Unpadded::encode_string(salt),
        Base64Unpadded::encode_string(derived)
    )
}

/// Makes a PHC string for `password` with the given iteration count and salt.
///
/// Note: the caller supplies the salt so this crate needs no random source inside the Worker;
/// the operator tool draws 16 bytes from the operating system.
pub fn hash_password(
    password: &Password,
    iterations: u32,
    salt: &[u8; SALT_BYTES],
) -> Result<String, HashFormatError> {
    if iterations == 0 {
        return Err(HashFormatError("iteration count is zero"));
    }
    if password.has_nul() {
        return Err(HashFormatError("password holds U+0000"));
    }

    let salt = SaltString::encode_b64(salt).map_err(|_| HashFormatError("bad salt"))?;
    let params = Params {
        rounds: iterations,
        output_length: HASH_BYTES,
    };
    let algorithm = Ident::new(ALGORITHM).map_err(|_| HashFormatError("bad algorithm name"))?;

    Pbkdf2
        .hash_password_customized(password.as_bytes(), Some(algorithm), None, params, &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| HashFormatError("hashing failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; SALT_BYTES] = *b"0123456789abcdef";

    fn hash(password: &str, iterations: u32) -> String {
        hash_password(&Password::new(password), iterations, &SALT).unwrap()
    }

    #[test]
    fn hash_has_the_documented_phc_form() {
        let phc = hash("secret", 1_000);

        assert!(
            phc.starts_with("$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$"),
            "{phc}"
        );
        assert_eq!(phc.rsplit('$').next().unwrap().len(), 43, "{phc}");
    }

    #[test]
    fn right_password_verifies_and_wrong_one_does_not() {
        let stored = StoredHash::parse(&hash("correct horse", 1_000)).unwrap();

        assert!(stored.verify(&Password::new("correct horse")));
        assert!(!stored.verify(&Password::new("correct horsE")));
        assert!(!stored.verify(&Password::new("")));
        assert_eq!(stored.iterations(), 1_000);
    }

    #[test]
    fn rfc_7914_vector_verifies() {
        // RFC 7914, section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64. The
        // first 32 bytes of the derived key are the hash of a 32-byte output.
        let phc = "$pbkdf2-sha256$i=1,l=32$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw";

        let stored = StoredHash::parse(phc).unwrap();

        assert!(stored.verify(&Password::new("passwd")));
    }

    #[test]
    fn password_with_nul_appended_is_not_the_same_password() {
        let stored = StoredHash::parse(&hash("secret", 1_000)).unwrap();

        assert!(!stored.verify(&Password::new("secret\0")));
        assert!(!stored.verify(&Password::new("secret\0\0")));
        assert!(hash_password(&Password::new("a\0b"), 1_000, &SALT).is_err());
    }

    #[test]
    fn decomposed_and_composed_accents_are_the_same_password() {
        let stored = StoredHash::parse(&hash("caf\u{e9}", 1_000)).unwrap();

        assert!(stored.verify(&Password::new("cafe\u{301}")));
    }

    #[test]
    fn malformed_or_foreign_hashes_are_refused() {
        let good = hash("x", 1_000);
        let bad = [
            String::new(),
            "plain text".to_owned(),
            good.replace("pbkdf2-sha256", "pbkdf2-sha512"),
            good.replace("l=32", "l=16"),
            good.replace("i=1000,", ""),
            good.replace("i=1000", "i=0"),
            good.replace("i=1000", "i=-5"),
            good.replace("i=1000", "i=99999999999"),
            good.rsplit_once('$').unwrap().0.to_owned(),
            format!("{good}AAAA"),
            "pbkdf2_sha256$600000$salt$hash".to_owned(),
        ];

        for phc in bad {
            assert!(StoredHash::parse(&phc).is_err(), "{phc:?} was accepted");
        }
    }

    #[test]
    fn debug_output_hides_the_password_and_the_hash() {
        let stored = StoredHash::parse(&hash("hunter2", 1_000)).unwrap();

        assert!(!format!("{:?}", Password::new("hunter2")).contains("hunter2"));
        assert!(!format!("{stored:?}").contains("MDEy"));
    }

    #[test]
    fn a_key_derived_elsewhere_is_matched_like_verify_does() {
        let stored = StoredHash::parse(&hash("correct horse", 1_000)).unwrap();
        let mut derived = [0u8; HASH_BYTES];
        let password = Password::new("correct horse");
        kdf::pbkdf2_hmac_sha256(
            password.derivable().unwrap(),
            stored.salt(),
            stored.iterations(),
            &mut derived,
        );

        assert_eq!(stored.salt(), b"0123456789abcdef");
        assert!(stored.matches(&derived));
        derived[31] ^= 1;
        assert!(!stored.matches(&derived));
        assert!(!stored.matches(&derived[..31]));
        assert!(Password::new("a\0b").derivable().is_none());
    }

    #[test]
    fn a_key_derived_elsewhere_is_written_exactly_as_hash_password_writes_it() {
        let password = Password::new("re-hashed");
        let mut derived = [0u8; HASH_BYTES];
        kdf::pbkdf2_hmac_sha256(password.derivable().unwrap(), &SALT, 1_000, &mut derived);

        assert_eq!(
            project_phc(1_000, &SALT, &derived),
            hash("re-hashed", 1_000)
        );
    }
}
