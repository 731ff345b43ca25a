//! `userlog-admin`: operator tools for the user info modification log Worker.
//!
//! Passwords are read from standard input, never from arguments, so they stay out of shell
//! history and process lists.

mod db;
mod import;
mod seed;

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use user_info_log::auth::keys::MIN_SECRET_BYTES;
use user_info_log::auth::password::{self, Password, DEFAULT_ITERATIONS, SALT_BYTES};
use user_info_log::auth::token::{self, SigningSecret, TokenClaims};
use user_info_log::config::JWT_SECRET;

use crate::db::{text_literal, Database};

/// The fewest PBKDF2 iterations the Worker accepts by default (PBKDF2_MIN_ITERATIONS).
const MIN_ITERATIONS: u32 = 1_000;

/// The most PBKDF2 iterations the Worker accepts by default (PBKDF2_MAX_ITERATIONS).
const MAX_ITERATIONS: u32 = 2_000_000;

#[derive(Parser)]
#[command(
    name = "userlog-admin",
    version,
    about = "Operator tools for the modification log Worker"
)]
struct Cli {
    #[command(subcommand)]
    command: Tool,
}

#[derive(Subcommand)]
enum Tool {
    /// Print the PHC hash of a password read from standard input.
    HashPassword {
        /// PBKDF2 iterations, within the Worker's default bounds (PBKDF2_MIN_ITERATIONS and
        /// PBKDF2_MAX_ITERATIONS): a hash outside them would be refused at every sign-in.
        #[arg(long, default_value_t = DEFAULT_ITERATIONS, value_parser = iteration_count())]
        iterations: u32,
    },
    /// Create an account, or replace its ID number and password. The password is read from
    /// standard input.
    UpsertAccount {
        /// The opaque account id that tokens name in `sub`.
        #[arg(long)]
        account_id: String,
        /// The national ID number, stored as text and shown only masked.
        #[arg(long)]
        id_number: String,
        /// PBKDF2 iterations for the new hash, within the Worker's default bounds.
        #[arg(long, default_value_t = DEFAULT_ITERATIONS, value_parser = iteration_count())]
        iterations: u32,
        #[command(flatten)]
        database: Database,
    },
    /// Revoke every token issued so far for an account ("sign out everywhere") by raising its
    /// token generation. New tokens must carry the new generation (see `mint-token`).
    RevokeTokens {
        /// The account whose tokens to revoke.
        #[arg(long)]
        account_id: String,
        #[command(flatten)]
        database: Database,
    },
    /// Print a signed token for an account, for local testing.
    MintToken {
        /// The account id to put in `sub`.
        #[arg(long)]
        account_id: String,
        /// Seconds until the token expires.
        #[arg(long, default_value_t = 3_600)]
        ttl_secs: u32,
        /// The account's current token generation (0 until tokens were first revoked).
        #[arg(long, default_value_t = 0)]
        generation: u64,
        /// File to read JWT_SECRET from when the environment does not set it.
        #[arg(long, default_value = ".dev.vars")]
        dev_vars: PathBuf,
    },
    /// Import accounts and history from JSON Lines files. Existing accounts are never changed;
    /// refused lines are reported by number, and the valid ones are still imported.
    Import {
        /// Accounts, one JSON object a line: id, id_number, password_hash (any form the Worker
        /// verifies), and optionally nickname, phone_number, email, token_generation.
        #[arg(long, value_name = "FILE.jsonl", required_unless_present = "history")]
        accounts: Option<PathBuf>,
        /// History rows, one JSON object a line: account_id, data_type, changed_at (ISO 8601
        /// text or epoch milliseconds), and optionally before and after.
        #[arg(long, value_name = "FILE.jsonl")]
        history: Option<PathBuf>,
        #[command(flatten)]
        database: Database,
    },
    /// Fill a database with a large made-up data set for benchmarks: accounts seed-0 .. and
    /// their history, seed-0 with the most rows. All share one password, read from standard
    /// input.
    Seed {
        /// How many accounts to make (seed-0 .. seed-{N-1}).
        #[arg(
            long = "accounts",
            default_value_t = 10_000,
            value_parser = clap::value_parser!(u64).range(4..=10_000_000)
        )]
        accounts: u64,
        /// How many history rows to make in all.
        #[arg(
            long,
            default_value_t = 1_000_000,
            value_parser = clap::value_parser!(u64).range(0..=100_000_000)
        )]
        rows: u64,
        /// PBKDF2 iterations of the accounts' password hash.
        #[arg(long, default_value_t = MIN_ITERATIONS, value_parser = iteration_count())]
        password_iterations: u32,
        #[command(flatten)]
        database: Database,
    },
}

/// Runs `sql`, a statement that returns the changed account's `id` and `token_generation`,
/// and returns that row, or `None` when nothing changed. With `--print-sql` it prints the
/// statement instead, and reports the row as changed.
fn apply(database: &Database, sql: &str) -> Result<Option<ChangedAccount>, String> {
    if database.print_sql {
        println!("{sql}");
        return Ok(Some(ChangedAccount::default()));
    }

    let rows = database.execute(&[sql.to_owned()])?;
    match rows
        .into_iter()
        .next()
        .and_then(|rows| rows.into_iter().next())
    {
        Some(row) => serde_json::from_value(row)
            .map(Some)
            .map_err(|e| format!("unexpected answer from wrangler: {e}")),
        None => Ok(None),
    }
}

/// What a changing statement returns.
#[derive(Default, serde::Deserialize)]
struct ChangedAccount {
    id: String,
    token_generation: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    let outcome = match cli.command {
        Tool::HashPassword { iterations } => read_password()
            .and_then(|password| new_hash(&password, iterations))
            .map(|phc| {
                println!("{phc}");
            }),
        Tool::UpsertAccount {
            account_id,
            id_number,
            iterations,
            database,
        } => read_password()
            .and_then(|password| new_hash(&password, iterations))
            .and_then(|phc| apply(&database, &upsert_sql(&account_id, &id_number, &phc)))
            .and_then(|changed| match changed {
                Some(account) if !database.print_sql => {
                    eprintln!(
                        "saved account {:?} (token generation {})",
                        account.id, account.token_generation
                    );
                    Ok(())
                }
                Some(_) => Ok(()),
                None => Err("the database reported no saved account".to_owned()),
            }),
        Tool::RevokeTokens {
            account_id,
            database,
        } => apply(&database, &revoke_sql(&account_id)).and_then(|changed| match changed {
            Some(account) if !database.print_sql => {
                eprintln!(
                    "account {:?}: tokens below generation {} are now refused; mint new ones \
                         with --generation {}",
                    account.id, account.token_generation, account.token_generation
                );
                Ok(())
            }
            Some(_) => Ok(()),
            None => Err(format!("no account {account_id:?}; nothing was revoked")),
        }),
        Tool::MintToken {
            account_id,
            ttl_secs,
            generation,
            dev_vars,
        } => signing_secret(&dev_vars).and_then(|secret| {
            if account_id.is_empty() {
                return Err("--account-id must not be empty".to_owned());
            }
            let claims = TokenClaims {
                gen: (generation > 0).then_some(generation),
                ..token::subject(&account_id)
            };
            let ttl = chrono::Duration::seconds(i64::from(ttl_secs));
            println!("{}", token::mint(&secret, claims, chrono::Utc::now(), ttl));
            Ok(())
        }),
        Tool::Import {
            accounts,
            history,
            database,
        } => match import::run(accounts.as_deref(), history.as_deref(), &database) {
            Ok(true) => Ok(()),
            // The summary has said what was refused.
            Ok(false) => return ExitCode::FAILURE,
            Err(message) => Err(message),
        },
        Tool::Seed {
            accounts,
            rows,
            password_iterations,
            database,
        } => read_password()
            .and_then(|password| new_hash(&password, password_iterations))
            .and_then(|phc| seed::run(accounts, rows, &phc, &database)),
    };

    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("userlog-admin: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads one line from standard input, without its line ending.
fn read_password() -> Result<Password, String> {
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("failed to read the password from standard input: {e}"))?;

    let typed = line.strip_suffix('\n').unwrap_or(&line);
    let typed = typed.strip_suffix('\r').unwrap_or(typed);
    if typed.is_empty() {
        return Err("no password on standard input".to_owned());
    }
    Ok(Password::new(typed))
}

/// The iteration counts the Worker accepts by default (1,000 to 2,000,000).
fn iteration_count() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(i64::from(MIN_ITERATIONS)..=i64::from(MAX_ITERATIONS))
}

fn new_hash(password: &Password, iterations: u32) -> Result<String, String> {
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt).map_err(|e| format!("failed to draw a random salt: {e}"))?;

    password::hash_password(password, iterations, &salt).map_err(|e| format!("cannot hash: {e}"))
}

/// The statement that creates or updates an account (values as in [`text_literal`]).
fn upsert_sql(account_id: &str, id_number: &str, phc: &str) -> String {
    format!(
        "INSERT INTO accounts (id, id_number, password_hash)\n\
         VALUES ({}, {}, {})\n\
         ON CONFLICT (id) DO UPDATE SET\n    \
         id_number = excluded.id_number,\n    \
         password_hash = excluded.password_hash\n\
         RETURNING id, token_generation;",
        text_literal(account_id),
        text_literal(id_number),
        text_literal(phc),
    )
}

/// The statement that revokes every token of an account issued so far.
fn revoke_sql(account_id: &str) -> String {
    format!(
        "UPDATE accounts SET token_generation = token_generation + 1 WHERE id = {}\n\
         RETURNING id, token_generation;",
        text_literal(account_id)
    )
}

/// The signing secret from the environment, or else from the `.dev.vars` file.
fn signing_secret(dev_vars: &Path) -> Result<SigningSecret, String> {
    let from_env = std::env::var(JWT_SECRET)
        .ok()
        .filter(|value| !value.is_empty());
    let secret = match from_env {
        Some(secret) => secret,
        None => read_dev_var(dev_vars, JWT_SECRET)?,
    };

    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "{JWT_SECRET} must be at least {MIN_SECRET_BYTES} bytes"
        ));
    }
    Ok(SigningSecret::new(secret.into_bytes()))
}

/// Reads `NAME=value` (optionally quoted) from a dotenv-style file.
fn read_dev_var(path: &Path, name: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{name} is not set and {} cannot be read: {e}",
            path.display()
        )
    })?;

    text.lines()
        .filter_map(|line| line.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .ok_or_else(|| {
            format!(
                "{name} is set neither in the environment nor in {}",
                path.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_var_is_read_with_or_without_quotes() {
        let path = std::env::temp_dir().join(format!("userlog-admin-test-{}", std::process::id()));
        std::fs::write(&path, "# comment\nOTHER=1\nJWT_SECRET=\"abc=def\"\n").unwrap();

        let value = read_dev_var(&path, JWT_SECRET);
        std::fs::remove_file(&path).unwrap();

        assert_eq!(value.unwrap(), "abc=def");
    }
}
