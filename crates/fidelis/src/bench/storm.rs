//! `fidelis bench storm`: hostile traffic that needs no valid credentials, against a real
//! `fidelis serve --demo` child process, one fresh process per scenario so its peak RSS
//! (VmHWM) belongs to that scenario alone.
//!
//! Throughout each scenario three probes run from their own addresses, each request on a
//! new connection: `/health` every 50 ms on the ops listener (where orchestrators probe)
//! and on the API listener, and the real demo till reading its org every 100 ms from
//! 127.0.0.7. A scenario passes when peak RSS stays within the budget, every health probe
//! answers 200 — on the ops listener within 100 ms; the API listener's latencies, which
//! include the kernel's accept queue shared with the attack, are reported — and every
//! request of the real till succeeds.

use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fidelis_domain::credentials::basic_header;
use futures::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpSocket;

#[derive(clap::Args, Debug, Clone)]
pub struct StormBench {
    /// Peak RSS budget for the server, MB.
    #[arg(long, default_value_t = 150)]
    pub rss_budget_mb: u64,
    /// Health answers must come within this many milliseconds.
    #[arg(long, default_value_t = 100)]
    pub health_budget_ms: u64,
    /// Idle connections opened in the idle-connection scenario.
    #[arg(long, default_value_t = 20_000)]
    pub idle_connections: usize,
    /// Requests with invented methods.
    #[arg(long, default_value_t = 50_000)]
    pub invented_methods: usize,
    /// Only the scenarios whose names contain this.
    #[arg(long)]
    pub only: Option<String>,
    /// Internal: open the idle connections to this address, hold them, and exit (the
    /// idle-connection scenario runs in a child process, so that its descriptors do not
    /// starve the probes of this one).
    #[arg(long, hide = true)]
    pub hold_idle_to: Option<SocketAddr>,
}

const DEMO_TILL: (&str, &str) = ("demo.till", "demo123");
const REAL_TILL_ADDRESS: [u8; 4] = [127, 0, 0, 7];

/// One `fidelis serve --demo` process on free loopback ports, over its own SQLite file.
struct Server {
    child: Child,
    base: String,
    metrics: String,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    async fn start(name: &str) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("fidelis-storm-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let dir = TempDir(dir);
        let (api, metrics) = (free_port()?, free_port()?);
        let child = Command::new(std::env::current_exe()?)
            .arg("--database")
            .arg(format!("sqlite://{}", dir.0.join("storm.db").display()))
            .args(["serve", "--demo", "--listen"])
            .arg(format!("127.0.0.1:{api}"))
            .arg("--metrics-listen")
            .arg(format!("127.0.0.1:{metrics}"))
            .env("RUST_LOG", "error")
            .current_dir(&dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start fidelis serve")?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{api}"),
            metrics: format!("http://127.0.0.1:{metrics}"),
            _dir: dir,
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(res) = http.get(format!("{}/health", server.base)).send().await {
                if res.status().is_success() {
                    return Ok(server);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("fidelis serve did not become healthy")
    }

    fn status_kb(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in /proc status"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the probes saw during a scenario.
struct Probes {
    /// `/health` on the ops (metrics) listener, which orchestrators probe.
    health: Histogram<u64>,
    health_failures: u64,
    /// `/health` on the API listener, behind whatever the attack queued there.
    api_health: Histogram<u64>,
    api_health_failures: u64,
    till: Histogram<u64>,
    till_failures: u64,
    first_till_failure: Option<String>,
}

fn fresh_client(from: Option<IpAddr>) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .local_address(from)
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// GETs `url` every 50 ms, each on a new connection from `from`, until `stop`: the
/// latencies of the 200 answers and how many were not.
fn probe_health(
    url: String,
    from: IpAddr,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<anyhow::Result<(Histogram<u64>, u64)>> {
    tokio::spawn(async move {
        let http = fresh_client(Some(from))?;
        let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        let mut failures = 0;
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    hist.record(t.elapsed().as_micros().max(1) as u64)?;
                }
                _ => failures += 1,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::Ok((hist, failures))
    })
}

async fn probe(server: &Server, stop: Arc<AtomicBool>) -> anyhow::Result<Probes> {
    let till_http = fresh_client(Some(IpAddr::from(REAL_TILL_ADDRESS)))?;
    let auth = basic_header(DEMO_TILL.0, DEMO_TILL.1);
    let health = probe_health(
        format!("{}/health", server.metrics),
        IpAddr::from([127, 0, 0, 5]),
        stop.clone(),
    );
    let api_health = probe_health(
        format!("{}/health", server.base),
        IpAddr::from([127, 0, 0, 6]),
        stop.clone(),
    );
    let base = server.base.clone();
    let till = tokio::spawn(async move {
        let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
        let (mut failures, mut first) = (0, None);
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let res = till_http
                .get(format!("{base}/v1.1/organization/get.json"))
                .header("Authorization", &auth)
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    hist.record(t.elapsed().as_micros().max(1) as u64)?;
                }
                Ok(r) => {
                    failures += 1;
                    first.get_or_insert_with(|| r.status().to_string());
                }
                Err(e) => {
                    failures += 1;
                    first.get_or_insert_with(|| e.to_string());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::Ok((hist, failures, first))
    });
    let (health, health_failures) = health.await??;
    let (api_health, api_health_failures) = api_health.await??;
    let (till, till_failures, first_till_failure) = till.await??;
    Ok(Probes {
        health,
        health_failures,
        api_health,
        api_health_failures,
        till,
        till_failures,
        first_till_failure,
    })
}

/// One scenario's outcome.
struct Outcome {
    name: &'static str,
    load: String,
    elapsed: Duration,
    baseline_mb: f64,
    peak_mb: f64,
    probes: Probes,
    note: String,
}

type Attack =
    fn(
        Arc<Server>,
        &StormBench,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>>;

async fn scenario(
    name: &'static str,
    load: String,
    opts: &StormBench,
    attack: Attack,
) -> anyhow::Result<Outcome> {
    let server = Arc::new(Server::start(name).await?);
    // The real till signs in before the storm, as a till in use would have.
    let warm = fresh_client(Some(IpAddr::from(REAL_TILL_ADDRESS)))?
        .get(format!("{}/v1.1/organization/get.json", server.base))
        .header("Authorization", basic_header(DEMO_TILL.0, DEMO_TILL.1))
        .send()
        .await?;
    if !warm.status().is_success() {
        bail!(
            "the real till cannot sign in before the storm: {}",
            warm.status()
        );
    }
    let baseline_mb = server.status_kb("VmRSS:")? as f64 / 1024.0;
    let stop = Arc::new(AtomicBool::new(false));
    let probes = {
        let (server, stop) = (server.clone(), stop.clone());
        tokio::spawn(async move { probe(&server, stop).await })
    };
    let started = Instant::now();
    let note = attack(server.clone(), opts).await;
    let elapsed = started.elapsed();
    // Keep probing a little after the attack: the aftermath counts too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let probes = probes.await??;
    let peak_mb = server.status_kb("VmHWM:")? as f64 / 1024.0;
    Ok(Outcome {
        name,
        load,
        elapsed,
        baseline_mb,
        peak_mb,
        probes,
        note: note?,
    })
}

/// Sends `total` requests, `concurrent` at a time, built by `make`; counts answers by class.
async fn flood<F>(total: usize, concurrent: usize, make: F) -> String
where
    F: Fn(usize) -> reqwest::RequestBuilder,
{
    let answers: Vec<Option<u16>> = stream::iter((0..total).map(make))
        .map(|req| async move { req.send().await.ok().map(|r| r.status().as_u16()) })
        .buffer_unordered(concurrent)
        .collect()
        .await;
    let mut counts = std::collections::BTreeMap::new();
    for a in answers {
        let key = a.map_or_else(|| "error".to_string(), |s| s.to_string());
        *counts.entry(key).or_insert(0u64) += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{v}×{k}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A client whose connections leave from 127.0.(1..=16).x in turn: a guesser spread over
/// addresses, so that the per-address refusal does not end the attack early.
fn attackers() -> anyhow::Result<Vec<reqwest::Client>> {
    (1..=16u8)
        .map(|i| {
            Ok(reqwest::Client::builder()
                .local_address(IpAddr::from([127, 0, 1, i]))
                .timeout(Duration::from_secs(60))
                .build()?)
        })
        .collect()
}

fn wrong_passwords(
    server: Arc<Server>,
    _: &StormBench,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>> {
    Box::pin(async move {
        let clients = attackers()?;
        let url = format!("{}/v1.1/organization/get.json", server.base);
        Ok(flood(128, 64, |i| {
            clients[i % clients.len()].get(&url).header(
                "Authorization",
                basic_header(DEMO_TILL.0, &format!("guess-{i}")),
            )
        })
        .await)
    })
}

fn cold_sign_ins(
    server: Arc<Server>,
    _: &StormBench,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>> {
    Box::pin(async move {
        // The second demo till has not signed in yet: its credential cache is cold.
        let clients = attackers()?;
        let url = format!("{}/v1.1/organization/get.json", server.base);
        Ok(flood(64, 64, |i| {
            clients[i % clients.len()]
                .get(&url)
                .header("Authorization", basic_header("demo.till2", "demo456"))
        })
        .await)
    })
}

fn huge_token_keys(
    server: Arc<Server>,
    _: &StormBench,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>> {
    Box::pin(async move {
        let clients = attackers()?;
        let url = format!("{}/v3/oauth/token/generate", server.base);
        let filler = "k".repeat(1_900_000);
        Ok(flood(400, 16, |i| {
            let body = format!(r#"{{"key":"{i:08}{filler}","secret":"guess"}}"#);
            clients[i % clients.len()]
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body)
        })
        .await)
    })
}

fn idle_connections(
    server: Arc<Server>,
    opts: &StormBench,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>> {
    let want = opts.idle_connections;
    Box::pin(async move {
        let child = tokio::process::Command::new(std::env::current_exe()?)
            .args(["bench", "storm", "--idle-connections"])
            .arg(want.to_string())
            .arg("--hold-idle-to")
            .arg(server.base.trim_start_matches("http://"))
            .stderr(Stdio::inherit())
            .output()
            .await
            .context("cannot start the idle-connection holder")?;
        Ok(String::from_utf8_lossy(&child.stdout).trim().to_string())
    })
}

/// Opens `want` connections to `addr` that send nothing, holds them 5 s, then closes them.
async fn hold_idle(addr: SocketAddr, want: usize) -> anyhow::Result<()> {
    // Spread over source addresses so the client's ephemeral ports never run out.
    let opened: Vec<_> = stream::iter(0..want)
        .map(|i| async move {
            let socket = TcpSocket::new_v4().ok()?;
            let from = IpAddr::from([127, 0, 2, (i % 200) as u8 + 1]);
            socket.bind(SocketAddr::new(from, 0)).ok()?;
            socket.connect(addr).await.ok()
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let connected = opened.iter().filter(|c| c.is_some()).count();
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(opened);
    println!("{connected} connected and held 5 s");
    Ok(())
}

fn invented_methods(
    server: Arc<Server>,
    opts: &StormBench,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<String>> + Send>> {
    let total = opts.invented_methods;
    Box::pin(async move {
        let clients = attackers()?;
        let url = format!("{}/v1.1/organization/get.json", server.base);
        let counts = flood(total, 64, |i| {
            let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes())
                .unwrap_or(reqwest::Method::PATCH);
            clients[i % clients.len()].request(method, &url)
        })
        .await;
        let metrics = reqwest::get(format!("{}/metrics", server.metrics))
            .await?
            .bytes()
            .await?;
        Ok(format!(
            "{counts}; /metrics is {} KB after",
            metrics.len() / 1024
        ))
    })
}

/// Wrong-password sign-ins for the two real demo tills and for invented codes, in turn,
/// each name fewer times than the slow-down starts: median milliseconds of each kind.
async fn enumeration_timing() -> anyhow::Result<(f64, f64)> {
    let server = Server::start("timing").await?;
    let url = format!("{}/v1.1/organization/get.json", server.base);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..4u8 {
        let client = fresh_client(Some(IpAddr::from([127, 0, 3, round + 1])))?;
        for (code, real) in [
            ("demo.till", true),
            ("no.such.till", false),
            ("demo.till2", true),
            ("nobody.here", false),
        ] {
            let t = Instant::now();
            let res = client
                .get(&url)
                .header("Authorization", basic_header(code, "wrong-password"))
                .send()
                .await?;
            if res.status() != reqwest::StatusCode::UNAUTHORIZED {
                bail!("{code}: expected 401, got {}", res.status());
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if real {
                known.push(ms)
            } else {
                unknown.push(ms)
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok((median(&mut known), median(&mut unknown)))
}

pub async fn storm(opts: StormBench) -> anyhow::Result<()> {
    // The idle-connection holder keeps one descriptor per connection.
    raise_descriptor_limit(opts.idle_connections as u64 + 4096);
    if let Some(addr) = opts.hold_idle_to {
        return hold_idle(addr, opts.idle_connections).await;
    }
    if opts.only.is_none() {
        let (known, unknown) = enumeration_timing().await?;
        println!(
            "wrong password, median of 8: known till {known:.1} ms, unknown till {unknown:.1} ms (ratio {:.2})\n",
            unknown / known
        );
    }
    let scenarios: [(&'static str, String, Attack); 5] = [
        (
            "wrong-passwords",
            "128 wrong passwords for demo.till, 64 at a time, from 16 addresses".into(),
            wrong_passwords,
        ),
        (
            "cold-sign-ins",
            "64 concurrent valid sign-ins of demo.till2 on a cold credential cache".into(),
            cold_sign_ins,
        ),
        (
            "token-keys",
            "400 token requests with unique 1.9 MB keys, 16 at a time".into(),
            huge_token_keys,
        ),
        (
            "idle-connections",
            format!("{} idle connections", opts.idle_connections),
            idle_connections,
        ),
        (
            "invented-methods",
            format!(
                "{} requests with invented methods, 64 at a time",
                opts.invented_methods
            ),
            invented_methods,
        ),
    ];
    println!(
        "| scenario | load | took | RSS before → peak | /health p50 / max (ops listener) | /health p50 / max (API listener) | real till ok / max | answers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut failed = Vec::new();
    for (name, load, attack) in scenarios {
        if opts.only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let o = scenario(name, load, &opts, attack).await?;
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {} | {} | {:.1} s | {:.0} → {:.0} MB | {:.1} / {:.1} ms ({} failed) | {:.1} / {:.1} ms ({} failed) | {} of {} / {:.0} ms | {} |",
            o.name,
            o.load,
            o.elapsed.as_secs_f64(),
            o.baseline_mb,
            o.peak_mb,
            ms(&o.probes.health, 0.5),
            o.probes.health.max() as f64 / 1000.0,
            o.probes.health_failures,
            ms(&o.probes.api_health, 0.5),
            o.probes.api_health.max() as f64 / 1000.0,
            o.probes.api_health_failures,
            o.probes.till.len(),
            o.probes.till.len() + o.probes.till_failures,
            o.probes.till.max() as f64 / 1000.0,
            o.note,
        );
        let health_max_ms = o.probes.health.max() / 1000;
        if o.peak_mb > opts.rss_budget_mb as f64
            || o.probes.health_failures > 0
            || o.probes.api_health_failures > 0
            || health_max_ms > opts.health_budget_ms
            || o.probes.till_failures > 0
        {
            failed.push(format!(
                "{name}: peak {:.0} MB, health max {health_max_ms} ms ({} + {} failed), real till {} failed{}",
                o.peak_mb,
                o.probes.health_failures,
                o.probes.api_health_failures,
                o.probes.till_failures,
                o.probes
                    .first_till_failure
                    .as_deref()
                    .map(|f| format!(" (first: {f})"))
                    .unwrap_or_default(),
            ));
        }
    }
    if !failed.is_empty() {
        bail!("over budget: {}", failed.join("; "));
    }
    println!(
        "\nall scenarios within {} MB peak RSS and {} ms ops-listener health answers; the real till never failed",
        opts.rss_budget_mb, opts.health_budget_ms
    );
    Ok(())
}

fn raise_descriptor_limit(want: u64) {
    if let Err(e) = rlimit::increase_nofile_limit(want).and_then(|got| {
        if got < want {
            // The hard limit is lower; root may raise it.
            rlimit::setrlimit(rlimit::Resource::NOFILE, want, want)?;
        }
        Ok(())
    }) {
        eprintln!("cannot raise the open-file limit to {want}: {e}");
    }
}
