//! `wrangler.toml` stays in step with the code: every variable the Worker reads is set at the top
//! level (what `wrangler dev` runs) and in each deployed environment, which Wrangler does not let
//! inherit `[vars]` or D1 bindings; and each environment has its own database.

use std::collections::BTreeSet;

use user_info_log::config::{ADDRESS_HASH_KEY, JWT_SECRET};
use user_info_log::config::{
    ADDRESS_MAX_FAILURES, D1_READ_REPLICATION, DISPLAY_UTC_OFFSET, ENDPOINT_ENABLED,
    JWT_ALGORITHMS, JWT_AUDIENCE, JWT_ISSUER, JWT_JWKS, JWT_LEEWAY_SECONDS, PAGE_ENABLED,
    PASSWORD_FAILURE_WINDOW_SECONDS, PASSWORD_MAX_FAILURES, PBKDF2_MAX_ITERATIONS,
    PBKDF2_MIN_ITERATIONS, WEBCRYPTO_MAX_ITERATIONS,
};
use user_info_log::config::{PASSWORD_HASH_ITERATIONS, REHASH_ON_SIGN_IN};
use user_info_log::cors::CORS_ALLOWED_ORIGINS;
use user_info_log::retention::LOG_RETENTION_DAYS;

const ENVIRONMENTS: [&str; 2] = ["staging", "production"];

fn config() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml"))
        .expect("wrangler.toml is readable");
    text.parse().expect("wrangler.toml is TOML")
}

fn var_names(vars: &toml::Value) -> BTreeSet<String> {
    vars.as_table()
        .expect("[vars] is a table")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_variable_the_worker_reads_is_set_everywhere_and_no_secret_is() {
    let config = config();
    let read: BTreeSet<String> = [
        ENDPOINT_ENABLED,
        PAGE_ENABLED,
        JWT_ALGORITHMS,
        JWT_JWKS,
        JWT_LEEWAY_SECONDS,
        JWT_ISSUER,
        JWT_AUDIENCE,
        CORS_ALLOWED_ORIGINS,
        PASSWORD_MAX_FAILURES,
        PASSWORD_FAILURE_WINDOW_SECONDS,
        ADDRESS_MAX_FAILURES,
        PBKDF2_MIN_ITERATIONS,
        PBKDF2_MAX_ITERATIONS,
        PASSWORD_HASH_ITERATIONS,
        REHASH_ON_SIGN_IN,
        WEBCRYPTO_MAX_ITERATIONS,
        DISPLAY_UTC_OFFSET,
        D1_READ_REPLICATION,
        LOG_RETENTION_DAYS,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();

    let top = var_names(&config["vars"]);
    assert_eq!(top, read, "top-level [vars]");
    for env in ENVIRONMENTS {
        let vars = var_names(&config["env"][env]["vars"]);
        assert_eq!(vars, read, "[env.{env}.vars]");
    }
    for secret in [JWT_SECRET, ADDRESS_HASH_KEY] {
        assert!(
            !top.contains(secret),
            "{secret} must be a secret, not a variable"
        );
    }
}

#[test]
fn each_environment_has_its_own_database_and_worker_name() {
    let config = config();
    let database = |table: &toml::Value| {
        let binding = &table["d1_databases"][0];
        assert_eq!(binding["binding"].as_str(), Some("DB"));
        assert_eq!(binding["migrations_dir"].as_str(), Some("migrations"));
        (
            binding["database_name"].as_str().unwrap().to_owned(),
            binding["database_id"].as_str().unwrap().to_owned(),
        )
    };

    let mut names = vec![config["name"].as_str().unwrap().to_owned()];
    let mut databases = vec![database(&toml::Value::Table(config.clone()))];
    for env in ENVIRONMENTS {
        let table = &config["env"][env];
        names.push(table["name"].as_str().unwrap().to_owned());
        databases.push(database(table));
    }

    let ids: Vec<&String> = databases.iter().map(|(_, id)| id).collect();
    let database_names: Vec<&String> = databases.iter().map(|(name, _)| name).collect();
    assert!(distinct(&names), "{names:?}");
    assert!(distinct(&database_names), "{database_names:?}");
    assert!(distinct(&ids), "{ids:?}");
}

fn distinct<T: Ord>(items: &[T]) -> bool {
    items.iter().collect::<BTreeSet<_>>().len() == items.len()
}
