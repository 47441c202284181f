//! `fidelis bench oauth`: token introspection, wrapper-API calls and refresh-token
//! rotations by C concurrent partner-app clients, each acting for its own customer with a
//! token pair issued up front (the OTP sign-in page is not what is measured).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fidelis_app::{App, SystemClock};
use fidelis_domain::customers::{IdentifierType, Source};
use fidelis_store::Db;
use hdrhistogram::Histogram;
use serde_json::Value;

use super::{load, load_customers, mobile, start_server};

const CLIENT: (&str, &str) = ("demo-partner", "demo-partner-secret");

#[derive(Debug, Clone, clap::Args)]
pub struct OauthBench {
    /// Concurrent HTTP clients, each with its own customer and tokens.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds of load per measured call.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

pub async fn oauth(db: Db, opts: OauthBench) -> anyhow::Result<()> {
    let org_id = load_customers(&db, opts.clients as u64).await?;
    let app = App::new(db.clone(), Arc::new(SystemClock));
    let org = db.orgs().get(org_id).await?.context("the demo org")?;
    let mut tokens = Vec::new();
    for i in 0..opts.clients as u64 {
        let customer = db
            .customers()
            .lookup(
                org.id,
                Some(Source::Instore),
                None,
                IdentifierType::Mobile,
                &mobile(i),
            )
            .await?;
        let set = app
            .identity()
            .issue_for_bench(&org, CLIENT.0, customer.get(), "profile points coupons")
            .await?;
        tokens.push(set);
    }
    let (addr, server) = start_server(&db).await?;
    let issuer = format!("http://{addr}/o/demo");
    let access: Arc<Vec<String>> =
        Arc::new(tokens.iter().map(|t| t.access_token.clone()).collect());

    println!("| backend | call | clients | seconds | calls | calls/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let row = |call: &str, r: &load::Run| {
        println!(
            "| {:?} | {call} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            db.backend(),
            opts.clients,
            opts.seconds,
            r.hist.len(),
            r.per_second(),
            r.p50_ms(),
            r.p99_ms(),
            r.errors,
        );
        if let Some(e) = &r.first_error {
            eprintln!("first error ({call}): {e}");
        }
    };

    let (url, list) = (format!("{issuer}/oauth2/introspect"), access.clone());
    let introspect: load::MakeRequest = Arc::new(move |http, client, _| {
        http.post(&url)
            .basic_auth(CLIENT.0, Some(CLIENT.1))
            .form(&[("token", list[client].as_str())])
    });
    row(
        "introspect",
        &load::run(opts.clients, opts.seconds, introspect).await?,
    );

    let (url, list) = (format!("http://{addr}/mobile/v2/me/points"), access.clone());
    let points: load::MakeRequest =
        Arc::new(move |http, client, _| http.get(&url).bearer_auth(&list[client]));
    row(
        "GET /mobile/v2/me/points",
        &load::run(opts.clients, opts.seconds, points).await?,
    );

    let refreshes: Vec<String> = tokens.into_iter().map(|t| t.refresh_token).collect();
    let r = rotations(&format!("{issuer}/oauth2/token"), refreshes, opts.seconds).await?;
    row("refresh rotation", &r);
    server.abort();
    Ok(())
}

/// Each client rotates its own refresh token in a chain: every answer's refresh token is
/// the next request's (a rotation cannot be replayed).
async fn rotations(url: &str, refreshes: Vec<String>, seconds: u64) -> anyhow::Result<load::Run> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(refreshes.len())
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for mut refresh in refreshes {
        let (http, url) = (http.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let (mut errors, mut first_error) = (0u64, None);
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = http
                    .post(&url)
                    .basic_auth(CLIENT.0, Some(CLIENT.1))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
                    .send()
                    .await;
                let next = match res {
                    Ok(r) => {
                        let status = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        match body["refresh_token"].as_str() {
                            Some(n) if status.is_success() => Ok(n.to_string()),
                            _ => Err(format!("{status}: {body}")),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                match next {
                    Ok(n) => {
                        hist.record(t.elapsed().as_micros().max(1) as u64)?;
                        refresh = n;
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                        // A broken chain cannot go on.
                        break;
                    }
                }
            }
            anyhow::Ok((hist, errors, first_error))
        }));
    }
    load::collect(tasks, started).await
}
