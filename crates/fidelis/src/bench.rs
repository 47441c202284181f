//! `fidelis bench …`: load generators that measure the real server over HTTP on this machine.
//! Figures go to docs/benchmarks.md; tests never time anything.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fidelis_domain::credentials::basic_header;
use fidelis_domain::customers::{normalise_mobile, IdentifierType, Source};
use fidelis_server::{AppState, SystemClock};
use fidelis_store::customers::BulkCustomer;
use fidelis_store::Db;
use hdrhistogram::Histogram;
use rand::Rng;

/// Options of `fidelis bench customers`.
#[derive(Debug, Clone, clap::Args)]
pub struct CustomersBench {
    /// Customers in the org (loaded once; later runs reuse them).
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: u64,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds of load per identifier type.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// How the synthetic customer `i`'s identifier of one type is spelled.
type IdentifierOf = fn(u64) -> String;

/// The synthetic customer `i`'s identifiers: SG mobiles from 81000000 up, so every number is
/// a valid Singapore mobile.
fn mobile(i: u64) -> String {
    format!("65{}", 81_000_000 + i)
}

fn email(i: u64) -> String {
    format!("bench{i}@bench.example")
}

fn card(i: u64) -> String {
    format!("BENCH{i:010}")
}

pub async fn customers(db: Db, opts: CustomersBench) -> anyhow::Result<()> {
    if opts.customers == 0 || opts.customers > 18_999_999 {
        bail!("--customers must be between 1 and 18999999");
    }
    for i in [0, opts.customers - 1] {
        let m = mobile(i);
        if normalise_mobile(&m, "SG").ok().as_deref() != Some(m.as_str()) {
            bail!("synthetic mobile {m} is not a valid SG number");
        }
    }
    let org = db
        .orgs()
        .by_code("demo")
        .await?
        .context("the demo org is missing")?;
    load(&db, org.id, opts.customers).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(db.clone(), Arc::new(SystemClock));
    let server =
        tokio::spawn(async move { axum::serve(listener, fidelis_server::router(state)).await });

    println!(
        "| backend | identifier | customers | clients | lookups | lookups/s | p50 ms | p99 ms | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let backend = format!("{:?}", db.backend());
    let kinds: [(&str, IdentifierOf); 3] =
        [("mobile", mobile), ("email", email), ("cardnumber", card)];
    for (name, value) in kinds {
        let r = run_lookups(&format!("http://{addr}"), name, value, &opts).await?;
        println!(
            "| {backend} | {name} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            opts.customers,
            opts.clients,
            r.hist.len(),
            r.hist.len() as f64 / r.elapsed.as_secs_f64(),
            r.hist.value_at_quantile(0.5) as f64 / 1000.0,
            r.hist.value_at_quantile(0.99) as f64 / 1000.0,
            r.errors,
        );
    }
    server.abort();
    Ok(())
}

/// Loads the synthetic customers the org does not have yet.
async fn load(db: &Db, org_id: i64, want: u64) -> anyhow::Result<()> {
    let have = db.customers().count(org_id).await? as u64;
    if have >= want {
        return Ok(());
    }
    let started = Instant::now();
    eprintln!("loading customers {have}..{want} (once; later runs reuse them)");
    let chunk = 50_000;
    let mut from = have;
    while from < want {
        let to = (from + chunk).min(want);
        let rows: Vec<BulkCustomer> = (from..to)
            .map(|i| BulkCustomer {
                source: Source::Instore,
                first_name: format!("Bench{i}"),
                last_name: "Customer".into(),
                identifiers: vec![
                    (IdentifierType::Mobile, mobile(i)),
                    (IdentifierType::Email, email(i)),
                    (IdentifierType::CardNumber, card(i)),
                ],
            })
            .collect();
        db.customers()
            .bulk_load(org_id, &rows, jiff::Timestamp::now())
            .await?;
        from = to;
        eprintln!("  {from} loaded ({:.0}s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

struct Run {
    hist: Histogram<u64>,
    errors: u64,
    elapsed: Duration,
}

async fn run_lookups(
    base: &str,
    name: &str,
    value: IdentifierOf,
    opts: &CustomersBench,
) -> anyhow::Result<Run> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.clients)
        .build()?;
    let auth = basic_header("demo.till", "demo123");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(opts.seconds);
    let mut tasks = Vec::new();
    for _ in 0..opts.clients {
        let (http, auth, base, name) = (
            http.clone(),
            auth.clone(),
            base.to_string(),
            name.to_string(),
        );
        let n = opts.customers;
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let i = rand::thread_rng().gen_range(0..n);
                let url = format!(
                    "{base}/v2/customers/lookup?source=INSTORE&identifierName={name}&identifierValue={}",
                    value(i)
                );
                let t = Instant::now();
                let ok = match http.get(&url).header("Authorization", &auth).send().await {
                    Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    hist.record(t.elapsed().as_micros().max(1) as u64)?;
                } else {
                    errors += 1;
                }
            }
            anyhow::Ok((hist, errors))
        }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await??;
        hist.add(h)?;
        errors += e;
    }
    Ok(Run {
        hist,
        errors,
        elapsed: started.elapsed(),
    })
}
