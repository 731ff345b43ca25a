//! `seed`: a large, realistic-looking data set for benchmarks.
//!
//! The rows are made inside SQLite by recursive CTEs, from a row number alone, so a statement
//! of 100,000 rows is a few kilobytes of SQL instead of megabytes of literals. Every value is
//! a deterministic function of its row number: two seeded databases hold the same data, apart
//! from the password hash's salt.

use std::time::Instant;

use crate::db::{text_literal, Database};

/// Rows made per statement, and so per progress line.
const ROWS_PER_STATEMENT: u64 = 100_000;

/// The first history row's slot: 2019-01-01T00:00:00Z.
const FIRST_MS: i64 = 1_546_300_800_000;

/// The span history is spread over: six years, to 2025-01-01T00:00:00Z.
const SPAN_MS: i64 = 2_192 * 86_400_000;

/// Given names and surnames nicknames and emails are made from; no real person's address can
/// result, as every email is under an `example` domain (RFC 2606).
const NAMES: &[&str] = &[
    "wei", "fang", "na", "min", "jing", "lei", "yang", "jun", "tao", "ming", "chao", "xiu", "hui",
    "yan", "ling", "hao", "alice", "bob", "carol", "david", "emma", "frank", "grace", "henry",
    "iris", "jack", "kate", "leo", "mia", "nora", "oscar", "paul",
];
const SURNAMES: &[&str] = &[
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
    "zhu", "hu", "guo", "smith", "jones", "brown", "garcia", "miller", "davis", "lopez", "wilson",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.cn",
];
const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159", "176",
    "177", "186", "188", "189", "199",
];
/// Six-digit administrative division codes that ID numbers begin with.
const REGIONS: &[&str] = &[
    "110101", "110105", "110108", "310104", "310115", "440106", "440305", "330106", "320102",
    "510107", "420106", "610113", "370202", "500103",
];

/// How many history rows each of the three named accounts gets, and the rest.
#[derive(Debug, PartialEq, Eq)]
struct Shares {
    seed0: u64,
    seed1: u64,
    seed2: u64,
    rest: u64,
}

impl Shares {
    /// `seed-0` gets 100,000 rows (a tenth of `rows` if that is fewer), `seed-1` 1,000 and
    /// `seed-2` 10 (as many as are left, if fewer), and the other accounts share the rest.
    fn of(rows: u64) -> Shares {
        let seed0 = (rows / 10).min(100_000);
        let seed1 = (rows - seed0).min(1_000);
        let seed2 = (rows - seed0 - seed1).min(10);
        Shares {
            seed0,
            seed1,
            seed2,
            rest: rows - seed0 - seed1 - seed2,
        }
    }
}

/// Seeds `accounts` accounts `seed-0` .. and `rows` history rows, all with the password hash
/// `password_hash`. Refused if any `seed-` account exists already.
pub fn run(
    accounts: u64,
    rows: u64,
    password_hash: &str,
    database: &Database,
) -> Result<(), String> {
    let started = Instant::now();
    let shares = Shares::of(rows);

    if !database.print_sql {
        let existing = database.execute(&[format!(
            "SELECT count(*) AS n FROM accounts WHERE {SEED_RANGE};"
        )])?;
        let existing = existing[0]
            .first()
            .and_then(|row| row["n"].as_u64())
            .ok_or("unexpected answer from wrangler to the count of seed- accounts")?;
        if existing > 0 {
            return Err(format!(
                "the database already holds {existing} seed- accounts; seed only a database \
                 without them (e.g. a new --persist-to directory)"
            ));
        }
    }

    for start in (0..accounts).step_by(ROWS_PER_STATEMENT as usize) {
        let end = (start + ROWS_PER_STATEMENT).min(accounts);
        apply(database, accounts_sql(start, end, password_hash))?;
        eprintln!("accounts: {end}/{accounts}");
    }
    for start in (0..rows).step_by(ROWS_PER_STATEMENT as usize) {
        let end = (start + ROWS_PER_STATEMENT).min(rows);
        apply(database, history_sql(start, end, accounts, &shares))?;
        eprintln!("rows: {end}/{rows}");
    }

    let seconds = started.elapsed().as_secs_f64();
    if database.print_sql {
        return Ok(());
    }
    // Counted back from the database, so the summary says what is there, not what was meant.
    let counted = database.execute(&[format!(
        "SELECT (SELECT count(*) FROM accounts WHERE {SEED_RANGE}) AS accounts,
                (SELECT count(*) FROM modification_log WHERE {SEED_LOG_RANGE}) AS rows,
                (SELECT count(*) FROM modification_log WHERE account_id = 'seed-0') AS seed0,
                (SELECT count(*) FROM modification_log WHERE account_id = 'seed-1') AS seed1,
                (SELECT count(*) FROM modification_log WHERE account_id = 'seed-2') AS seed2;"
    )])?;
    let count = |name: &str| {
        counted[0]
            .first()
            .and_then(|row| row[name].as_u64())
            .ok_or("unexpected answer from wrangler to the final count")
    };
    eprintln!(
        "seeded {} accounts and {} rows (seed-0: {}, seed-1: {}, seed-2: {}) in {seconds:.1} s",
        count("accounts")?,
        count("rows")?,
        count("seed0")?,
        count("seed1")?,
        count("seed2")?,
    );
    Ok(())
}

/// Account ids from `seed-` up to, not including, `seed.`: every id starting `seed-`, found
/// through the primary key's index.
const SEED_RANGE: &str = "id >= 'seed-' AND id < 'seed.'";
const SEED_LOG_RANGE: &str = "account_id >= 'seed-' AND account_id < 'seed.'";

fn apply(database: &Database, sql: String) -> Result<(), String> {
    if database.print_sql {
        println!("{sql}");
        return Ok(());
    }
    database.execute(&[sql]).map(|_| ())
}

/// A pseudo-random number in 0..4294967291 from `expr` and `salt`: a multiplicative hash
/// modulo a prime, which spreads consecutive row numbers well enough for made-up data.
fn mix(expr: &str, salt: u32) -> String {
    format!("((({expr}) + {salt}) * 2654435761 % 4294967291)")
}

/// The `index`th element of `list`, as a SQL expression; `index` may be any non-negative
/// integer expression.
fn pick(list: &[&str], index: &str) -> String {
    let array = format!(
        "[{}]",
        list.iter()
            .map(|item| format!("\"{item}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    format!(
        "json_extract('{array}', '$[' || (({index}) % {}) || ']')",
        list.len()
    )
}

fn nickname(h: &str) -> String {
    let name = pick(NAMES, h);
    let surname = pick(SURNAMES, &format!("({h}) / 32"));
    format!(
        "CASE ({h}) / 1024 % 4 \
         WHEN 0 THEN {name} \
         WHEN 1 THEN {name} || '_' || (({h}) / 4096 % 1000) \
         WHEN 2 THEN upper(substr({name}, 1, 1)) || substr({name}, 2) || ' ' \
                     || upper(substr({surname}, 1, 1)) || substr({surname}, 2) \
         ELSE {surname} || {name} || (({h}) / 4096 % 100) END "
    )
}

fn phone(h: &str) -> String {
    format!(
        "{} || printf('%08d', ({h}) / 32 % 100000000)",
        pick(PHONE_PREFIXES, h)
    )
}

fn email(h: &str) -> String {
    format!(
        "{} || '.' || {} || (({h}) / 2048 % 1000) || '@' || {}",
        pick(NAMES, h),
        pick(SURNAMES, &format!("({h}) / 32")),
        pick(DOMAINS, &format!("({h}) / 4096")),
    )
}

/// An 18-character ID number: region, date of birth (1960 to 2004), sequence number, and the
/// ISO 7064 MOD 11-2 check character that real ones end with.
fn id_number(h: &str) -> String {
    let base = format!(
        "({} || strftime('%Y%m%d', '1960-01-01', '+' || (({h}) / 16 % 16436) || ' days') \
         || printf('%03d', ({h}) / 300000 % 1000))",
        pick(REGIONS, h)
    );
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: Vec<String> = WEIGHTS
        .iter()
        .enumerate()
        .map(|(i, weight)| format!("substr({base}, {}, 1) * {weight}", i + 1))
        .collect();
    format!(
        "{base} || substr('10X98765432', ({}) % 11 + 1, 1)",
        sum.join(" + ")
    )
}

/// Accounts `seed-{start}` .. `seed-{end - 1}`.
fn accounts_sql(start: u64, end: u64, password_hash: &str) -> String {
    let last = end - 1;
    let h = "h";
    format!(
        "WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n WHERE i < {last}),\n\
         m(i, h) AS (SELECT i, {mix} FROM n)\n\
         INSERT INTO accounts (id, id_number, password_hash, nickname, phone_number, email)\n\
         SELECT 'seed-' || i, {id_number}, {hash}, {nickname}, {phone}, {email}\n\
         FROM m;",
        mix = mix("i", 17),
        id_number = id_number(h),
        hash = text_literal(password_hash),
        nickname = nickname(h),
        phone = phone(h),
        email = email(h),
    )
}

/// History rows `start` .. `end - 1` of the whole set, over `accounts` accounts.
///
/// Every `END` of a CASE here is followed by a space: wrangler splits a file of statements at
/// semicolons outside CASE ... END, and finds an END only when whitespace follows it, so
/// `--print-sql` output stays runnable with `wrangler d1 execute --file`.
///
/// Row `g` belongs to `seed-0` for the first share, then `seed-1`, then `seed-2`, and after
/// that to the other accounts in turn. Within an account its rows are spread evenly over the
/// six years, in row order with some jitter, as history that was appended as it happened.
fn history_sql(start: u64, end: u64, accounts: u64, shares: &Shares) -> String {
    let last = end - 1;
    let s0 = shares.seed0;
    let s01 = s0 + shares.seed1;
    let s012 = s01 + shares.seed2;
    let others = accounts.saturating_sub(3).max(1);
    let (rest, s1, s2) = (shares.rest, shares.seed1, shares.seed2);
    let before = "hb";
    let after = "ha";
    let value = |h: &str| {
        format!(
            "CASE kind WHEN 'nickname' THEN {} WHEN 'phone_number' THEN {} \
             WHEN 'email' THEN {} ELSE {} END ",
            nickname(h),
            phone(h),
            email(h),
            id_number(h)
        )
    };
    format!(
        "WITH RECURSIVE n(g) AS (SELECT {start} UNION ALL SELECT g + 1 FROM n WHERE g < {last}),\n\
         r(g, account, j, total) AS (SELECT g,\n    \
             CASE WHEN g < {s0} THEN 0 WHEN g < {s01} THEN 1 WHEN g < {s012} THEN 2\n         \
                  ELSE 3 + (g - {s012}) % {others} END ,\n    \
             CASE WHEN g < {s0} THEN g WHEN g < {s01} THEN g - {s0} WHEN g < {s012} THEN g - {s01}\n         \
                  ELSE (g - {s012}) / {others} END ,\n    \
             CASE WHEN g < {s0} THEN {s0} WHEN g < {s01} THEN {s1} WHEN g < {s012} THEN {s2}\n         \
                  ELSE {rest} / {others} + ((g - {s012}) % {others} < {rest} % {others}) END\n  \
           FROM n),\n\
         m(g, account, j, step, h, hb, ha, kind) AS (SELECT g, account, j, max({SPAN_MS} / total, 1),\n    \
             {h}, {hb}, {ha},\n    \
             CASE WHEN {kind} < 7 THEN 'nickname' WHEN {kind} < 12 THEN 'phone_number'\n         \
                  WHEN {kind} < 19 THEN 'email' ELSE 'id_number' END \n  \
           FROM r)\n\
         INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)\n\
         SELECT 'seed-' || account, kind,\n    \
             CASE WHEN h % 25 = 0 THEN NULL ELSE {value_before} END ,\n    \
             CASE WHEN h % 100 = 1 THEN NULL ELSE {value_after} END ,\n    \
             {FIRST_MS} + j * step + h % step\n\
         FROM m;",
        h = mix("g", 3),
        hb = mix("g", 5),
        ha = mix("g", 7),
        kind = format!("{} % 20", mix("g", 11)),
        value_before = value(before),
        value_after = value(after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_benchmark_skew() {
        let full = Shares::of(1_000_000);
        assert_eq!(
            full,
            Shares {
                seed0: 100_000,
                seed1: 1_000,
                seed2: 10,
                rest: 898_990
            }
        );
        let small = Shares::of(3_000);
        assert_eq!(
            (small.seed0, small.seed1, small.seed2, small.rest),
            (300, 1_000, 10, 1_690)
        );
        let tiny = Shares::of(5);
        assert_eq!(
            (tiny.seed0, tiny.seed1, tiny.seed2, tiny.rest),
            (0, 5, 0, 0)
        );
    }
}
