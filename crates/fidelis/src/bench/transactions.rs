//! `fidelis bench transactions`: C clients post one-line REGULAR bills for distinct
//! customers; pgbench's tpcb-like run with the same client count on the same PostgreSQL
//! server is the floor the figures are compared with.

use std::process::Command;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use fidelis_domain::credentials::basic_header;
use fidelis_store::Db;
use serde_json::json;

use super::{load, load_customers, mobile, start_server};

#[derive(Debug, Clone, clap::Args)]
pub struct TransactionsBench {
    /// Concurrent HTTP clients (and pgbench clients).
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds of load (for Fidelis and for pgbench each).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Customers the bills are spread over.
    #[arg(long, default_value_t = 100_000)]
    pub customers: u64,
    /// PostgreSQL server for the pgbench reference (a database `fidelis_pgbench` is created
    /// there); `none` skips it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pgbench_url: String,
}

pub async fn transactions(db: Db, opts: TransactionsBench) -> anyhow::Result<()> {
    load_customers(&db, opts.customers).await?;
    let (addr, server) = start_server(&db).await?;
    let auth = basic_header("demo.till", "demo123");
    // Bill numbers unique to this run, so repeated runs are never 604.
    let run_id = jiff::Timestamp::now().as_millisecond();
    let (clients, customers) = (opts.clients as u64, opts.customers);
    let make: load::MakeRequest = Arc::new(move |http, client, seq| {
        // Client c takes customers c, c + C, c + 2C, …: no two clients share a customer.
        let i = (client as u64 + seq * clients) % customers;
        let billing = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        http.post(format!(
            "http://{addr}/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={}",
            mobile(i)
        ))
        .header("Authorization", &auth)
        .json(&json!({
            "type": "REGULAR",
            "billNumber": format!("bench-{run_id}-{client}-{seq}"),
            "billAmount": 123.45,
            "billingDate": billing,
            "lineItemsV2": [{"itemCode": "sku-1", "qty": 1, "rate": 123.45, "amount": 123.45}],
        }))
    });
    let r = load::run(opts.clients, opts.seconds, make).await?;
    server.abort();
    if let Some(e) = &r.first_error {
        eprintln!("first error: {e}");
    }
    let pgbench = if opts.pgbench_url == "none" {
        None
    } else {
        Some(pgbench_tps(&opts)?)
    };
    println!("| backend | clients | seconds | transactions | tx/s | p50 ms | p99 ms | errors | pgbench tps | ratio |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:?} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
        db.backend(),
        opts.clients,
        opts.seconds,
        r.hist.len(),
        r.per_second(),
        r.p50_ms(),
        r.p99_ms(),
        r.errors,
        pgbench
            .map(|t| format!("{t:.0}"))
            .unwrap_or_else(|| "-".into()),
        pgbench
            .map(|t| format!("{:.2}", r.per_second() / t))
            .unwrap_or_else(|| "-".into()),
    );
    Ok(())
}

/// Runs pgbench tpcb-like (scale 10) with the same client count; returns its tps.
fn pgbench_tps(opts: &TransactionsBench) -> anyhow::Result<f64> {
    let (base, _) = opts
        .pgbench_url
        .rsplit_once('/')
        .context("--pgbench-url must name a database")?;
    let target = format!("{base}/fidelis_pgbench");
    // Exists already on later runs; that failure is expected.
    let _ = Command::new("createdb")
        .arg(format!("--maintenance-db={}", opts.pgbench_url))
        .arg("fidelis_pgbench")
        .output();
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", "10", &target])
        .output()
        .context("pgbench is not installed (Debian package postgresql-client)")?;
    if !init.status.success() {
        bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    let out = Command::new("pgbench")
        .args(["-b", "tpcb-like", "-n"])
        .args(["-c", &opts.clients.to_string(), "-j", "2"])
        .args(["-T", &opts.seconds.to_string(), &target])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in pgbench output: {text}"))
}
