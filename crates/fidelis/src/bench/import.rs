//! `fidelis bench import`: a transaction CSV of N rows for the synthetic demo customers,
//! imported with the `transaction-v2-add` dataflow (every row a bill with its points), and
//! the same file loaded with PostgreSQL `COPY` into a plain indexed table as the floor.
//! Peak RSS is the process's high-water mark, reset before the import starts.

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use anyhow::{bail, Context as _};
use fidelis_app::{App, SystemClock};
use fidelis_connect::{run_file, Flow, RunOptions};
use fidelis_store::Db;
use sqlx::postgres::PgPoolOptions;
use tokio::io::AsyncReadExt as _;

use super::{load_customers, mobile};

#[derive(Debug, Clone, clap::Args)]
pub struct ImportBench {
    /// Rows (bills) in the generated file.
    #[arg(long, default_value_t = 2_000_000)]
    pub rows: u64,
    /// Synthetic customers the bills are spread over.
    #[arg(long, default_value_t = 100_000)]
    pub customers: u64,
    /// Where the generated file and the dataflow go (kept for a look afterwards).
    #[arg(long, default_value = "target/bench-import")]
    pub dir: PathBuf,
    /// Records per batch (the dataflow's `batch_size`; its default when not given).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// PostgreSQL server for the `COPY` floor (a database `fidelis_copyfloor` is created
    /// there); `none` skips it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub copy_url: String,
}

/// The dataflow the bench imports with: the example's mapping, files given by the bench.
const FLOW: &str = r#"name = "bench-import"
template = "transaction-v2-add"

[mapping]
billNumber = "Bill No"
billingDate = "Bill Date"
billAmount = "Amount"
mobile = "Mobile"

[dates]
billingDate = "yyyy-MM-dd HH:mm:ss"

[attribution]
till = "demo.till"
"#;

pub async fn import(db: Db, opts: ImportBench) -> anyhow::Result<()> {
    if opts.rows == 0 {
        bail!("--rows must be at least 1");
    }
    load_customers(&db, opts.customers).await?;
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("cannot create {}", opts.dir.display()))?;
    // Bill numbers unique to this run, so a second run imports rather than finds duplicates.
    let run_id = jiff::Timestamp::now().as_millisecond();
    let file = opts.dir.join(format!("bills-{run_id}.csv"));
    let flow = opts.dir.join("bench-import.toml");
    let text = match opts.batch_size {
        Some(n) => FLOW.replacen("template =", &format!("batch_size = {n}\ntemplate ="), 1),
        None => FLOW.to_string(),
    };
    std::fs::write(&flow, text)?;
    let generated = std::time::Instant::now();
    generate(&file, opts.rows, opts.customers, run_id)?;
    eprintln!(
        "generated {} rows in {:.1} s: {}",
        opts.rows,
        generated.elapsed().as_secs_f64(),
        file.display()
    );

    let app = App::new(db.clone(), Arc::new(SystemClock));
    let flow =
        Flow::load(&flow).map_err(|p| anyhow::anyhow!("bench dataflow: {}", p.join("; ")))?;
    let opts_run = RunOptions {
        org: Some("demo".into()),
        error_dir: Some(opts.dir.clone()),
        ..RunOptions::default()
    };
    reset_peak_rss();
    let started = std::time::Instant::now();
    let report = run_file(&app, &flow, &file, &opts_run).await?;
    let seconds = started.elapsed().as_secs_f64();
    let summary = &report.counts;
    let peak_mb = peak_rss_mb();
    let floor = if opts.copy_url == "none" {
        None
    } else {
        Some(copy_floor(&opts.copy_url, &file).await?)
    };
    let rate = opts.rows as f64 / seconds;
    println!("| backend | rows | succeeded | failed | seconds | rows/s | peak RSS MB | COPY rows/s | ratio |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:?} | {} | {} | {} | {:.1} | {:.0} | {:.0} | {} | {} |",
        db.backend(),
        opts.rows,
        summary.succeeded,
        summary.failed,
        seconds,
        rate,
        peak_mb,
        floor.map_or_else(|| "-".into(), |f| format!("{f:.0}")),
        floor.map_or_else(|| "-".into(), |f| format!("{:.3}", rate / f)),
    );
    Ok(())
}

/// Writes `rows` bills round-robin over customers `0..customers`, one per line, dated in
/// the last 30 days so every bill earns (none is in the future or too old).
fn generate(path: &Path, rows: u64, customers: u64, run_id: i64) -> anyhow::Result<()> {
    let out = std::fs::File::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "Bill No,Bill Date,Amount,Mobile")?;
    let base = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Singapore")?)
        .datetime()
        .checked_sub(jiff::Span::new().days(30))?;
    for i in 0..rows {
        let when = base.checked_add(jiff::Span::new().seconds((i % 2_000_000) as i64))?;
        let cents = 1_000 + (i * 7_919) % 49_000;
        writeln!(
            w,
            "B{run_id}-{i},{},{}.{:02},{}",
            when.strftime("%Y-%m-%d %H:%M:%S"),
            cents / 100,
            cents % 100,
            mobile(i % customers)
        )?;
    }
    w.flush()?;
    Ok(())
}

/// Loads `file` with `COPY … FROM STDIN (FORMAT csv, HEADER)` into a fresh table indexed as a
/// plain bills table would be (bill number unique, mobile); rows per second.
async fn copy_floor(url: &str, file: &Path) -> anyhow::Result<f64> {
    let (base, _) = url
        .rsplit_once('/')
        .context("--copy-url must name a database")?;
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
    // Exists already on later runs; that failure is expected.
    let _ = sqlx::query("CREATE DATABASE fidelis_copyfloor")
        .execute(&admin)
        .await;
    admin.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{base}/fidelis_copyfloor"))
        .await?;
    for sql in [
        "DROP TABLE IF EXISTS bills",
        "CREATE TABLE bills (bill_number text NOT NULL, billed_at timestamp NOT NULL, \
         amount numeric(14,2) NOT NULL, mobile text NOT NULL)",
        "CREATE UNIQUE INDEX bills_number ON bills (bill_number)",
        "CREATE INDEX bills_mobile ON bills (mobile)",
    ] {
        sqlx::query(sql).execute(&pool).await?;
    }
    let started = std::time::Instant::now();
    let mut conn = pool.acquire().await?;
    let mut copy = conn
        .copy_in_raw("COPY bills FROM STDIN (FORMAT csv, HEADER)")
        .await?;
    let mut f = tokio::fs::File::open(file).await?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        copy.send(&buf[..n]).await?;
    }
    let rows = copy.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    drop(conn);
    pool.close().await;
    Ok(rows as f64 / seconds)
}

/// Resets the process's peak RSS (Linux: `5` to `/proc/self/clear_refs`); elsewhere the
/// peak includes what came before.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak RSS in MB (`VmHWM`), or 0 where `/proc` is missing.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
