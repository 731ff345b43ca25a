//! The bearer token: taking it out of the `Authorization` header and verifying it.
//!
//! A token is accepted only when its header's `kid` (or its lack of one) selects a configured key,
//! its `alg` is the one algorithm that key serves, its signature checks, it carries an `exp` that
//! has not passed (with the configured leeway), and its `sub` names an account. Which keys exist
//! and which algorithms are allowed is for [`KeySet`] to say.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Ed25519, Es256, Hs256, Hs256Key};
use jwt_compact::{Algorithm, AlgorithmExt, Claims, Header, TimeOptions, Token, UntrustedToken};
use serde::{Deserialize, Serialize};

use crate::auth::keys::{KeyMaterial, KeySet};
use crate::error::{ApiError, Result};

/// An HS256 signing key. Its `Debug` output never shows the key.
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

/// Longest token accepted, in bytes; a longer one is refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

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
        if token.len() > MAX_TOKEN_BYTES {
            return Err(ApiError::InvalidToken("token longer than the limit"));
        }
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
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The account id.
    pub sub: String,
    /// The issuer; checked when `JWT_ISSUER` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience, one string or a list; checked when `JWT_AUDIENCE` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    /// The account's token generation when the token was issued; absent means 0. Raising an
    /// account's generation revokes every token issued before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gen: Option<u64>,
}

/// Header members this service looks at beyond `alg`.
#[derive(Debug, Clone, Deserialize)]
struct ExtraHeader {
    /// Extensions the token says a verifier must understand. This service understands none, so
    /// RFC 7515 requires it to refuse any token that lists one.
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// What a token must satisfy beyond its signature.
#[derive(Debug, Clone, Default)]
pub struct TokenPolicy {
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u32,
    /// The `iss` every token must carry, if set.
    pub issuer: Option<String>,
    /// A value the token's `aud` must hold, if set.
    pub audience: Option<String>,
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The account the token speaks for.
    pub account: AccountId,
    /// The token generation it was issued in.
    pub generation: u64,
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

/// Verifies tokens against a key set and a policy.
pub struct TokenVerifier<'a> {
    keys: &'a KeySet,
    policy: &'a TokenPolicy,
}

impl<'a> TokenVerifier<'a> {
    /// A verifier for tokens signed with one of `keys` that must satisfy `policy`.
    pub fn new(keys: &'a KeySet, policy: &'a TokenPolicy) -> Self {
        Self { keys, policy }
    }

    /// Checks the token's form, algorithm, signature, times and claims at time `now`.
    ///
    /// Note: whether the account exists, and whether the token's generation is current, is for
    /// the caller to check against the database.
    pub fn verify(&self, token: &BearerToken, now: DateTime<Utc>) -> Result<VerifiedToken> {
        let untrusted = UntrustedToken::<ExtraHeader>::try_from(token.0.as_str())
            .map_err(|_| ApiError::InvalidToken("malformed token"))?;
        if untrusted.header().other_fields.crit.is_some() {
            return Err(ApiError::InvalidToken("token lists critical extensions"));
        }

        // The key, not the token, fixes the algorithm: `validate` refuses a header that names
        // any other, so `none`, or HS256 over a public key, never reaches a signature check.
        let key =
            self.keys
                .find(untrusted.header().key_id.as_deref())
                .ok_or(ApiError::InvalidToken(
                    "no configured key has the token's kid",
                ))?;
        let verified = match &key.material {
            KeyMaterial::Hmac(secret) => validate(Hs256, &secret.key(), &untrusted),
            KeyMaterial::Ed25519(public) => validate(Ed25519, public, &untrusted),
            KeyMaterial::P256(public) => validate(Es256, public, &untrusted),
        }?;
        let claims = verified.claims();

        check_whole_seconds(&token.0)?;
        self.check_times(claims, now)?;
        self.check_issuer_and_audience(&claims.custom)?;

        let subject = &claims.custom.sub;
        if subject.is_empty() {
            return Err(ApiError::InvalidToken("token has an empty sub"));
        }
        Ok(VerifiedToken {
            account: AccountId(subject.clone()),
            generation: claims.custom.gen.unwrap_or(0),
        })
    }

    /// `exp` must be present and not passed; `nbf`, when present, must have come; `iat`, when
    /// present, must not lie in the future. Each allows the leeway, and none can overflow: the
    /// arithmetic saturates at chrono's limits.
    fn check_times(&self, claims: &Claims<TokenClaims>, now: DateTime<Utc>) -> Result<()> {
        let leeway = Duration::seconds(i64::from(self.policy.leeway_secs));
        let options = TimeOptions::new(leeway, move || now);
        claims
            .validate_expiration(&options)
            .map_err(|_| ApiError::InvalidToken("token expired or has no exp"))?;

        let latest_allowed = now
            .checked_add_signed(leeway)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if claims.not_before.is_some_and(|nbf| nbf > latest_allowed) {
            return Err(ApiError::InvalidToken("token not valid yet (nbf)"));
        }
        if claims.issued_at.is_some_and(|iat| iat > latest_allowed) {
            return Err(ApiError::InvalidToken("token issued in the future (iat)"));
        }
        Ok(())
    }

    fn check_issuer_and_audience(&self, claims: &TokenClaims) -> Result<()> {
        if let Some(issuer) = &self.policy.issuer {
            if claims.iss.as_ref() != Some(issuer) {
                return Err(ApiError::InvalidToken("token has another issuer"));
            }
        }

        if let Some(audience) = &self.policy.audience {
            let holds = match &claims.aud {
                Some(serde_json::Value::String(one)) => one == audience,
                Some(serde_json::Value::Array(many)) => {
                    many.iter().any(|item| item.as_str() == Some(audience))
                }
                _ => false,
            };
            if !holds {
                return Err(ApiError::InvalidToken("token is for another audience"));
            }
        }
        Ok(())
    }
}

/// Checks the token's algorithm, signature and claim types with one key of `algorithm`.
fn validate<A: Algorithm>(
    algorithm: A,
    key: &A::VerifyingKey,
    untrusted: &UntrustedToken<'_, ExtraHeader>,
) -> Result<Token<TokenClaims, ExtraHeader>> {
    algorithm
        .validator::<TokenClaims>(key)
        .validate(untrusted)
        .map_err(|_| ApiError::InvalidToken("signature or claims rejected"))
}

/// The registered time claims as they were written.
#[derive(Deserialize)]
struct RawTimes {
    #[serde(default)]
    exp: Option<serde_json::Value>,
    #[serde(default)]
    nbf: Option<serde_json::Value>,
    #[serde(default)]
    iat: Option<serde_json::Value>,
}

/// Refuses `exp`, `nbf` or `iat` written with a fraction (`1790000000.5`): RFC 7519 allows
/// them, but the token library would silently drop the fraction, and this service documents
/// whole seconds only.
fn check_whole_seconds(token: &str) -> Result<()> {
    use base64ct::Encoding;

    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64ct::Base64UrlUnpadded::decode_vec(payload)
        .map_err(|_| ApiError::InvalidToken("malformed token"))?;
    let times: RawTimes =
        serde_json::from_slice(&bytes).map_err(|_| ApiError::InvalidToken("malformed claims"))?;

    let whole =
        |value: &Option<serde_json::Value>| value.as_ref().is_none_or(|v| v.is_i64() || v.is_u64());
    if whole(&times.exp) && whole(&times.nbf) && whole(&times.iat) {
        Ok(())
    } else {
        Err(ApiError::InvalidToken(
            "time claim is not a whole number of seconds",
        ))
    }
}

/// Signs an HS256 token with `claims` that expires `ttl` after `now`: the operator tool's way of
/// making tokens for local testing.
pub fn mint(
    secret: &SigningSecret,
    claims: TokenClaims,
    now: DateTime<Utc>,
    ttl: Duration,
) -> String {
    let options = TimeOptions::new(Duration::zero(), move || now);
    let claims = Claims::new(claims).set_duration_and_issuance(&options, ttl);

    // BUG: HMAC signing of a serializable claim set has no failure path.
    Hs256
        .token(&Header::empty(), &claims, &secret.key())
        .expect("BUG: HS256 signing cannot fail")
}

/// The claims of a token for `account_id` in generation 0, with no issuer or audience.
pub fn subject(account_id: &str) -> TokenClaims {
    TokenClaims {
        sub: account_id.to_owned(),
        ..TokenClaims::default()
    }
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

    fn policy() -> TokenPolicy {
        TokenPolicy {
            leeway_secs: 60,
            ..TokenPolicy::default()
        }
    }

    fn verify_with(policy: &TokenPolicy, token: &str, at: DateTime<Utc>) -> Result<VerifiedToken> {
        let keys = KeySet::single_secret(secret());
        TokenVerifier::new(&keys, policy).verify(&BearerToken::new(token), at)
    }

    fn verify(token: &str, at: DateTime<Utc>) -> Result<AccountId> {
        verify_with(&policy(), token, at).map(|verified| verified.account)
    }

    /// Signs `claims` as they are, with no time claims added.
    fn sign(claims: &Claims<TokenClaims>) -> String {
        Hs256
            .token(&Header::empty(), claims, &secret().key())
            .unwrap()
    }

    /// Claims for `acct-1` that expire five minutes after [`now`].
    fn valid_claims() -> Claims<TokenClaims> {
        let mut claims = Claims::new(subject("acct-1"));
        claims.expiration = Some(now() + Duration::minutes(5));
        claims
    }

    fn header(value: &str) -> Result<String> {
        BearerToken::from_header(Some(value)).map(|token| token.0)
    }

    #[test]
    fn token_signed_with_the_secret_names_its_account() {
        let token = mint(&secret(), subject("acct-1"), now(), Duration::minutes(5));

        assert_eq!(verify(&token, now()).unwrap().as_str(), "acct-1");
    }

    #[test]
    fn token_signed_with_another_key_is_rejected() {
        let other = SigningSecret::new(b"another-secret-of-at-least-32-bytes!!".to_vec());
        let token = mint(&other, subject("acct-1"), now(), Duration::minutes(5));

        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn expired_token_is_rejected_after_the_leeway() {
        let token = mint(&secret(), subject("acct-1"), now(), Duration::minutes(5));

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
        let claims = Claims::new(subject("acct-1"));
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
        let token = mint(&secret(), subject("acct-1"), now(), Duration::minutes(5));
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
        let token = mint(&secret(), subject("acct-1"), now(), Duration::minutes(5));
        let padded = format!("{token}=");
        let mut tampered = token.clone().into_bytes();
        let middle = token.find('.').unwrap() + 3;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };

        assert!(verify(&padded, now()).is_err());
        assert!(verify(&String::from_utf8(tampered).unwrap(), now()).is_err());
    }

    #[test]
    fn token_with_empty_subject_is_rejected() {
        let token = mint(&secret(), subject(""), now(), Duration::minutes(5));

        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn token_without_nbf_is_accepted_and_one_not_yet_valid_is_rejected() {
        let mut early = valid_claims();
        early.not_before = Some(now() + Duration::seconds(61));
        let mut within_leeway = valid_claims();
        within_leeway.not_before = Some(now() + Duration::seconds(59));

        assert!(verify(&sign(&valid_claims()), now()).is_ok());
        assert!(verify(&sign(&within_leeway), now()).is_ok());
        assert!(matches!(
            verify(&sign(&early), now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn token_issued_in_the_future_is_rejected() {
        let mut claims = valid_claims();
        claims.issued_at = Some(now() + Duration::minutes(2));

        assert!(matches!(
            verify(&sign(&claims), now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn extreme_times_are_rejected_or_accepted_without_panic() {
        let mut earliest = valid_claims();
        earliest.not_before = Some(DateTime::<Utc>::MIN_UTC);
        earliest.issued_at = Some(DateTime::<Utc>::MIN_UTC);
        let mut latest = valid_claims();
        latest.expiration = Some(DateTime::<Utc>::MAX_UTC);
        let mut ancient = valid_claims();
        ancient.expiration = Some(DateTime::from_timestamp(1, 0).unwrap());

        assert!(verify(&sign(&earliest), now()).is_ok());
        assert!(verify(&sign(&latest), now()).is_ok());
        assert!(verify(&sign(&ancient), now()).is_err());
    }

    #[test]
    fn exp_that_is_not_a_sane_number_is_rejected() {
        let payloads = [
            r#"{"sub":"acct-1","exp":"1790000300"}"#,
            r#"{"sub":"acct-1","exp":1e19}"#,
            r#"{"sub":"acct-1","exp":9223372036854775807}"#,
            r#"{"sub":"acct-1","exp":null}"#,
        ];

        for payload in payloads {
            let token = sign_raw(r#"{"alg":"HS256"}"#, payload);
            assert!(verify(&token, now()).is_err(), "{payload}");
        }
    }

    #[test]
    fn time_claims_with_fractions_are_rejected() {
        let payloads = [
            r#"{"sub":"acct-1","exp":1790000300.5}"#,
            r#"{"sub":"acct-1","exp":1790000300,"nbf":1789999990.5}"#,
            r#"{"sub":"acct-1","exp":1790000300,"iat":1789999990.25}"#,
        ];

        for payload in payloads {
            let token = sign_raw(r#"{"alg":"HS256"}"#, payload);
            assert!(verify(&token, now()).is_err(), "{payload}");
        }
        let whole = sign_raw(r#"{"alg":"HS256"}"#, r#"{"sub":"acct-1","exp":1790000300}"#);
        assert!(verify(&whole, now()).is_ok());
    }

    #[test]
    fn token_listing_critical_extensions_is_rejected() {
        let token = sign_raw(
            r#"{"alg":"HS256","crit":["x"],"x":1}"#,
            r#"{"sub":"acct-1","exp":1790000300}"#,
        );
        let plain = sign_raw(r#"{"alg":"HS256"}"#, r#"{"sub":"acct-1","exp":1790000300}"#);

        assert!(verify(&plain, now()).is_ok());
        assert!(matches!(
            verify(&token, now()),
            Err(ApiError::InvalidToken(_))
        ));
    }

    #[test]
    fn configured_issuer_and_audience_are_enforced() {
        let strict = TokenPolicy {
            leeway_secs: 60,
            issuer: Some("accounts".into()),
            audience: Some("userlog".into()),
        };
        let with = |iss: Option<&str>, aud: Option<serde_json::Value>| {
            let mut claims = valid_claims();
            claims.custom.iss = iss.map(str::to_owned);
            claims.custom.aud = aud;
            verify_with(&strict, &sign(&claims), now()).is_ok()
        };

        assert!(with(Some("accounts"), Some("userlog".into())));
        assert!(with(
            Some("accounts"),
            Some(serde_json::json!(["other", "userlog"]))
        ));
        assert!(!with(None, Some("userlog".into())));
        assert!(!with(Some("elsewhere"), Some("userlog".into())));
        assert!(!with(Some("accounts"), None));
        assert!(!with(Some("accounts"), Some(serde_json::json!(["other"]))));
        assert!(
            verify(&sign(&valid_claims()), now()).is_ok(),
            "no policy, no check"
        );
    }

    #[test]
    fn generation_defaults_to_zero_and_is_carried_through() {
        let mut claims = valid_claims();
        claims.custom.gen = Some(7);

        assert_eq!(
            verify_with(&policy(), &sign(&valid_claims()), now())
                .unwrap()
                .generation,
            0
        );
        assert_eq!(
            verify_with(&policy(), &sign(&claims), now())
                .unwrap()
                .generation,
            7
        );
    }

    #[test]
    fn token_over_8_kib_is_rejected_before_parsing() {
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1));

        assert!(matches!(
            BearerToken::from_header(Some(&long)),
            Err(ApiError::InvalidToken("token longer than the limit"))
        ));
    }

    /// A token with exactly this header and payload JSON, signed with the test secret.
    fn sign_raw(header: &str, payload: &str) -> String {
        use base64ct::Encoding;
        use hmac::{Hmac, Mac};

        let encode = |bytes: &[u8]| base64ct::Base64UrlUnpadded::encode_string(bytes);
        let signing_input = format!(
            "{}.{}",
            encode(header.as_bytes()),
            encode(payload.as_bytes())
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", encode(&mac.finalize().into_bytes()))
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
    /// Verifies against a set holding the HS256 secret (no `kid`), an Ed25519 key (`ed-1`) and a
    /// P-256 key (`ec-1`), with every algorithm allowed.
    fn verify_mixed(token: &str) -> Result<VerifiedToken> {
        use crate::auth::keys::{tests::public_jwks, Algorithm};

        let secret = std::str::from_utf8(SECRET).unwrap();
        let keys = KeySet::new(&Algorithm::ALL, Some(secret), Some(&public_jwks())).unwrap();
        TokenVerifier::new(&keys, &policy()).verify(&BearerToken::new(token), now())
    }

    #[test]
    fn eddsa_and_es256_tokens_are_verified_with_the_key_their_kid_names() {
        use crate::auth::keys::tests::{ed25519_signing_key, p256_signing_key};

        let claims = valid_claims();
        let ed = Ed25519
            .token(
                &Header::empty().with_key_id("ed-1"),
                &claims,
                &ed25519_signing_key(),
            )
            .unwrap();
        let ec = Es256
            .token(
                &Header::empty().with_key_id("ec-1"),
                &claims,
                &p256_signing_key(),
            )
            .unwrap();
        let ed_under_ec_kid = Ed25519
            .token(
                &Header::empty().with_key_id("ec-1"),
                &claims,
                &ed25519_signing_key(),
            )
            .unwrap();
        let unknown_kid = Ed25519
            .token(
                &Header::empty().with_key_id("ed-2"),
                &claims,
                &ed25519_signing_key(),
            )
            .unwrap();

        assert_eq!(verify_mixed(&ed).unwrap().account.as_str(), "acct-1");
        assert_eq!(verify_mixed(&ec).unwrap().account.as_str(), "acct-1");
        assert!(matches!(
            verify_mixed(&ed_under_ec_kid),
            Err(ApiError::InvalidToken(_))
        ));
        assert!(matches!(
            verify_mixed(&unknown_kid),
            Err(ApiError::InvalidToken(_))
        ));
        assert!(
            verify_mixed(&sign(&claims)).is_ok(),
            "HS256 without kid uses the secret"
        );
    }

    #[test]
    fn hmac_made_with_a_public_key_as_the_secret_is_rejected() {
        use crate::auth::keys::tests::{ed25519_signing_key, p256_signing_key, public_jwks};

        let ed_public = ed25519_signing_key().verifying_key().to_bytes().to_vec();
        let ec_public = p256_signing_key()
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        let jwks = public_jwks().into_bytes();
        let claims = valid_claims();

        for public in [ed_public, ec_public, jwks] {
            for kid in [Some("ed-1"), Some("ec-1"), None] {
                let header = match kid {
                    Some(kid) => Header::empty().with_key_id(kid),
                    None => Header::empty(),
                };
                let forged = Hs256
                    .token(&header, &claims, &Hs256Key::new(&public))
                    .unwrap();

                assert!(
                    matches!(verify_mixed(&forged), Err(ApiError::InvalidToken(_))),
                    "HS256 over a public key was accepted with kid {kid:?}"
                );
            }
        }
    }
}
