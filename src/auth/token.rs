//! The bearer token: taking it out of the `Authorization` header and verifying it.
//!
//! Tokens are HS256 JWTs from the account system. A token is accepted only when its signature
//! checks against the configured secret, its header names `HS256`, it carries an `exp` that has not
//! passed (with the configured leeway), and its `sub` names an account.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Result};

/// The HS256 signing key. Its `Debug` output never shows the key.
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    /// Wraps raw key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    fn key(&self) -> Hs256Key {
        Hs256Key::new(&self.0)
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// A token taken from an `Authorization: Bearer` header, not yet verified.
pub struct BearerToken(String);

impl BearerToken {
    /// Takes the token out of the `Authorization` header value, if there is exactly one well-formed
    /// `Bearer` credential.
    ///
    /// The scheme name is case-insensitive and may be followed by several spaces. A value that
    /// holds a comma is rejected: it is what two `Authorization` headers become when the runtime
    /// joins them, and a request must not carry two credentials.
    pub fn from_header(value: Option<&str>) -> Result<BearerToken> {
        let value = value.ok_or(ApiError::InvalidToken("no authorization header"))?;

        let (scheme, rest) = value
            .split_once(' ')
            .ok_or(ApiError::InvalidToken("authorization has no token"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::InvalidToken("authorization scheme is not bearer"));
        }

        let token = rest.trim_start_matches(' ').trim_end();
        if token.is_empty() {
            return Err(ApiError::InvalidToken("authorization has no token"));
        }
        if token.contains(|c: char| c == ',' || c.is_whitespace()) {
            return Err(ApiError::InvalidToken(
                "authorization holds more than one value",
            ));
        }

        Ok(BearerToken(token.to_owned()))
    }

    /// Wraps a token string as it is, for callers that already hold one.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// The claims this service reads beyond the registered time claims.
#[derive(Debug, Serialize, Deserialize)]
pub struct SubjectClaim {
    /// The account id.
    pub sub: String,
}

/// The account a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountId(String);

impl AccountId {
    /// The opaque account id, as stored in the accounts table.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Verifies tokens against one HS256 key.
pub struct TokenVerifier<'a> {
    secret: &'a SigningSecret,
    leeway: Duration,
}

impl<'a> TokenVerifier<'a> {
    /// A verifier for tokens signed with `secret`, allowing `leeway_secs` of clock skew on `exp`.
    pub fn new(secret: &'a SigningSecret, leeway_secs: u32) -> Self {
        Self {
            secret,
            leeway: Duration::seconds(i64::from(leeway_secs)),
        }
    }

    /// Checks the token's form, algorithm, signature and expiry at time `now`, and returns the
    /// account it names.
    ///
    /// Note: whether that account exists is for the caller to check against the database.
    pub fn verify(&self, token: &BearerToken, now: DateTime<Utc>) -> Result<AccountId> {
        let untrusted =
            UntrustedToken::new(&token.0).map_err(|_| ApiError::InvalidToken("malformed token"))?;

        // The algorithm is fixed by configuration; `validator` refuses any token whose header
        // names another one, so `none` or a public-key algorithm never reaches the HMAC check.
        let key = self.secret.key();
        let verified = Hs256
            .validator::<SubjectClaim>(&key)
            .validate(&untrusted)
            .map_err(|_| ApiError::InvalidToken("signature or claims rejected"))?;

        let options = TimeOptions::new(self.leeway, move || now);
        let claims = verified.claims();
        claims
            .validate_expiration(&options)
            .map_err(|_| ApiError::InvalidToken("token expired or has no exp"))?;

        let subject = &claims.custom.sub;
        if subject.is_empty() {
            return Err(ApiError::InvalidToken("token has an empty sub"));
        }
        Ok(AccountId(subject.clone()))
    }
}

/// Signs an HS256 token for `account_id` that expires `ttl` after `now`: the operator tool's
/// way of making tokens for local testing.
pub fn mint(secret: &SigningSecret, account_id: &str, now: DateTime<Utc>, ttl: Duration) -> String {
    let options = TimeOptions::new(Duration::zero(), move || now);
    let claims = Claims::new(SubjectClaim {
        sub: account_id.to_owned(),
    })
    .set_duration_and_issuance(&options, ttl);

    // BUG: HMAC signing of a serializable claim set has no failure path.
    Hs256
        .token(&Header::empty(), &claims, &secret.key())
        .expect("BUG: HS256 signing cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-of-at-least-32-bytes!";

    fn secret() -> SigningSecret {
        SigningSecret::new(SECRET.to_vec())
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn verify(token: &str, at: DateTime<Utc>) -> Result<AccountId> {
        let secret = secret();
        TokenVerifier::new(&secret, 60).verify(&BearerToken::new(token), at)
    }

    fn header(value: &str) -> Result<String> {
        BearerToken::from_header(Some(value)).map(|token| token.0)
    }

    #[test]
    fn token_signed_with_the_secret_names_its_account() {
        let token = mint(&secret(), "acct-1", now(), Duration::minutes(5));

        assert_eq!(verify(&token, now()).unwrap().as_str(), "acct-1");
    }

    #[test]
    fn token_signed_with_another_key_is_rejected() {
        let other = SigningSecret::new(b"another-secret-of-at-least-32-bytes!!".to_vec());
        let token = mint(&other, "acct-1", now(), Duration::minutes(5));

        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn expired_token_is_rejected_after_the_leeway() {
        let token = mint(&secret(), "acct-1", now(), Duration::minutes(5));

        let within_leeway = now() + Duration::minutes(5) + Duration::seconds(59);
        let past_leeway = now() + Duration::minutes(5) + Duration::seconds(61);

        assert!(verify(&token, within_leeway).is_ok());
        assert!(matches!(
            verify(&token, past_leeway),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn token_without_exp_is_rejected() {
        let claims = Claims::new(SubjectClaim {
            sub: "acct-1".into(),
        });
        let token = Hs256
            .token(&Header::empty(), &claims, &secret().key())
            .unwrap();

        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn token_with_alg_none_is_rejected() {
        let token = mint(&secret(), "acct-1", now(), Duration::minutes(5));
        let (_, rest) = token.split_once('.').unwrap();
        let (claims, _) = rest.split_once('.').unwrap();
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");

        assert!(matches!(
            verify(&unsigned, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn token_with_padding_or_a_changed_payload_is_rejected() {
        let token = mint(&secret(), "acct-1", now(), Duration::minutes(5));
        let padded = format!("{token}=");
        let mut tampered = token.clone().into_bytes();
        let middle = token.find('.').unwrap() + 3;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };

        assert!(verify(&padded, now()).is_err());
        assert!(verify(&String::from_utf8(tampered).unwrap(), now()).is_err());
    }

    #[test]
    fn token_with_empty_subject_is_rejected() {
        let token = mint(&secret(), "", now(), Duration::minutes(5));

        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_allows_extra_spaces() {
        assert_eq!(header("Bearer abc").unwrap(), "abc");
        assert_eq!(header("bearer abc").unwrap(), "abc");
        assert_eq!(header("BEARER abc").unwrap(), "abc");
        assert_eq!(header("Bearer  abc").unwrap(), "abc");
    }

    #[test]
    fn malformed_authorization_values_are_rejected() {
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Basic abc",
            "Bearer\u{e9}\u{e9}abc",
            "Bearerabc",
            "Bearer a, Bearer b",
            "Bearer a b",
        ] {
            assert!(header(value).is_err(), "{value:?} was accepted");
        }
        assert!(BearerToken::from_header(None).is_err());
    }

    #[test]
    fn debug_output_hides_the_secret_and_the_token() {
        let token = BearerToken::new("abc.def.ghi");

        assert!(!format!("{:?}", secret()).contains("unit-test"));
        assert!(!format!("{token:?}").contains("abc"));
    }
}
