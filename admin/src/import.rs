//! `import`: accounts and history from JSON Lines files, as another system exported them.
//!
//! Every line is checked here before anything is written, and a refused line is reported by
//! its number and a reason that never quotes a value: the files hold password hashes and
//! personal data. Valid lines are written in batches, so one bad line costs only itself.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use user_info_log::auth::password::StoredHash;

use crate::db::{nullable_text, text_literal, Database, Rows, Target, MAX_STATEMENT_BYTES};
use crate::{MAX_ITERATIONS, MIN_ITERATIONS};

/// Rows per INSERT statement, at most.
const ROWS_PER_STATEMENT: usize = 100;

/// Statements per local wrangler call, at most; each call starts a local runtime, which costs
/// about a second, so a call carries many statements.
const STATEMENTS_PER_CALL: usize = 40;

/// The latest time the log can hold: 9999-12-31T23:59:59.999Z, as the table's CHECK says.
const MAX_CHANGED_AT_MS: i64 = 253_402_300_799_999;

/// Refusal reasons shown per file in the summary; the rest are only counted.
const REASONS_SHOWN: usize = 10;

/// Imports the files given, accounts first (history rows need their accounts), and prints a
/// summary of each on standard error. Returns whether every line was imported.
pub fn run(
    accounts: Option<&Path>,
    history: Option<&Path>,
    database: &Database,
) -> Result<bool, String> {
    if accounts.is_none() && history.is_none() {
        return Err("give --accounts FILE, --history FILE, or both".to_owned());
    }

    let mut tallies = Vec::new();
    let mut stopped = None;
    if let Some(path) = accounts {
        let (tally, error) = import_file::<Account>(path, database)?;
        tallies.push(tally);
        stopped = error;
    }
    if let (Some(path), None) = (history, &stopped) {
        let (tally, error) = import_file::<Change>(path, database)?;
        tallies.push(tally);
        stopped = error;
    }

    for tally in &mut tallies {
        tally.print(database.print_sql);
    }
    if let Some(error) = &stopped {
        eprintln!("userlog-admin: import stopped: {error}");
    }
    Ok(stopped.is_none() && tallies.iter().all(Tally::complete))
}

/// One kind of input line: how it is read, and how a batch of it is written.
trait Record: Sized {
    /// Names the file in progress and summary lines.
    const KIND: &'static str;
    /// The fields a line may have.
    const FIELDS: &'static [&'static str];

    /// Reads one line's fields.
    fn read(fields: &Fields) -> Result<Self, String>;

    /// The key by which a repeat within the file is refused, if records have one.
    fn unique_key(&self) -> Option<&str>;

    /// One row of the VALUES list of the batch statement.
    fn values(&self, line: usize) -> String;

    /// The statement that writes `values` (a list of rows made by [`Record::values`]) and
    /// returns one row per record it wrote.
    fn statement(values: &str) -> String;

    /// Sorts the records of one statement into written and not, from what it returned.
    fn outcome(batch: &[(usize, Self)], returned: &Rows, tally: &mut Tally);
}

/// An account line.
struct Account {
    id: String,
    id_number: String,
    password_hash: String,
    nickname: Option<String>,
    phone_number: Option<String>,
    email: Option<String>,
    token_generation: u64,
}

impl Record for Account {
    const KIND: &'static str = "accounts";
    const FIELDS: &'static [&'static str] = &[
        "id",
        "id_number",
        "password_hash",
        "nickname",
        "phone_number",
        "email",
        "token_generation",
    ];

    fn read(fields: &Fields) -> Result<Self, String> {
        let id = fields.text("id")?;
        let length = id.chars().count();
        if !(1..=128).contains(&length) {
            return Err(format!(
                "`id` has {length} characters; it must have 1 to 128"
            ));
        }
        let id_number = fields.text("id_number")?;
        if id_number.is_empty() {
            return Err("`id_number` is empty".to_owned());
        }
        let password_hash = fields.text("password_hash")?;
        check_hash(&password_hash)?;

        let token_generation = match fields.get("token_generation") {
            None => 0,
            Some(value) => value
                .as_u64()
                .filter(|&generation| i64::try_from(generation).is_ok())
                .ok_or("`token_generation` must be a non-negative integer")?,
        };

        Ok(Account {
            id,
            id_number,
            password_hash,
            nickname: fields.optional_text("nickname")?,
            phone_number: fields.optional_text("phone_number")?,
            email: fields.optional_text("email")?,
            token_generation,
        })
    }

    fn unique_key(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn values(&self, _line: usize) -> String {
        format!(
            "({}, {}, {}, {}, {}, {}, {})",
            text_literal(&self.id),
            text_literal(&self.id_number),
            text_literal(&self.password_hash),
            nullable_text(self.nickname.as_deref()),
            nullable_text(self.phone_number.as_deref()),
            nullable_text(self.email.as_deref()),
            self.token_generation,
        )
    }

    // Never an upsert: updating an existing account would fire the capture triggers and record
    // changes that never happened.
    fn statement(values: &str) -> String {
        format!(
            "INSERT INTO accounts\n    \
             (id, id_number, password_hash, nickname, phone_number, email, token_generation)\n\
             VALUES {values}\n\
             ON CONFLICT (id) DO NOTHING\n\
             RETURNING id;"
        )
    }

    fn outcome(batch: &[(usize, Self)], returned: &Rows, tally: &mut Tally) {
        let written: HashSet<&str> = returned
            .iter()
            .filter_map(|row| row["id"].as_str())
            .collect();
        for (line, account) in batch {
            if written.contains(account.id.as_str()) {
                tally.imported += 1;
            } else {
                tally.already_present(*line);
            }
        }
    }
}

/// A history line.
struct Change {
    account_id: String,
    data_type: String,
    before: Option<String>,
    after: Option<String>,
    changed_at_ms: i64,
}

impl Record for Change {
    const KIND: &'static str = "history";
    const FIELDS: &'static [&'static str] =
        &["account_id", "data_type", "before", "after", "changed_at"];

    fn read(fields: &Fields) -> Result<Self, String> {
        let account_id = fields.text("account_id")?;
        if !(1..=128).contains(&account_id.chars().count()) {
            return Err("`account_id` must have 1 to 128 characters".to_owned());
        }
        let data_type = fields.text("data_type")?;
        let length = data_type.chars().count();
        if !(1..=64).contains(&length) {
            return Err(format!(
                "`data_type` has {length} characters; it must have 1 to 64"
            ));
        }
        let changed_at = fields.get("changed_at").ok_or("`changed_at` is missing")?;

        Ok(Change {
            account_id,
            data_type,
            before: fields.optional_text("before")?,
            after: fields.optional_text("after")?,
            changed_at_ms: changed_at_ms(changed_at)?,
        })
    }

    fn unique_key(&self) -> Option<&str> {
        None
    }

    fn values(&self, line: usize) -> String {
        format!(
            "({}, {}, {}, {}, {}, {line})",
            text_literal(&self.account_id),
            text_literal(&self.data_type),
            nullable_text(self.before.as_deref()),
            nullable_text(self.after.as_deref()),
            self.changed_at_ms,
        )
    }

    // Straight into the table, not through modification_log_entry: the time is already the
    // instant in milliseconds. The line number orders the insert, so that rows with equal
    // times are recorded, and later listed, as the file has them.
    fn statement(values: &str) -> String {
        format!(
            "INSERT INTO modification_log\n    \
             (account_id, data_type, value_before, value_after, changed_at_ms)\n\
             SELECT column1, column2, column3, column4, column5\n\
             FROM (VALUES {values})\n\
             WHERE column1 IN (SELECT id FROM accounts)\n\
             ORDER BY column6\n\
             RETURNING account_id;"
        )
    }

    // A row is written exactly when its account exists, so the accounts of the rows written
    // tell which of the others were refused.
    fn outcome(batch: &[(usize, Self)], returned: &Rows, tally: &mut Tally) {
        let present: HashSet<&str> = returned
            .iter()
            .filter_map(|row| row["account_id"].as_str())
            .collect();
        for (line, change) in batch {
            if present.contains(change.account_id.as_str()) {
                tally.imported += 1;
            } else {
                tally.refuse(*line, "`account_id` names no account");
            }
        }
    }
}

/// Refuses a hash the Worker could not check a password against, or would refuse to run.
fn check_hash(hash: &str) -> Result<(), String> {
    let parsed = StoredHash::parse(hash).map_err(|e| format!("`password_hash`: {e}"))?;
    let iterations = parsed.iterations();
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(format!(
            "`password_hash` has {iterations} iterations; the Worker accepts 1,000 to 2,000,000"
        ));
    }
    Ok(())
}

/// Reads `changed_at`: epoch milliseconds, or ISO 8601 text, which is read as UTC when it
/// names no offset. Fractions beyond the millisecond are dropped, as the database view does.
fn changed_at_ms(value: &Value) -> Result<i64, String> {
    const FORM: &str = "`changed_at` must be ISO 8601 text (e.g. 2024-05-01T09:00:00Z) or \
                        an integer of epoch milliseconds";
    let ms = match value {
        Value::Number(number) => number.as_i64().ok_or(FORM)?,
        Value::String(text) => iso_ms(text).ok_or(FORM)?,
        _ => return Err(FORM.to_owned()),
    };
    if !(0..=MAX_CHANGED_AT_MS).contains(&ms) {
        return Err("`changed_at` is outside the years 1970 to 9999".to_owned());
    }
    Ok(ms)
}

fn iso_ms(text: &str) -> Option<i64> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|time| time.and_utc().timestamp_millis())
}

/// What became of one file's lines.
struct Tally {
    kind: &'static str,
    path: String,
    imported: usize,
    present: usize,
    refused: usize,
    failed: usize,
    /// Every refused or already present line with its reason, in no particular order.
    reasons: Vec<(usize, String)>,
}

impl Tally {
    fn refuse(&mut self, line: usize, reason: impl fmt::Display) {
        self.refused += 1;
        self.note(line, reason);
    }

    fn already_present(&mut self, line: usize) {
        self.present += 1;
        self.note(
            line,
            "an account with this `id` is already present; it was left as it is",
        );
    }

    fn note(&mut self, line: usize, reason: impl fmt::Display) {
        self.reasons.push((line, reason.to_string()));
    }

    fn complete(&self) -> bool {
        self.present == 0 && self.refused == 0 && self.failed == 0
    }

    fn print(&mut self, print_sql: bool) {
        let written = if print_sql {
            "printed as SQL"
        } else {
            "imported"
        };
        let mut summary = format!(
            "{} ({}): {} {written}, {} already present, {} refused",
            self.kind, self.path, self.imported, self.present, self.refused
        );
        if self.failed > 0 {
            summary.push_str(&format!(", {} not written (stopped)", self.failed));
        }
        eprintln!("{summary}");
        self.reasons.sort_unstable_by_key(|(line, _)| *line);
        for (line, reason) in self.reasons.iter().take(REASONS_SHOWN) {
            eprintln!("  line {line}: {reason}");
        }
        if self.reasons.len() > REASONS_SHOWN {
            eprintln!("  ... and {} more", self.reasons.len() - REASONS_SHOWN);
        }
    }
}

/// Reads and checks every line of `path`, then writes the valid ones. Returns the tally and,
/// if a write failed (which stops the import), its error.
fn import_file<R: Record>(
    path: &Path,
    database: &Database,
) -> Result<(Tally, Option<String>), String> {
    let mut tally = Tally {
        kind: R::KIND,
        path: path.display().to_string(),
        imported: 0,
        present: 0,
        refused: 0,
        failed: 0,
        reasons: Vec::new(),
    };
    let records = read_file::<R>(path, &mut tally)?;
    let error = write(&records, database, &mut tally).err();
    Ok((tally, error))
}

/// The valid records of `path` with their line numbers; refused lines go to `tally`.
fn read_file<R: Record>(path: &Path, tally: &mut Tally) -> Result<Vec<(usize, R)>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut records = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut bytes = Vec::new();

    for line in 1.. {
        bytes.clear();
        let read = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if read == 0 {
            break;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            tally.refuse(line, "not UTF-8");
            continue;
        };
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        // Blank lines carry nothing to import.
        if text.trim().is_empty() {
            continue;
        }

        let record = Fields::parse(text, R::FIELDS).and_then(|fields| R::read(&fields));
        match record {
            Ok(record) => {
                if let Some(key) = record.unique_key() {
                    if let Some(first) = first_line_of.get(key) {
                        tally.refuse(line, format!("repeats the `id` of line {first}"));
                        continue;
                    }
                    first_line_of.insert(key.to_owned(), line);
                }
                records.push((line, record));
            }
            Err(reason) => tally.refuse(line, reason),
        }
    }
    Ok(records)
}

/// Writes `records` in batches, with progress on standard error.
fn write<R: Record>(
    records: &[(usize, R)],
    database: &Database,
    tally: &mut Tally,
) -> Result<(), String> {
    let statements = batches(records);
    // Remotely every statement is a call of its own (see Database::execute); one per call also
    // keeps the count of what was written exact if one fails.
    let per_call = match database.target {
        Target::Local => STATEMENTS_PER_CALL,
        Target::Remote => 1,
    };
    let total = records.len();
    let mut done = 0;

    for call in statements.chunks(per_call) {
        let sql: Vec<String> = call.iter().map(|(sql, _)| sql.clone()).collect();
        let rows_in_call: usize = call.iter().map(|(_, batch)| batch.len()).sum();

        if database.print_sql {
            for statement in &sql {
                println!("{statement}");
            }
            tally.imported += rows_in_call;
        } else {
            let results = match database.execute(&sql) {
                Ok(results) => results,
                Err(error) => {
                    tally.failed = total - done;
                    let first = call[0].1[0].0;
                    return Err(format!(
                        "{}: writing from line {first} on failed, and nothing from there on was \
                         written: {error}",
                        R::KIND
                    ));
                }
            };
            for ((_, batch), returned) in call.iter().zip(&results) {
                R::outcome(batch, returned, tally);
            }
        }
        done += rows_in_call;
        eprintln!("{}: {done}/{total}", R::KIND);
    }
    Ok(())
}

/// Splits `records` into statements of at most [`ROWS_PER_STATEMENT`] rows and
/// [`MAX_STATEMENT_BYTES`] bytes, each with the records it writes.
fn batches<R: Record>(records: &[(usize, R)]) -> Vec<(String, &[(usize, R)])> {
    let mut statements = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let mut values = String::new();
        let mut end = start;
        while end < records.len() && end - start < ROWS_PER_STATEMENT {
            let (line, record) = &records[end];
            let row = record.values(*line);
            // One row always goes in, however long: a statement over D1's limit then fails
            // on its own, with D1's reason.
            if end > start && values.len() + row.len() + 300 > MAX_STATEMENT_BYTES {
                break;
            }
            if end > start {
                values.push_str(",\n       ");
            }
            values.push_str(&row);
            end += 1;
        }
        statements.push((R::statement(&values), &records[start..end]));
        start = end;
    }
    statements
}

/// The members of one JSON object, in the order written, duplicates kept, so that a repeated
/// member is refused rather than silently resolved.
struct Fields(Vec<(String, Value)>);

impl Fields {
    /// Parses `line` as an object whose members are all among `known`, each at most once.
    fn parse(line: &str, known: &[&str]) -> Result<Fields, String> {
        let fields: Fields = serde_json::from_str(line).map_err(|e| match e.classify() {
            // The one data error possible here: the line is JSON, but no object. Its message
            // would quote the value, so it is not shown.
            serde_json::error::Category::Data => "not a JSON object".to_owned(),
            // Syntax errors name a position and what was expected, never the text.
            _ => {
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or("");
                format!("not valid JSON ({message} at column {})", e.column())
            }
        })?;

        let mut seen = HashSet::new();
        for (name, _) in &fields.0 {
            let shown: String = name.chars().take(40).collect();
            if !known.contains(&name.as_str()) {
                return Err(format!("unknown member {shown:?}"));
            }
            if !seen.insert(name.as_str()) {
                return Err(format!("member {shown:?} appears twice"));
            }
        }
        Ok(fields)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    }

    /// A member that must be a string.
    fn text(&self, name: &str) -> Result<String, String> {
        match self.get(name) {
            None => Err(format!("`{name}` is missing")),
            Some(Value::String(text)) => checked_text(name, text),
            Some(_) => Err(format!("`{name}` must be a string")),
        }
    }

    /// A member that may be a string, null or absent.
    fn optional_text(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => checked_text(name, text).map(Some),
            Some(_) => Err(format!("`{name}` must be a string or null")),
        }
    }
}

// SQLite's text functions, length() among them, stop at U+0000, so such a value would not be
// what the table's checks and the Worker see.
fn checked_text(name: &str, text: &str) -> Result<String, String> {
    if text.contains('\0') {
        return Err(format!("`{name}` holds U+0000"));
    }
    Ok(text.to_owned())
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;

        impl<'de> Visitor<'de> for Members {
            type Value = Fields;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Fields(members))
            }
        }

        deserializer.deserialize_map(Members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$\
                        ZCBhHcKVRDAAX9Yb2NLzCVTp7vt9E6pAsHCGdn2rGQI";

    fn account(line: &str) -> Result<Account, String> {
        Fields::parse(line, Account::FIELDS).and_then(|fields| Account::read(&fields))
    }

    fn change(line: &str) -> Result<Change, String> {
        Fields::parse(line, Change::FIELDS).and_then(|fields| Change::read(&fields))
    }

    #[test]
    fn iso_times_with_and_without_offsets_are_utc_milliseconds() {
        let cases = [
            ("2024-05-01T09:00:00Z", 1_714_554_000_000),
            ("2024-05-01T11:00:00+02:00", 1_714_554_000_000),
            ("2024-05-01 09:00:00", 1_714_554_000_000),
            ("2024-05-01T09:00:00", 1_714_554_000_000),
            ("2024-05-01T09:00:00.1239Z", 1_714_554_000_123),
            ("2024-05-01 09:00:00.5", 1_714_554_000_500),
            ("1970-01-01T00:00:00Z", 0),
            ("9999-12-31T23:59:59.999Z", MAX_CHANGED_AT_MS),
        ];
        for (text, expected) in cases {
            assert_eq!(changed_at_ms(&Value::from(text)), Ok(expected), "{text}");
        }
        assert_eq!(changed_at_ms(&Value::from(5)), Ok(5));
    }

    #[test]
    fn times_out_of_form_or_range_are_refused() {
        for value in [
            Value::from("2024-05-01"),
            Value::from("2024-13-01T00:00:00Z"),
            Value::from("yesterday"),
            Value::from("1969-12-31T23:59:59Z"),
            Value::from("9999-12-31T23:00:00-02:00"),
            Value::from(-1),
            Value::from(MAX_CHANGED_AT_MS + 1),
            Value::from(1.5),
            Value::Null,
        ] {
            assert!(changed_at_ms(&value).is_err(), "{value}");
        }
    }

    #[test]
    fn accounts_take_every_hash_form_the_worker_verifies() {
        let hashes = [
            HASH.to_owned(),
            format!("pbkdf2_sha256$1000$salt${}", "A".repeat(43) + "="),
            format!("$pbkdf2-sha256$1000$c2FsdA${}", "A".repeat(43)),
            format!("pbkdf2:sha256:1000$salt${}", "ab".repeat(32)),
        ];
        for hash in hashes {
            let line = serde_json::json!({"id": "a", "id_number": "1", "password_hash": hash});
            assert!(account(&line.to_string()).is_ok(), "{hash}");
        }
    }

    #[test]
    fn refusals_never_quote_the_value() {
        let secret = "s3cr3t-value";
        let lines = [
            format!(r#"{{"id":"a","id_number":"1","password_hash":"{secret}"}}"#),
            format!(
                r#"{{"id":"a","id_number":"1","password_hash":"{HASH}","email":["{secret}"]}}"#
            ),
            format!(
                r#"{{"id":"a","id_number":"1","password_hash":"{HASH}","token_generation":"{secret}"}}"#
            ),
            format!(r#""{secret}""#),
            format!(r#"{{"id":"{secret}""#),
            format!(r#"{{"id":"a","id":"{secret}"}}"#),
        ];
        for line in lines {
            let reason = account(&line).err().expect(&line);
            assert!(!reason.contains(secret), "{reason}");
        }
        let hash = HASH.replace("i=1000", "i=999");
        let line = format!(r#"{{"id":"a","id_number":"1","password_hash":"{hash}"}}"#);
        let reason = account(&line).err().unwrap();
        assert!(reason.contains("999 iterations"), "{reason}");
        assert!(!reason.contains("ZCBhHcKV"), "{reason}");
    }

    #[test]
    fn history_lines_are_checked_member_by_member() {
        assert!(change(r#"{"account_id":"a","data_type":"email","changed_at":0}"#).is_ok());
        let refused = [
            (
                r#"{"account_id":"a","data_type":"","changed_at":0}"#,
                "data_type",
            ),
            (
                r#"{"account_id":"a","data_type":"email"}"#,
                "`changed_at` is missing",
            ),
            (
                r#"{"account_id":1,"data_type":"email","changed_at":0}"#,
                "`account_id` must",
            ),
            (
                r#"{"account_id":"a","data_type":"e","changed_at":0,"x":1}"#,
                "unknown member",
            ),
            (
                r#"{"account_id":"a","data_type":"e","changed_at":0,"after":1}"#,
                "`after` must",
            ),
            ("[1]", "not a JSON object"),
        ];
        for (line, expected) in refused {
            let reason = change(line).err().expect(line);
            assert!(reason.contains(expected), "{line}: {reason}");
        }
        let long = format!(
            r#"{{"account_id":"a","data_type":"{}","changed_at":0}}"#,
            "x".repeat(65)
        );
        assert!(change(&long).is_err());
    }

    #[test]
    fn statements_stay_within_the_row_and_byte_limits() {
        let big = "x".repeat(20_000);
        let records: Vec<(usize, Change)> = (1..=1_203)
            .map(|line| {
                let after = (line % 100 == 0).then(|| big.clone());
                let change = Change {
                    account_id: "a".to_owned(),
                    data_type: "email".to_owned(),
                    before: None,
                    after,
                    changed_at_ms: 0,
                };
                (line, change)
            })
            .collect();

        let statements = batches(&records);

        let rows: usize = statements.iter().map(|(_, batch)| batch.len()).sum();
        assert_eq!(rows, records.len());
        for (sql, batch) in &statements {
            assert!(batch.len() <= ROWS_PER_STATEMENT);
            assert!(sql.len() <= MAX_STATEMENT_BYTES, "{}", sql.len());
        }
    }
}
