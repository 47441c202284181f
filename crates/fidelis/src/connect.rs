//! `fidelis connect …`: check a dataflow file, run files through it on the database
//! directly (a `serve` may be running on the same database), list run reports.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use fidelis_app::{App, SystemClock};
use fidelis_connect::{run_file, Flow, Progress, RunOptions, RunReport};
use fidelis_store::connect::RunRecord;
use fidelis_store::Db;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

#[derive(Subcommand)]
pub enum ConnectCommand {
    /// Check a dataflow file; exits non-zero listing every problem (unmapped mandatory
    /// fields among them).
    Check { flow: PathBuf },
    /// Run files through a dataflow now.
    Run {
        flow: PathBuf,
        /// The files to load.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Apply every row and roll everything back: counts, error file and report only.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON summary {"input","succeeded","failed","filtered","error_file","report_id"}.
        #[arg(long)]
        json: bool,
        /// The org's code (default: the database's only org).
        #[arg(long)]
        org: Option<String>,
    },
    /// List run reports, newest first.
    Runs {
        #[arg(long)]
        json: bool,
        /// The org's code (default: the database's only org).
        #[arg(long)]
        org: Option<String>,
        /// How many (at most 100).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

pub async fn check(flow: &std::path::Path) -> anyhow::Result<Flow> {
    match Flow::load(flow) {
        Ok(f) => Ok(f),
        Err(problems) => bail!(
            "{} is not a valid dataflow ({} problem(s)):\n  - {}",
            flow.display(),
            problems.len(),
            problems.join("\n  - ")
        ),
    }
}

pub async fn run(db: Db, command: ConnectCommand) -> anyhow::Result<()> {
    let app = App::new(db, Arc::new(SystemClock));
    match command {
        ConnectCommand::Check { flow } => {
            check(&flow).await?;
        }
        ConnectCommand::Run {
            flow,
            files,
            dry_run,
            json,
            org,
        } => {
            let f = check(&flow).await?;
            let mut reports = Vec::new();
            for file in &files {
                let bar = progress_bar(json);
                let mut opts = RunOptions {
                    dry_run,
                    org: org.clone(),
                    ..RunOptions::default()
                };
                if let Some(bar) = &bar {
                    let bar = bar.clone();
                    opts.progress = Some(Arc::new(move |p: Progress| {
                        bar.set_length(p.bytes_total);
                        bar.set_position(p.bytes_read);
                        bar.set_message(format!("{} rows", p.rows));
                    }));
                }
                let report = run_file(&app, &f, file, &opts)
                    .await
                    .with_context(|| format!("cannot run {}", file.display()))?;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                if !json {
                    print_report(&report, dry_run);
                }
                reports.push(report);
            }
            if json {
                println!("{}", summary(&reports));
            }
        }
        ConnectCommand::Runs { json, org, limit } => {
            let org_id = match org {
                Some(code) => app.connect().org(&code).await?,
                None => only_org(&app).await?,
            };
            let page = app.connect().runs(org_id, limit, 0).await?;
            if json {
                let runs: Vec<Value> = page.runs.iter().map(run_json).collect();
                println!("{}", Value::Array(runs));
            } else {
                for r in &page.runs {
                    println!(
                        "#{} {} {} [{}] input {} succeeded {} failed {} filtered {} already applied {} accuracy {}%{}",
                        r.id,
                        r.started_at,
                        r.dataflow,
                        r.file_name,
                        r.counts.input,
                        r.counts.succeeded,
                        r.counts.failed,
                        r.counts.filtered,
                        r.counts.skipped,
                        fidelis_app::connect::accuracy(&r.counts),
                        if r.finished_at.is_none() { " (unfinished)" } else { "" }
                    );
                }
            }
        }
    }
    Ok(())
}

async fn only_org(app: &App) -> anyhow::Result<fidelis_domain::org::OrgId> {
    let orgs = app.db().jobs().org_ids().await?;
    match orgs.as_slice() {
        [one] => Ok(*one),
        all => bail!("the database holds {} orgs: name one with --org", all.len()),
    }
}

/// A bar over the file's bytes, on a terminal only (and never with `--json`).
fn progress_bar(json: bool) -> Option<ProgressBar> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn print_report(r: &RunReport, dry_run: bool) {
    let c = &r.counts;
    println!(
        "{}{}: {} rows, {} succeeded, {} failed, {} filtered, {} already applied, accuracy {}% (report #{})",
        if dry_run { "[dry run] " } else { "" },
        r.file_name,
        c.input,
        c.succeeded,
        c.failed,
        c.filtered,
        c.skipped,
        r.accuracy,
        r.report_id
    );
    if let Some(e) = &r.error_file {
        println!("failed rows: {}", e.display());
    }
}

/// The `--json` object: counts summed over the files; the error file and report of the
/// last file (with several files, `files` lists each one's).
fn summary(reports: &[RunReport]) -> Value {
    let sum = |f: fn(&RunReport) -> u64| reports.iter().map(f).sum::<u64>();
    let last = reports.last();
    let mut out = json!({
        "input": sum(|r| r.counts.input),
        "succeeded": sum(|r| r.counts.succeeded),
        "failed": sum(|r| r.counts.failed),
        "filtered": sum(|r| r.counts.filtered),
        "error_file": last.and_then(|r| r.error_file.as_ref()).map(|p| p.display().to_string()),
        "report_id": last.map(|r| r.report_id),
    });
    if reports.len() > 1 {
        out["files"] = reports
            .iter()
            .map(|r| {
                json!({
                    "file": r.file_name,
                    "input": r.counts.input,
                    "succeeded": r.counts.succeeded,
                    "failed": r.counts.failed,
                    "filtered": r.counts.filtered,
                    "error_file": r.error_file.as_ref().map(|p| p.display().to_string()),
                    "report_id": r.report_id,
                })
            })
            .collect();
    }
    out
}

fn run_json(r: &RunRecord) -> Value {
    json!({
        "id": r.id,
        "dataflow": r.dataflow,
        "template": r.template,
        "fileName": r.file_name,
        "digest": r.digest,
        "dryRun": r.dry_run,
        "startedAt": r.started_at.to_string(),
        "finishedAt": r.finished_at.map(|t| t.to_string()),
        "input": r.counts.input,
        "succeeded": r.counts.succeeded,
        "failed": r.counts.failed,
        "filtered": r.counts.filtered,
        "alreadyApplied": r.counts.skipped,
        "accuracy": fidelis_app::connect::accuracy(&r.counts),
        "errorCounts": r.counts.errors,
        "errorFile": r.error_file,
    })
}
