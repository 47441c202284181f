//! `fidelis connect …` as an operator runs it: checking a dataflow, and a run killed
//! (SIGKILL) mid-file and run again, which applies every row exactly once.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fidelis_store::Backend;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn fidelis(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fidelis"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("FIDELIS_CONFIG")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("fidelis-connect-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_rejects_an_unmapped_mandatory_field_and_lists_it() {
    let s = Scratch::new("check");
    let good = examples().join("dataflows/transaction-v2-add.toml");
    let flow = std::fs::read_to_string(&good).unwrap();
    let out = fidelis(
        "sqlite://unused.db",
        &["connect", "check", good.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));

    let bad = s.file(
        "bad.toml",
        &flow
            .replace("billAmount = \"Amount\"\n", "")
            .replace("mobile = \"Mobile\"\n", ""),
    );
    let out = fidelis(
        "sqlite://unused.db",
        &["connect", "check", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("billAmount"), "{said}");
    assert!(
        said.contains("customer identifier (one of mobile"),
        "{said}"
    );
    // Nothing was opened: checking needs no database.
    assert!(!Path::new("unused.db").exists());
}

/// A child process killed (SIGKILL) and reaped at the latest when the test ends.
struct Child(std::process::Child);

impl Child {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
}

const ROWS: usize = 20_000;
const MOBILES: [&str; 3] = ["6591230001", "6591230002", "6591230004"];

async fn killed_mid_file_and_run_again_applies_every_row_once(backend: Backend) {
    let Some(tdb) = fidelis_store::testing::fresh(backend).await else {
        return;
    };
    let url = tdb.url.clone();
    let s = Scratch::new(&format!("kill-{backend:?}"));
    let out = fidelis(&url, &["demo"]);
    assert!(out.status.success(), "{}", text(&out));
    let customers = examples().join("dataflows/customer-v2-add.toml");
    let data = examples().join("data/customers.csv");
    let out = fidelis(
        &url,
        &[
            "connect",
            "run",
            customers.to_str().unwrap(),
            data.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    let flow = s.file(
        "bulk.toml",
        "name = \"bulk-bills\"\ntemplate = \"transaction-v2-add\"\nbatch_size = 100\n\
         [mapping]\nbillNumber = \"No\"\nbillAmount = \"Amount\"\nmobile = \"Mobile\"\n\
         [attribution]\ntill = \"demo.till\"\n",
    );
    let mut csv = String::from("No,Amount,Mobile\n");
    for i in 0..ROWS {
        csv.push_str(&format!("K-{i},100,{}\n", MOBILES[i % 3]));
    }
    let file = s.file("bulk.csv", &csv);
    let args = [
        "connect",
        "run",
        flow.to_str().unwrap(),
        file.to_str().unwrap(),
        "--json",
    ];

    // Killed once some batches have committed, long before the end.
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_fidelis"))
            .arg("--database")
            .arg(&url)
            .args(args)
            .env_remove("FIDELIS_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let applied_at_kill = loop {
        // Committed bills: the report itself is brought up to date only once a second.
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM loyalty_transactions")
            .fetch_one(tdb.db.reader())
            .await
            .unwrap();
        let stuck = started.elapsed() > Duration::from_secs(120);
        if n >= 300 || stuck {
            // SIGKILL: no chance to finish the batch or the report.
            child.kill();
            assert!(!stuck, "no progress");
            break n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (unfinished,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM connect_runs WHERE finished_at IS NULL")
            .fetch_one(tdb.db.reader())
            .await
            .unwrap();
    assert_eq!(unfinished, 1, "the run was killed before its end");
    let (bills,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM loyalty_transactions")
        .fetch_one(tdb.db.reader())
        .await
        .unwrap();
    assert!(
        (applied_at_kill..ROWS as i64).contains(&bills),
        "{bills} bills after the kill"
    );

    // Run again: the rows applied before the kill are skipped, the rest applied.
    let out = fidelis(&url, &args);
    assert!(out.status.success(), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["input"], ROWS, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["succeeded"], ROWS as i64 - bills, "{summary}");

    // Every row exactly once: one bill and one lot of 10 points per row.
    let (bills, lots, total, smallest): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM loyalty_transactions), COUNT(*), \
         CAST(COALESCE(SUM(points), 0) AS BIGINT), COALESCE(MIN(points), 0) FROM loyalty_lots",
    )
    .fetch_one(tdb.db.reader())
    .await
    .unwrap();
    assert_eq!(bills, ROWS as i64);
    assert_eq!(lots, ROWS as i64);
    assert!(smallest > 0);
    assert_eq!(total, smallest * ROWS as i64);

    // And once more: nothing new.
    let out = fidelis(&url, &args);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["succeeded"], 0, "{summary}");
    let out = fidelis(&url, &["connect", "runs", "--json"]);
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs[0]["alreadyApplied"], ROWS, "{runs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_file_sqlite() {
    killed_mid_file_and_run_again_applies_every_row_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_file_postgres() {
    killed_mid_file_and_run_again_applies_every_row_once(Backend::Postgres).await;
}
