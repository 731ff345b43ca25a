//! Running SQL against the Worker's D1 database through the project's wrangler.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::ValueEnum;

/// Where a command that changes the database writes.
#[derive(clap::Args)]
pub struct Database {
    /// Which D1 database to write: the local one used by `wrangler dev`, or the deployed one.
    #[arg(long, value_enum, default_value_t = Target::Local)]
    pub target: Target,
    /// Directory of the local D1 state, when not wrangler's default (`.wrangler/state`).
    #[arg(long)]
    pub persist_to: Option<PathBuf>,
    /// The wrangler.toml environment whose database to write (`staging`, `production`); none
    /// means the top level, which `wrangler dev` uses.
    #[arg(long)]
    pub env: Option<String>,
    /// Print the SQL instead of running it.
    #[arg(long)]
    pub print_sql: bool,
}

/// Which D1 database wrangler talks to.
#[derive(Clone, Copy, ValueEnum)]
pub enum Target {
    /// The local database of `wrangler dev`.
    Local,
    /// The deployed database.
    Remote,
}

/// The rows one statement returned.
pub type Rows = Vec<serde_json::Value>;

/// The most a statement may hold: D1 refuses statements over 100,000 bytes, and a remote
/// statement travels as one command-line argument, which Linux caps at 128 KiB.
pub const MAX_STATEMENT_BYTES: usize = 90_000;

impl Database {
    /// Runs `statements` in order and returns the rows each one returned.
    ///
    /// Locally they run in one `wrangler d1 execute --file`, which is one transaction: all of
    /// them take effect or none. Remotely each runs as its own `--command`, because wrangler
    /// sends a remote `--file` through D1's import, which answers with totals instead of rows
    /// and keeps the database from serving queries while it runs.
    pub fn execute(&self, statements: &[String]) -> Result<Vec<Rows>, String> {
        match self.target {
            Target::Local => {
                let results = self.wrangler_file(&statements.join("\n"))?;
                if results.len() != statements.len() {
                    return Err(format!(
                        "wrangler answered for {} statements instead of {}",
                        results.len(),
                        statements.len()
                    ));
                }
                Ok(results)
            }
            Target::Remote => statements
                .iter()
                .map(|statement| {
                    let mut results = self.wrangler(&["--command", statement.as_str()], None)?;
                    results
                        .pop()
                        .ok_or_else(|| "wrangler answered with no result".to_owned())
                })
                .collect(),
        }
    }

    /// Runs `sql` from a file only this user can read (the SQL may hold password hashes),
    /// created exclusively under a random name, so another user cannot plant or swap it.
    fn wrangler_file(&self, sql: &str) -> Result<Vec<Rows>, String> {
        let mut file = tempfile::Builder::new()
            .prefix("userlog-admin-")
            .suffix(".sql")
            .tempfile()
            .map_err(|e| format!("failed to create a temporary file: {e}"))?;
        std::io::Write::write_all(&mut file, sql.as_bytes())
            .map_err(|e| format!("failed to write {}: {e}", file.path().display()))?;
        self.wrangler(&["--file"], Some(file.path()))
    }

    /// Runs `wrangler d1 execute DB --json` with `args` (and `path` after them), and returns
    /// the rows of each statement. Wrangler's own messages go to standard error.
    fn wrangler(&self, args: &[&str], path: Option<&std::path::Path>) -> Result<Vec<Rows>, String> {
        let mut command = Command::new("node_modules/.bin/wrangler");
        command.args(["d1", "execute", "DB", "--json"]).args(args);
        if let Some(path) = path {
            command.arg(path);
        }
        command.arg(match self.target {
            Target::Local => "--local",
            Target::Remote => "--remote",
        });
        if let Some(dir) = &self.persist_to {
            command.arg("--persist-to").arg(dir);
        }
        if let Some(env) = &self.env {
            command.arg("--env").arg(env);
        }
        let output = command
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output();

        match output {
            Ok(output) if output.status.success() => {
                let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)
                    .map_err(|e| format!("unexpected answer from wrangler: {e}"))?;
                Ok(results
                    .iter()
                    .map(|result| result["results"].as_array().cloned().unwrap_or_default())
                    .collect())
            }
            Ok(output) => Err(format!(
                "wrangler d1 execute failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stdout).trim()
            )),
            Err(e) => Err(format!(
                "cannot run node_modules/.bin/wrangler ({e}); run this from the repository root \
                 after scripts/setup.sh"
            )),
        }
    }
}

/// `value` as a SQL text literal.
///
/// `wrangler d1 execute` takes no bound parameters, so each value is written as a hex blob cast
/// to text: no byte of it can end the literal, whatever the value holds.
pub fn text_literal(value: &str) -> String {
    use std::fmt::Write;

    let mut literal = String::with_capacity(value.len() * 2 + 20);
    literal.push_str("CAST(X'");
    for byte in value.bytes() {
        // Writing to a String cannot fail.
        let _ = write!(literal, "{byte:02X}");
    }
    literal.push_str("' AS TEXT)");
    literal
}

/// `value` as a SQL text literal, or `NULL`.
pub fn nullable_text(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), text_literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_literal_is_hex_that_cannot_break_out_of_sql() {
        assert_eq!(text_literal("a'b"), "CAST(X'612762' AS TEXT)");
        assert_eq!(text_literal(""), "CAST(X'' AS TEXT)");
        assert_eq!(nullable_text(None), "NULL");
    }
}
