//! The `fidelis` binary: serve the API, migrate, apply org files, load the demo org.

mod bench;
mod connect;
mod dataflows;
mod settings;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use fidelis_app::{App, SystemClock};
use fidelis_domain::org::OrgFile;
use fidelis_server::{AppState, Listeners, ServeOptions};
use fidelis_store::Db;

use settings::{Overrides, Settings};

// mimalloc returns memory to the OS after a burst; glibc's allocator keeps freed blocks in
// per-thread arenas, so hostile bursts (large bodies, many connections) left the server's
// RSS at its peak.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The demo organisation, shipped in the binary (examples/demo-org.toml).
const DEMO_ORG: &str = include_str!("../../../examples/demo-org.toml");

#[derive(Parser)]
#[command(
    name = "fidelis",
    version,
    about = "Loyalty and customer data platform"
)]
struct Cli {
    /// Settings file (TOML); FIDELIS_CONFIG.
    #[arg(long, global = true, env = "FIDELIS_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE (default sqlite://fidelis.db) or postgres://…
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and metrics on their own listener) until SIGTERM.
    Serve {
        /// API listen address (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Metrics listen address (default 127.0.0.1:9090).
        #[arg(long)]
        metrics_listen: Option<String>,
        /// Load the demo organisation before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Create or update an org from a declarative TOML file.
    Apply { file: PathBuf },
    /// Load the bundled demo organisation (idempotent).
    Demo,
    /// Measure the server under load on this machine.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Connect+ dataflows: check a dataflow file, run files through it, list run reports.
    #[command(subcommand)]
    Connect(connect::ConnectCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Customer lookups by mobile, email and card number over HTTP.
    Customers(bench::CustomersBench),
    /// v2 transactions from concurrent clients, compared with pgbench.
    Transactions(bench::TransactionsBench),
    /// Partner OAuth: introspection, wrapper-API calls and refresh rotations.
    Oauth(bench::OauthBench),
    /// A generated transaction CSV imported with the `transaction-v2-add` dataflow, and the
    /// same file loaded with PostgreSQL `COPY` as the floor.
    Import(bench::ImportBench),
    /// Hostile traffic without credentials against a `serve --demo` child process: peak
    /// RSS, health latency and a real till's requests per scenario.
    Storm(bench::StormBench),
    /// Console agents searching customers by card number and opening their pages.
    Console(bench::ConsoleBench),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        database_url: cli.database.clone(),
        listen: match &cli.command {
            Command::Serve { listen, .. } => listen.clone(),
            _ => None,
        },
        metrics_listen: match &cli.command {
            Command::Serve { metrics_listen, .. } => metrics_listen.clone(),
            _ => None,
        },
    };
    let settings = match Settings::load(cli.config.as_deref(), overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fidelis: {e:#}");
            return ExitCode::from(2);
        }
    };
    settings::init_tracing(&settings);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fidelis: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fidelis: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            open(&settings).await?;
            println!("migrations applied");
        }
        Command::Apply { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = parse_org_file(&file, &text)?;
            let db = open(&settings).await?;
            apply(&db, &parsed).await?;
        }
        Command::Demo => {
            demo_db(&settings).await?;
        }
        Command::Connect(connect::ConnectCommand::Check { flow }) => {
            let f = connect::check(&flow).await?;
            println!(
                "{}: dataflow `{}` ({}) is valid",
                flow.display(),
                f.dataflow.name,
                f.dataflow.template.name()
            );
        }
        Command::Connect(command) => {
            connect::run(open(&settings).await?, command).await?;
        }
        Command::Bench(BenchCommand::Customers(opts)) => {
            bench::customers(demo_db(&settings).await?, opts).await?;
        }
        Command::Bench(BenchCommand::Storm(opts)) => bench::storm(opts).await?,
        Command::Bench(BenchCommand::Console(opts)) => {
            bench::console(demo_db(&settings).await?, opts).await?;
        }
        Command::Bench(BenchCommand::Oauth(opts)) => {
            bench::oauth(demo_db(&settings).await?, opts).await?;
        }
        Command::Bench(BenchCommand::Import(opts)) => {
            bench::import(demo_db(&settings).await?, opts).await?;
        }
        Command::Bench(BenchCommand::Transactions(opts)) => {
            bench::transactions(demo_db(&settings).await?, opts).await?;
        }
        Command::Serve { demo, .. } => {
            let db = open(&settings).await?;
            if demo {
                apply(
                    &db,
                    &parse_org_file(Path::new("examples/demo-org.toml"), DEMO_ORG)?,
                )
                .await?;
            }
            let delivery = settings.delivery(demo)?;
            let mut app = App::new(db, Arc::new(SystemClock)).with_delivery(delivery);
            if let Some(google) = settings.google_sign_in()? {
                app = app.with_google(google);
            }
            let (connect, schedule) = dataflows::load(&settings, &app)?;
            let state = AppState::new(app).with_connect(connect);
            let listeners = Listeners::bind(settings.listen, settings.metrics_listen)
                .await
                .with_context(|| {
                    format!(
                        "cannot listen on {} (API) and {} (metrics)",
                        settings.listen, settings.metrics_listen
                    )
                })?;
            fidelis_server::serve(
                state,
                listeners,
                ServeOptions {
                    limits: settings.edge_limits(),
                    dataflows: schedule,
                    ..ServeOptions::default()
                },
                fidelis_server::shutdown_signal(),
            )
            .await?;
        }
    }
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url)
        .await
        .with_context(|| format!("cannot open database {}", settings.redacted_database_url()))?;
    db.migrate().await.context("migrations failed")?;
    Ok(db)
}

/// The database with the demo org applied (idempotent).
async fn demo_db(settings: &Settings) -> anyhow::Result<Db> {
    let db = open(settings).await?;
    apply(
        &db,
        &parse_org_file(Path::new("examples/demo-org.toml"), DEMO_ORG)?,
    )
    .await?;
    Ok(db)
}

fn parse_org_file(path: &Path, text: &str) -> anyhow::Result<OrgFile> {
    OrgFile::parse(&path.display().to_string(), text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "{} has {} error(s); nothing was changed:\n{}",
            path.display(),
            errors.len(),
            lines.join("\n")
        )
    })
}

async fn apply(db: &Db, file: &OrgFile) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now();
    let s = db
        .orgs()
        .apply(file, now)
        .await
        .with_context(|| format!("cannot apply org {}; nothing was changed", file.org.code))?;
    println!(
        "org {} (id {}): {} created, {} updated, {} unchanged, {} deactivated",
        file.org.code, s.org_id, s.created, s.updated, s.unchanged, s.deactivated
    );
    Ok(())
}
