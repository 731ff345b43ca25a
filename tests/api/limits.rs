//! The looser limit on failed password attempts per client address (`docs/API.md`, "Attempt
//! limits"): it holds across accounts, counts an IPv6 client by its /64, stores no address, and a
//! correct password gives back only its own attempt.

use user_info_log::auth::attempts::AddressKey;

use crate::helpers::{app, token_for, Req, ADDRESS_KEY, ADDRESS_MAX_FAILURES};

/// The attempts stored for `address`, found by its keyed hash as the Worker stores it.
fn stored_attempts(address: &str) -> Option<u64> {
    let hash = AddressKey::new(ADDRESS_KEY.as_bytes().to_vec()).hash(Some(address));
    let rows = app().query(&format!(
        "SELECT attempts FROM address_attempts WHERE address_hash = '{hash}';"
    ));
    rows.first().and_then(|row| row["attempts"].as_u64())
}

fn assert_locked(req: Req, case: &str) {
    let response = req.send();
    assert_eq!(response.status, 429, "{case}: {:?}", response.json());
    response.assert_error(
        429,
        "10005",
        "Too many password attempts, please try again later",
    );
    assert!(
        response.header("retry-after").is_some(),
        "{case}: no Retry-After"
    );
}

#[test]
fn wrong_passwords_across_accounts_from_one_address_reach_the_address_limit() {
    let app = app();
    let address = "203.0.113.41";
    let tokens: Vec<String> = (0..3)
        .map(|n| {
            app.seed_account(
                &format!("limit-spray-{n}"),
                "110000000000001234",
                "right pw",
            )
        })
        .collect();

    // Four wrong passwords each for two accounts: within both limits, so all are checked.
    for attempt in 0..ADDRESS_MAX_FAILURES {
        let token = &tokens[(attempt % 2) as usize];
        let response = Req::with_credentials(token, "wrong pw")
            .client_address(address)
            .send();
        assert_eq!(
            response.status,
            401,
            "attempt {attempt}: {:?}",
            response.json()
        );
    }

    assert_locked(
        Req::with_credentials(&tokens[2], "wrong pw").client_address(address),
        "third account, address over its limit",
    );
    assert_locked(
        Req::with_credentials(&tokens[2], "right pw").client_address(address),
        "right password, address over its limit",
    );
    // The account itself was not charged for attempts the address limit stopped.
    let charged = app.query("SELECT * FROM password_attempts WHERE account_id = 'limit-spray-2';");
    assert_eq!(charged, Vec::<serde_json::Value>::new());
    let elsewhere = Req::with_credentials(&tokens[2], "right pw")
        .client_address("203.0.113.42")
        .send();
    assert_eq!(elsewhere.status, 200, "{:?}", elsewhere.json());
}

#[test]
fn an_ipv6_client_counts_with_its_whole_slash_64() {
    let app = app();
    let token = app.seed_account("limit-ipv6", "110000000000001234", "right pw");
    let other_account = app.seed_account("limit-ipv6-b", "110000000000001234", "right pw");

    for n in 0..ADDRESS_MAX_FAILURES {
        // Alternate accounts so neither reaches the per-account limit of 5.
        let token = if n % 2 == 0 { &token } else { &other_account };
        let address = format!("2001:db8:77:1:{n:x}::1");
        let response = Req::with_credentials(token, "wrong pw")
            .client_address(&address)
            .send();
        assert_eq!(response.status, 401, "attempt {n}: {:?}", response.json());
    }

    assert_locked(
        Req::with_credentials(&token, "right pw").client_address("2001:db8:77:1:ffff::9"),
        "same /64",
    );
    let next_prefix = Req::with_credentials(&token, "right pw")
        .client_address("2001:db8:77:2::1")
        .send();
    assert_eq!(next_prefix.status, 200, "{:?}", next_prefix.json());
}

#[test]
fn a_correct_password_gives_back_only_its_own_attempt_and_no_address_is_stored() {
    let app = app();
    let address = "203.0.113.43";
    let token = app.seed_account("limit-refund", "110000000000001234", "right pw");

    for _ in 0..3 {
        let wrong = Req::with_credentials(&token, "wrong pw")
            .client_address(address)
            .send();
        assert_eq!(wrong.status, 401);
    }
    assert_eq!(stored_attempts(address), Some(3));
    let right = Req::with_credentials(&token, "right pw")
        .client_address(address)
        .send();

    assert_eq!(right.status, 200, "{:?}", right.json());
    assert_eq!(
        stored_attempts(address),
        Some(3),
        "only the correct attempt is given back"
    );
    let stored = app.query("SELECT address_hash FROM address_attempts;");
    assert!(!stored.is_empty());
    for row in stored {
        let hash = row["address_hash"].as_str().unwrap();
        assert!(
            hash.len() == 64 && !hash.contains('.') && !hash.contains(':'),
            "{hash}"
        );
    }
}

#[test]
fn tokens_naming_no_account_or_revoked_get_10001_before_body_errors_and_count_nothing() {
    let app = app();
    let address = "203.0.113.44";
    let revoked = app.seed_account("limit-revoked", "110000000000001234", "right pw");
    app.sql("UPDATE accounts SET token_generation = 1 WHERE id = 'limit-revoked';");
    let ghost = token_for("limit-no-such-account");

    for token in [&revoked, &ghost] {
        for req in [
            Req::with_credentials(token, "right pw"),
            Req::with_credentials(token, "wrong pw"),
            Req::with_credentials(token, "right pw").without("Content-Type"),
            Req::post().bearer(token).body(b"{not json"),
        ] {
            let response = req.client_address(address).send();
            response.assert_error(401, "10001", "Token expired or invalid");
        }
    }

    assert_eq!(stored_attempts(address), None, "the address was charged");
    let charged = app.query("SELECT * FROM password_attempts WHERE account_id = 'limit-revoked';");
    assert_eq!(charged, Vec::<serde_json::Value>::new());
}
