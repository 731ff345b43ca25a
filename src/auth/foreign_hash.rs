//! PBKDF2-HMAC-SHA256 hashes as other systems store them, so that an existing user base can be
//! imported without password resets: Django, passlib and Werkzeug. Each is the same derivation
//! with its own way of writing the count, the salt and the result.
//!
//! | writer | form |
//! |---|---|
//! | Django | `pbkdf2_sha256$<iterations>$<salt text>$<standard base64>` |
//! | passlib | `$pbkdf2-sha256$<iterations>$<adapted base64 salt>$<adapted base64>` |
//! | Werkzeug | `pbkdf2:sha256:<iterations>$<salt text>$<hex>` |
//!
//! Django and Werkzeug use the salt's text as the salt bytes; passlib's "adapted base64" is
//! standard base64 without padding, with `.` in place of `+`.

use base64ct::{Base64, Base64Unpadded, Encoding};

use crate::auth::password::HashFormatError;

/// Where a stored hash came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    /// This project's PHC string, `$pbkdf2-sha256$i=<n>,l=32$<salt>$<hash>`.
    Project,
    /// Django's `pbkdf2_sha256`.
    Django,
    /// passlib's `pbkdf2_sha256`.
    Passlib,
    /// Werkzeug's `pbkdf2:sha256`.
    Werkzeug,
}

/// The parts of a foreign hash: iteration count, salt bytes and derived key.
pub(crate) struct ForeignHash {
    pub format: HashFormat,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub expected: Vec<u8>,
}

/// Reads `text` as one of the foreign forms, or returns `None` when it looks like none of them
/// (it may then be this project's own form).
pub(crate) fn parse(text: &str) -> Option<Result<ForeignHash, HashFormatError>> {
    if let Some(rest) = text.strip_prefix("pbkdf2_sha256$") {
        return Some(django(rest));
    }
    if let Some(rest) = text.strip_prefix("pbkdf2:sha256:") {
        return Some(werkzeug(rest));
    }
    let rest = text.strip_prefix("$pbkdf2-sha256$")?;
    // passlib writes the bare count where the PHC form writes `i=<n>,l=32`.
    rest.starts_with(|c: char| c.is_ascii_digit())
        .then(|| passlib(rest))
}

fn django(rest: &str) -> Result<ForeignHash, HashFormatError> {
    let [iterations, salt, hash] = three_parts(rest, '$')?;

    Ok(ForeignHash {
        format: HashFormat::Django,
        iterations: count(iterations)?,
        salt: text_salt(salt)?,
        expected: key(Base64::decode_vec(hash).ok())?,
    })
}

fn passlib(rest: &str) -> Result<ForeignHash, HashFormatError> {
    let [iterations, salt, hash] = three_parts(rest, '$')?;
    let adapted = |part: &str| Base64Unpadded::decode_vec(&part.replace('.', "+")).ok();
    let salt = adapted(salt).filter(|salt| !salt.is_empty());

    Ok(ForeignHash {
        format: HashFormat::Passlib,
        iterations: count(iterations)?,
        salt: salt.ok_or(HashFormatError("bad salt"))?,
        expected: key(adapted(hash))?,
    })
}

fn werkzeug(rest: &str) -> Result<ForeignHash, HashFormatError> {
    let [iterations, salt, hash] = three_parts(rest, '$')?;

    Ok(ForeignHash {
        format: HashFormat::Werkzeug,
        iterations: count(iterations)?,
        salt: text_salt(salt)?,
        expected: key(hex(hash))?,
    })
}

fn three_parts(text: &str, separator: char) -> Result<[&str; 3], HashFormatError> {
    let parts: Vec<&str> = text.split(separator).collect();
    <[&str; 3]>::try_from(parts).map_err(|_| HashFormatError("not three parts after the name"))
}

fn count(text: &str) -> Result<u32, HashFormatError> {
    let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match all_digits.then(|| text.parse::<u32>()) {
        Some(Ok(iterations)) if iterations > 0 => Ok(iterations),
        _ => Err(HashFormatError("unreadable iteration count")),
    }
}

fn text_salt(text: &str) -> Result<Vec<u8>, HashFormatError> {
    if text.is_empty() || text.len() > 64 {
        return Err(HashFormatError("bad salt"));
    }
    Ok(text.as_bytes().to_vec())
}

/// A derived key of a length PBKDF2-HMAC-SHA256 users store: 16 to 64 bytes.
fn key(bytes: Option<Vec<u8>>) -> Result<Vec<u8>, HashFormatError> {
    bytes
        .filter(|key| (16..=64).contains(&key.len()))
        .ok_or(HashFormatError("unreadable or oddly sized hash"))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password::{Password, StoredHash};

    /// Hashes made by the libraries themselves (tests/fixtures/make-foreign-hashes.py).
    const FIXTURES: &str = include_str!("../../tests/fixtures/foreign-hashes.json");

    fn fixtures() -> Vec<(String, String, String)> {
        let all: Vec<serde_json::Value> = serde_json::from_str(FIXTURES).unwrap();
        all.iter()
            .map(|item| {
                let field = |name: &str| item[name].as_str().unwrap().to_owned();
                (field("library"), field("password"), field("hash"))
            })
            .collect()
    }

    #[test]
    fn hashes_made_by_django_passlib_and_werkzeug_verify() {
        let fixtures = fixtures();
        assert_eq!(fixtures.len(), 9);

        for (library, password, hash) in fixtures {
            let stored = StoredHash::parse(&hash).unwrap_or_else(|e| panic!("{library}: {e}"));
            let expected_format = match library.split(' ').next().unwrap() {
                "django" => HashFormat::Django,
                "passlib" => HashFormat::Passlib,
                _ => HashFormat::Werkzeug,
            };

            assert_eq!(stored.format(), expected_format, "{library}");
            assert_eq!(stored.iterations(), 1_000, "{library}");
            assert!(
                stored.verify(&Password::new(&password)),
                "{library}: {password}"
            );
            assert!(
                !stored.verify(&Password::new(&format!("{password}x"))),
                "{library}"
            );
            assert!(
                stored.needs_rehash(1_000),
                "{library}: foreign hashes are replaced"
            );
        }
    }

    #[test]
    fn a_changed_foreign_hash_no_longer_verifies() {
        for (library, password, hash) in fixtures() {
            // Change the last character of the derived key, keeping it in its alphabet.
            let mut tampered = hash.trim_end_matches('=').to_owned();
            let last = tampered.pop().unwrap();
            tampered.push(if last == 'a' { 'b' } else { 'a' });
            if hash.ends_with('=') {
                tampered.push('=');
            }

            let verified = StoredHash::parse(&tampered)
                .map(|stored| stored.verify(&Password::new(&password)))
                .unwrap_or(false);
            assert!(!verified, "{library}: {tampered}");
        }
    }

    #[test]
    fn broken_foreign_hashes_are_faults_not_wrong_passwords() {
        for bad in [
            "pbkdf2_sha256$$salt$c2hvcnQ=",
            "pbkdf2_sha256$0$salt$sdojF8KLp8OoBk7UccSYxBp8oYEZFKP55mXITzbPUZc=",
            "pbkdf2_sha256$1000$salt$not base64",
            "pbkdf2_sha256$1000$$sdojF8KLp8OoBk7UccSYxBp8oYEZFKP55mXITzbPUZc=",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2:sha256:1000$salt$zz",
            "pbkdf2:sha256:1000$salt$1133ac7f",
            "pbkdf2:sha256:-5$salt$1133ac7f5f8499ff1398f80ae8b2aee7272ef2fdaa76a9ce9760be980c41bf7f",
            "$pbkdf2-sha256$1000$$xnFs40I1xPVYC870hEi7ZtO4GVw9jcOZ/bBJdraAtbo",
            "$pbkdf2-sha256$1000$P0eI0drbu/ceA2As5TxnjA$!!",
            "$pbkdf2-sha256$99999999999$P0eI0drbu/ceA2As5TxnjA$xnFs40I1xPVYC870hEi7ZtO4GVw9jcOZ/bBJdraAtbo",
            "pbkdf2_sha512$1000$salt$sdojF8KLp8OoBk7UccSYxBp8oYEZFKP55mXITzbPUZc=",
            "bcrypt$2b$12$abcdefghijklmnopqrstuv",
        ] {
            assert!(StoredHash::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn project_hashes_need_a_rehash_only_below_the_policy() {
        let salt = *b"0123456789abcdef";
        let project = crate::auth::password::hash_password(&Password::new("pw"), 1_000, &salt);
        let stored = StoredHash::parse(&project.unwrap()).unwrap();

        assert_eq!(stored.format(), HashFormat::Project);
        assert!(!stored.needs_rehash(1_000));
        assert!(stored.needs_rehash(600_000));
    }
}
