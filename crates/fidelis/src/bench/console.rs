//! `fidelis bench console`: staff agents, each signed in with their own session, search a
//! random customer by card number and open the customer page the search leads to.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fidelis_store::Db;
use hdrhistogram::Histogram;
use rand::Rng;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::load::{ClientFigures, Run};
use super::{card, load_customers, start_server};

/// The demo org's agent (examples/demo-org.toml).
const AGENT_EMAIL: &str = "agent@demo-retail.example";
const AGENT_PASSWORD: &str = "demo-agent-pw";

#[derive(Debug, Clone, clap::Args)]
pub struct ConsoleBench {
    /// Customers in the org (loaded once; later runs reuse them).
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: u64,
    /// Concurrent console agents, each with its own session.
    #[arg(long, default_value_t = 8)]
    pub agents: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    pub duration_secs: u64,
}

pub async fn console(db: Db, opts: ConsoleBench) -> anyhow::Result<()> {
    if opts.agents == 0 {
        bail!("--agents must be at least 1");
    }
    load_customers(&db, opts.customers).await?;
    let (addr, server) = start_server(&db).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(opts.agents)
        .build()?;
    let mut agents = Vec::with_capacity(opts.agents);
    for _ in 0..opts.agents {
        agents.push(Agent::sign_in(&http, addr).await?);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(opts.duration_secs);
    let mut tasks = Vec::new();
    for agent in agents {
        let n = opts.customers;
        tasks.push(tokio::spawn(async move { agent.work(n, deadline).await }));
    }
    let (mut search, mut page) = (empty_run()?, empty_run()?);
    for t in tasks {
        let (s, p) = t.await??;
        add(&mut search, s)?;
        add(&mut page, p)?;
    }
    search.elapsed = started.elapsed();
    page.elapsed = search.elapsed;
    server.abort();
    println!("| backend | page | customers | agents | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, r) in [("search by card", &search), ("customer page", &page)] {
        println!(
            "| {:?} | {name} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            db.backend(),
            opts.customers,
            opts.agents,
            r.hist.len(),
            r.per_second(),
            r.p50_ms(),
            r.p95_ms(),
            r.p99_ms(),
            r.errors,
        );
        if let Some(e) = &r.first_error {
            eprintln!("{name}: first error: {e}");
        }
    }
    Ok(())
}

fn empty_run() -> anyhow::Result<Run> {
    Ok(Run {
        hist: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
    })
}

fn add(run: &mut Run, (hist, errors, first): ClientFigures) -> anyhow::Result<()> {
    run.hist.add(hist)?;
    run.errors += errors;
    if run.first_error.is_none() {
        run.first_error = first;
    }
    Ok(())
}

/// One signed-in agent: a session cookie of its own over a shared connection pool.
struct Agent {
    http: reqwest::Client,
    addr: SocketAddr,
    cookies: Cookies,
}

/// An answer as the bench reads it.
struct Answer {
    status: reqwest::StatusCode,
    location: Option<String>,
    body: String,
}

impl Agent {
    /// Signs in through the login form, as a browser without script does.
    async fn sign_in(http: &reqwest::Client, addr: SocketAddr) -> anyhow::Result<Self> {
        let mut agent = Self {
            http: http.clone(),
            addr,
            cookies: Cookies::default(),
        };
        let form = agent.get("/console/login").await?;
        if !form.status.is_success() {
            bail!("login form: {}", form.status);
        }
        let csrf = hidden(&form.body, "csrf").context("no csrf field on the login form")?;
        let req = agent
            .http
            .post(format!("http://{addr}/console/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", AGENT_EMAIL),
                ("password", AGENT_PASSWORD),
            ]);
        let signed = agent.send(req).await?;
        if !signed.status.is_redirection() || !agent.cookies.has("fidelis_console") {
            bail!(
                "{AGENT_EMAIL} could not sign in ({}): {}",
                signed.status,
                signed.body
            );
        }
        Ok(agent)
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        let req = self.http.get(format!("http://{}{path}", self.addr));
        self.send(req).await
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> anyhow::Result<Answer> {
        let req = match self.cookies.header() {
            Some(h) => req.header(COOKIE, h),
            None => req,
        };
        let res = req.send().await?;
        for c in res.headers().get_all(SET_COOKIE) {
            self.cookies.set(c.to_str()?);
        }
        let location = match res.headers().get(LOCATION) {
            Some(l) => Some(l.to_str()?.to_string()),
            None => None,
        };
        Ok(Answer {
            status: res.status(),
            location,
            body: res.text().await?,
        })
    }

    /// Until the deadline: search a random customer's card, open the page it leads to.
    async fn work(
        mut self,
        customers: u64,
        deadline: Instant,
    ) -> anyhow::Result<(ClientFigures, ClientFigures)> {
        let mut search: ClientFigures = (Histogram::new_with_bounds(1, 60_000_000, 3)?, 0, None);
        let mut page: ClientFigures = (Histogram::new_with_bounds(1, 60_000_000, 3)?, 0, None);
        while Instant::now() < deadline {
            let i = rand::thread_rng().gen_range(0..customers);
            let t = Instant::now();
            let found = self.get(&format!("/console/search?q={}", card(i))).await;
            let elapsed = t.elapsed();
            // One hit answers with the customer's page address.
            let location = match found {
                Ok(a) if a.status.is_redirection() => match a.location {
                    Some(l) if l.starts_with("/console/customers/") => l,
                    _ => {
                        fail(&mut search, format!("{}: no customer location", a.status));
                        continue;
                    }
                },
                Ok(a) => {
                    fail(&mut search, format!("{}: {}", a.status, a.body));
                    continue;
                }
                Err(e) => {
                    fail(&mut search, e.to_string());
                    continue;
                }
            };
            search.0.record(elapsed.as_micros().max(1) as u64)?;
            let t = Instant::now();
            match self.get(&location).await {
                Ok(a) if a.status.is_success() => {
                    page.0.record(t.elapsed().as_micros().max(1) as u64)?;
                }
                Ok(a) => fail(&mut page, format!("{}: {}", a.status, a.body)),
                Err(e) => fail(&mut page, e.to_string()),
            }
        }
        Ok((search, page))
    }
}

fn fail(figures: &mut ClientFigures, why: String) {
    figures.1 += 1;
    figures.2.get_or_insert(why);
}

/// The cookies a server set, as a browser keeps them (name to value; an empty value or
/// `Max-Age=0` removes one).
#[derive(Debug, Default)]
struct Cookies(BTreeMap<String, String>);

impl Cookies {
    fn set(&mut self, set_cookie: &str) {
        let (pair, attributes) = set_cookie.split_once(';').unwrap_or((set_cookie, ""));
        let Some((name, value)) = pair.split_once('=') else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let expired = attributes
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("Max-Age=0"));
        if value.is_empty() || expired {
            self.0.remove(name);
        } else {
            self.0.insert(name.to_string(), value.to_string());
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The `Cookie` header to send, if any cookie is kept.
    fn header(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Some(pairs.join("; "))
    }
}

/// The value of the hidden field `name` in a page's form.
fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    body[start..].split('"').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_kept_replaced_and_removed() {
        let mut c = Cookies::default();
        assert_eq!(c.header(), None);
        c.set("fidelis_csrf=abc; Path=/console; HttpOnly");
        c.set("fidelis_console=s1; Secure; SameSite=Strict");
        assert_eq!(
            c.header().as_deref(),
            Some("fidelis_console=s1; fidelis_csrf=abc")
        );
        c.set("fidelis_console=s2; Path=/console");
        c.set("fidelis_csrf=gone; Max-Age=0");
        assert!(!c.has("fidelis_csrf"));
        assert_eq!(c.header().as_deref(), Some("fidelis_console=s2"));
        c.set("fidelis_console=; Path=/console");
        assert_eq!(c.header(), None);
    }

    #[test]
    fn hidden_fields_are_read_from_the_form() {
        let body = r#"<form><input type="hidden" name="csrf" value="t0k"><input name="email" value=""></form>"#;
        assert_eq!(hidden(body, "csrf").as_deref(), Some("t0k"));
        assert_eq!(hidden(body, "email").as_deref(), Some(""));
        assert_eq!(hidden(body, "next"), None);
    }
}
