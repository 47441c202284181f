//! `fidelis bench customers`: lookups by mobile, email and card number.

use std::sync::Arc;

use fidelis_domain::credentials::basic_header;
use fidelis_store::Db;
use rand::Rng;

use super::{card, email, load, load_customers, mobile, start_server};

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

pub async fn customers(db: Db, opts: CustomersBench) -> anyhow::Result<()> {
    load_customers(&db, opts.customers).await?;
    let (addr, server) = start_server(&db).await?;
    println!("| backend | identifier | customers | clients | lookups | lookups/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let kinds: [(&str, IdentifierOf); 3] =
        [("mobile", mobile), ("email", email), ("cardnumber", card)];
    let auth = basic_header("demo.till", "demo123");
    for (name, value) in kinds {
        let (auth, n) = (auth.clone(), opts.customers);
        let make: load::MakeRequest = Arc::new(move |http, _, _| {
            let i = rand::thread_rng().gen_range(0..n);
            http.get(format!(
                "http://{addr}/v2/customers/lookup?source=INSTORE&identifierName={name}&identifierValue={}",
                value(i)
            ))
            .header("Authorization", &auth)
        });
        let r = load::run(opts.clients, opts.seconds, make).await?;
        println!(
            "| {:?} | {name} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            db.backend(),
            opts.customers,
            opts.clients,
            r.hist.len(),
            r.per_second(),
            r.p50_ms(),
            r.p99_ms(),
            r.errors,
        );
        if let Some(e) = r.first_error {
            eprintln!("first error: {e}");
        }
    }
    server.abort();
    Ok(())
}
