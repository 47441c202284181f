//! The load loop shared by the benchmarks: C concurrent clients send requests for a fixed
//! time; latencies (request sent to body read) go into one histogram.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub struct Run {
    pub hist: Histogram<u64>,
    pub errors: u64,
    /// The first failure's status and body, to say why.
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.hist.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.hist.value_at_quantile(0.5) as f64 / 1000.0
    }

    pub fn p95_ms(&self) -> f64 {
        self.hist.value_at_quantile(0.95) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.hist.value_at_quantile(0.99) as f64 / 1000.0
    }
}

/// Builds request number `seq` of client `client`.
pub type MakeRequest =
    Arc<dyn Fn(&reqwest::Client, usize, u64) -> reqwest::RequestBuilder + Send + Sync>;

pub async fn run(clients: usize, seconds: u64, make: MakeRequest) -> anyhow::Result<Run> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, make) = (http.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let (mut errors, mut first_error) = (0u64, None);
            let mut seq = 0u64;
            while Instant::now() < deadline {
                let req = make(&http, client, seq);
                seq += 1;
                let t = Instant::now();
                match req.send().await {
                    Ok(res) => {
                        let status = res.status();
                        let body = res.bytes().await.unwrap_or_default();
                        if status.is_success() {
                            hist.record(t.elapsed().as_micros().max(1) as u64)?;
                            continue;
                        }
                        first_error.get_or_insert_with(|| {
                            format!("{status}: {}", String::from_utf8_lossy(&body))
                        });
                    }
                    Err(e) => {
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
                errors += 1;
            }
            anyhow::Ok((hist, errors, first_error))
        }));
    }
    collect(tasks, started).await
}

/// One client's figures: its latencies, failures, and the first failure's text.
pub type ClientFigures = (Histogram<u64>, u64, Option<String>);

/// Waits for the clients and adds their figures up.
pub async fn collect(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<ClientFigures>>>,
    started: Instant,
) -> anyhow::Result<Run> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut errors, mut first_error) = (0, None);
    for t in tasks {
        let (h, e, f) = t.await??;
        hist.add(h)?;
        errors += e;
        first_error = first_error.or(f);
    }
    Ok(Run {
        hist,
        errors,
        first_error,
        elapsed: started.elapsed(),
    })
}
