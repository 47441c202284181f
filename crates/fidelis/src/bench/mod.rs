//! `fidelis bench …`: load generators that measure the real server over HTTP on this
//! machine. Figures go to docs/benchmarks.md; tests never time anything.

mod console;
mod customers;
mod import;
mod load;
mod oauth;
mod storm;
mod transactions;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use fidelis_app::{App, SystemClock};
use fidelis_domain::customers::{normalise_mobile, IdentifierType, Source};
use fidelis_domain::org::OrgId;
use fidelis_server::{AppState, Listeners, ServeOptions};
use fidelis_store::customers::BulkCustomer;
use fidelis_store::Db;

pub use console::{console, ConsoleBench};
pub use customers::{customers, CustomersBench};
pub use import::{import, ImportBench};
pub use oauth::{oauth, OauthBench};
pub use storm::{storm, StormBench};
pub use transactions::{transactions, TransactionsBench};

/// The synthetic customer `i`'s mobile: SG numbers from 81000000 up, all valid.
pub fn mobile(i: u64) -> String {
    format!("65{}", 81_000_000 + i)
}

pub fn email(i: u64) -> String {
    format!("bench{i}@bench.example")
}

pub fn card(i: u64) -> String {
    format!("BENCH{i:010}")
}

/// Loads the synthetic customers 0..want into the demo org, skipping those already there.
pub async fn load_customers(db: &Db, want: u64) -> anyhow::Result<OrgId> {
    if want == 0 || want > 18_999_999 {
        bail!("the customer count must be between 1 and 18999999");
    }
    for i in [0, want - 1] {
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
    let have = db.customers().count(org.id).await? as u64;
    if have >= want {
        return Ok(org.id);
    }
    let started = std::time::Instant::now();
    eprintln!("loading customers {have}..{want} (once; later runs reuse them)");
    let mut from = have;
    while from < want {
        let to = (from + 50_000).min(want);
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
            .bulk_load(org.id, &rows, jiff::Timestamp::now())
            .await?;
        from = to;
        eprintln!("  {from} loaded ({:.0} s)", started.elapsed().as_secs_f64());
    }
    Ok(org.id)
}

/// Serves the app on a random loopback port, in this process, through the production
/// serve path (jobs off, so they do not compete with the measured load).
pub async fn start_server(db: &Db) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let listeners = Listeners::bind(loopback, loopback).await?;
    let addr = listeners.api.local_addr()?;
    let state = AppState::new(App::new(db.clone(), Arc::new(SystemClock)));
    let task = tokio::spawn(async move {
        let options = ServeOptions {
            jobs: false,
            ..ServeOptions::default()
        };
        let forever = std::future::pending::<()>();
        if let Err(e) = fidelis_server::serve(state, listeners, options, forever).await {
            eprintln!("bench server stopped: {e}");
        }
    });
    Ok((addr, task))
}
