//! Running one file through a dataflow: the entry point every source calls
//! ([`run_file`]: command line, watched folder, upload, SFTP).
//!
//! The file is read twice, streamed both times and never held in memory: once for its
//! SHA-256 digest (the file part of each row's exactly-once key), then row by row. Rows
//! are mapped (`rows`), gathered into batches of the dataflow's `batch_size` records and
//! applied by `fidelis_app::connect::Connect::apply`, each batch in one unit of work with
//! its keys. Failed rows go to the error file, the counts to the run report, which is
//! updated after every batch.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fidelis_app::connect::{accuracy, Applied, Ctx, Ready, Record};
use fidelis_app::{App, AppError};
use fidelis_domain::connect::{Attribution, Dataflow, Template};
use fidelis_domain::org::OrgId;
use fidelis_store::connect::{NewRun, RunCounts};
use sha2::{Digest, Sha256};

use crate::rows::{FileError, MappedRow, RowOutcome, Rows};
use crate::{ErrorFile, Flow};

/// How far a run got, for progress bars.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub rows: u64,
}

/// Called after each batch.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How to run a file.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Apply every row and roll it all back: counts, error file and report, no effects.
    pub dry_run: bool,
    /// The org's code; `None`: the database's only org.
    pub org: Option<String>,
    /// Where the error file goes; `None`: the dataflow's error folder, else the folder of
    /// the input file.
    pub error_dir: Option<PathBuf>,
    /// The name the report gives the file (an upload's name); `None`: the path's file name.
    pub file_name: Option<String>,
    pub progress: Option<ProgressFn>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub report_id: i64,
    pub file_name: String,
    /// SHA-256 of the file, hex.
    pub digest: String,
    pub counts: RunCounts,
    /// Percent of the rows to apply (read less filtered) that are applied.
    pub accuracy: f64,
    /// The error file, when a row failed.
    pub error_file: Option<PathBuf>,
}

/// Why a file could not be run (rows that fail are not this: they go to the error file).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("the file lacks columns the dataflow reads: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("the database holds {0} orgs: name one")]
    WhichOrg(usize),
    #[error("cannot write the error file {path}: {source}")]
    ErrorFile {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    App(#[from] AppError),
    /// The applying side of the run stopped (its own error is the run's).
    #[error("the run stopped")]
    Stopped,
}

/// Runs `path` through `flow`: see the [module documentation](self).
pub async fn run_file(
    app: &App,
    flow: &Flow,
    path: &Path,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let io = |source| RunError::Io {
        path: path.display().to_string(),
        source,
    };
    let digest = digest(path).map_err(io)?;
    let bytes_total = std::fs::metadata(path).map_err(io)?.len();
    let connect = app.connect();
    let org = org_id(app, flow, opts).await?;
    let zone = {
        let ctx = app
            .loyalty()
            .context(&fidelis_app::Caller {
                org_id: org,
                till_id: None,
                till_code: None,
                store_id: None,
                client_id: None,
                permissions: fidelis_domain::org::Permissions::full(),
            })
            .await?;
        ctx.tz().clone()
    };
    let read = Arc::new(AtomicU64::new(0));
    let input = Counting {
        inner: BufReader::with_capacity(1 << 16, File::open(path).map_err(io)?),
        read: read.clone(),
    };
    let d = &flow.dataflow;
    let rows = Rows::new(d.clone(), zone, input)?;
    let missing = rows.missing_columns();
    if !missing.is_empty() {
        return Err(RunError::MissingColumns(
            missing.into_iter().map(str::to_string).collect(),
        ));
    }
    let headers = rows.headers().to_vec();
    let file_name = opts.file_name.clone().unwrap_or_else(|| {
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        )
    });
    let file_id = connect.file_id(org, &d.name, &digest).await?;
    let report_id = connect
        .start_run(
            org,
            &NewRun {
                dataflow: &d.name,
                template: d.template.name(),
                file_name: &file_name,
                digest: &digest,
                dry_run: opts.dry_run,
                started_at: app.now(),
            },
        )
        .await?;
    let error_path = opts
        .error_dir
        .clone()
        .or_else(|| flow.error_dir())
        .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default())
        .join(error_file_name(path, report_id));
    let mut run = Runner {
        app,
        flow,
        org,
        file_id,
        dry_run: opts.dry_run,
        counts: RunCounts::default(),
        errors: None,
        error_path,
        headers: (d.columns.is_none()).then_some(headers.clone()),
        reported: Instant::now(),
        report_id,
        progress: opts.progress.clone(),
        read: read.clone(),
        bytes_total,
    };
    // The file is read and mapped on a thread of its own, and batches are prepared (their
    // customers looked up) on a task of their own, while the batch before is applied: the
    // reading and the lookups overlap the writes. Rows cross over in chunks: one hand-over
    // per row would cost as much as mapping it.
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD / CHUNK);
    let reader = tokio::task::spawn_blocking(move || {
        let mut rows = rows;
        let mut chunk = Vec::with_capacity(CHUNK);
        while let Some(row) = rows.next_row() {
            chunk.push(row);
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if tx.blocking_send(full).is_err() {
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(chunk);
        }
    });
    let (work_tx, mut work_rx) = tokio::sync::mpsc::channel(1);
    let batcher = Batcher {
        app: app.clone(),
        dataflow: d.clone(),
        org,
        till_column: match &d.attribution {
            Attribution::Till(_) => None,
            Attribution::TillColumn(c) => headers.iter().position(|h| h == c),
        },
        contexts: HashMap::new(),
        batch: Vec::new(),
        batch_till: None,
        pending: Work::default(),
        out: work_tx,
    };
    let preparing = tokio::spawn(batcher.run(rx));
    // An early return drops the receiver, which stops the batcher and then the reader.
    while let Some(work) = work_rx.recv().await {
        run.take(work).await?;
    }
    let joined = |e: tokio::task::JoinError| RunError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    };
    preparing.await.map_err(joined)??;
    reader.await.map_err(joined)?;
    let error_file = run.finish_errors()?;
    let shown = error_file.as_ref().map(|p| p.display().to_string());
    connect
        .update_run(org, report_id, &run.counts, shown.as_deref(), true)
        .await?;
    Ok(RunReport {
        report_id,
        file_name,
        digest,
        accuracy: accuracy(&run.counts),
        counts: run.counts,
        error_file,
    })
}

/// The error file of run `report_id` of `input`: `bills.csv` → `bills.errors-17.csv`.
fn error_file_name(input: &Path, report_id: i64) -> String {
    let stem = input
        .file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned());
    format!("{stem}.errors-{report_id}.csv")
}

/// The line-item fields of a merged row.
fn line_fields(m: &MappedRow) -> std::collections::BTreeMap<String, String> {
    m.fields
        .iter()
        .filter(|(k, _)| k.starts_with("lineItem."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// SHA-256 of the file, hex, read in blocks.
fn digest(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hex::encode(hash.finalize()))
}

/// The org named by the options, else the org of the dataflow's till, else the database's
/// only org.
async fn org_id(app: &App, flow: &Flow, opts: &RunOptions) -> Result<OrgId, RunError> {
    if let Some(code) = &opts.org {
        return Ok(app.connect().org(code).await?);
    }
    if let Attribution::Till(till) = &flow.dataflow.attribution {
        if let Some(org) = app.connect().org_of_till(till).await? {
            return Ok(org);
        }
    }
    let orgs = app.db().jobs().org_ids().await.map_err(AppError::from)?;
    match orgs.as_slice() {
        [one] => Ok(*one),
        all => Err(RunError::WhichOrg(all.len())),
    }
}

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The state of one run between batches.
struct Runner<'a> {
    app: &'a App,
    flow: &'a Flow,
    org: OrgId,
    file_id: i64,
    dry_run: bool,
    counts: RunCounts,
    errors: Option<ErrorFile<std::io::BufWriter<File>>>,
    error_path: PathBuf,
    /// The header line for the error file (none for headerless files).
    headers: Option<Vec<String>>,
    /// When the report was last brought up to date.
    reported: Instant,
    report_id: i64,
    progress: Option<ProgressFn>,
    /// Bytes of the file read so far, of `bytes_total`.
    read: Arc<AtomicU64>,
    bytes_total: u64,
}

impl Runner<'_> {
    /// Counts a failed row and writes it to the error file (created on the first one).
    fn fail(&mut self, cells: &[String], code: &str, message: &str) -> Result<(), RunError> {
        self.counts.failed += 1;
        *self.counts.errors.entry(code.to_string()).or_default() += 1;
        let err = |source| RunError::ErrorFile {
            path: self.error_path.display().to_string(),
            source,
        };
        if self.errors.is_none() {
            if let Some(dir) = self.error_path.parent() {
                std::fs::create_dir_all(dir).map_err(err)?;
            }
            let f = File::create(&self.error_path).map_err(err)?;
            self.errors = Some(ErrorFile::new(
                std::io::BufWriter::new(f),
                self.flow.dataflow.delimiter,
                self.headers.as_deref(),
            ));
        }
        if let Some(e) = self.errors.as_mut() {
            e.push(cells, code, message)
                .map_err(|e| err(std::io::Error::other(e)))?;
        }
        Ok(())
    }

    /// Flushes the error file; its path when a row failed.
    fn finish_errors(&mut self) -> Result<Option<PathBuf>, RunError> {
        match self.errors.take() {
            None => Ok(None),
            Some(e) => {
                e.finish().map_err(|source| RunError::ErrorFile {
                    path: self.error_path.display().to_string(),
                    source,
                })?;
                Ok(Some(self.error_path.clone()))
            }
        }
    }

    /// Counts a hand-over's filtered and failed rows, applies its batch (retrying a failure
    /// of ours), counts what became of the batch's records and updates the report.
    async fn take(&mut self, work: Work) -> Result<(), RunError> {
        self.counts.input += work.filtered;
        self.counts.filtered += work.filtered;
        for (cells, code, message) in work.failed {
            self.counts.input += 1;
            self.fail(&cells, &code, &message)?;
        }
        if let Some(Prepared { ctx, ready, cells }) = work.batch {
            self.counts.input += cells.iter().map(|c| c.len() as u64).sum::<u64>();
            let parts = self.app.connect().parallel_parts(&ctx);
            let answers = apply_in_parts(
                self.app,
                &ctx,
                self.file_id,
                self.dry_run,
                self.flow.dataflow.retries,
                ready,
                parts,
            )
            .await?;
            for (cells, answer) in cells.into_iter().zip(answers) {
                let n = cells.len() as u64;
                match answer {
                    Applied::Done { .. } => self.counts.succeeded += n,
                    Applied::AlreadyApplied => self.counts.skipped += n,
                    Applied::Failed { code, message } => {
                        for c in cells {
                            self.fail(&c, &code, &message)?;
                        }
                    }
                }
            }
        }
        // The report follows the run about once a second, not after every batch: a
        // commit per batch would cost more than the batch's rows on a large file.
        if self.reported.elapsed() >= REPORT_EVERY {
            self.app
                .connect()
                .update_run(self.org, self.report_id, &self.counts, None, false)
                .await?;
            self.reported = Instant::now();
        }
        if let Some(p) = &self.progress {
            p(Progress {
                bytes_read: self.read.load(Ordering::Relaxed),
                bytes_total: self.bytes_total,
                rows: self.counts.input,
            });
        }
        Ok(())
    }
}

/// What the preparing side hands the applying side: the rows read since the last
/// hand-over.
#[derive(Default)]
struct Work {
    /// Rows the filter kept out.
    filtered: u64,
    /// Rows that failed before being applied (mapping, an unknown till): cells, code,
    /// message.
    failed: Vec<(Vec<String>, String, String)>,
    batch: Option<Prepared>,
}

/// A batch, prepared, with the cells of each record's rows.
struct Prepared {
    ctx: Arc<Ctx>,
    ready: Vec<Ready>,
    cells: Vec<Vec<Vec<String>>>,
}

impl Work {
    fn is_empty(&self) -> bool {
        self.filtered == 0 && self.failed.is_empty() && self.batch.is_none()
    }
}

/// The preparing side of a run: gathers mapped rows into batches of records (merging a
/// bill's rows for `transaction-line-item-merge`), prepares each batch and hands it over.
struct Batcher {
    app: App,
    dataflow: Dataflow,
    org: OrgId,
    /// The column naming each row's till, for `Attribution::TillColumn`.
    till_column: Option<usize>,
    /// One context per till rows are attributed to.
    contexts: HashMap<String, Arc<Ctx>>,
    /// Records waiting to be prepared, with each row's cells as read.
    batch: Vec<(Record, Vec<Vec<String>>)>,
    batch_till: Option<String>,
    /// The filtered and failed rows since the last hand-over.
    pending: Work,
    out: tokio::sync::mpsc::Sender<Work>,
}

impl Batcher {
    async fn run(
        mut self,
        mut rows: tokio::sync::mpsc::Receiver<Vec<ReadRow>>,
    ) -> Result<(), RunError> {
        let merge = self.dataflow.template == Template::TransactionLineItemMerge;
        while let Some(chunk) = rows.recv().await {
            for (number, cells, outcome) in chunk {
                match outcome {
                    RowOutcome::Filtered => self.pending.filtered += 1,
                    RowOutcome::Failed { code, message } => {
                        self.pending.failed.push((cells, code.to_string(), message));
                        if self.pending.failed.len() >= self.dataflow.batch_size {
                            self.hand_over().await?;
                        }
                    }
                    RowOutcome::Mapped(m) => {
                        let till = match (&self.dataflow.attribution, self.till_column) {
                            (Attribution::Till(t), _) => t.clone(),
                            (_, Some(i)) => cells.get(i).cloned().unwrap_or_default(),
                            (_, None) => String::new(),
                        };
                        if self.batch_till.as_ref().is_some_and(|t| *t != till) {
                            self.hand_over().await?;
                        }
                        self.batch_till = Some(till);
                        let same_bill = merge
                            && self.batch.last().is_some_and(|(r, _)| {
                                r.fields.get("billNumber") == m.fields.get("billNumber")
                            });
                        if same_bill {
                            if let Some((r, c)) = self.batch.last_mut() {
                                r.rows.push(number);
                                r.lines.push(line_fields(&m));
                                c.push(cells);
                            }
                        } else {
                            if self.batch.len() >= self.dataflow.batch_size {
                                self.hand_over().await?;
                            }
                            let lines = if merge {
                                vec![line_fields(&m)]
                            } else {
                                Vec::new()
                            };
                            let record = Record {
                                rows: vec![number],
                                fields: m.fields,
                                dates: m.dates,
                                lines,
                            };
                            self.batch.push((record, vec![cells]));
                        }
                    }
                }
            }
        }
        self.hand_over().await
    }

    /// Prepares the waiting records (retrying a failure of ours) and hands them over with
    /// the rows filtered and failed since the last hand-over. When the applying side has
    /// stopped (its run failed), nothing is handed over and the reading ends.
    async fn hand_over(&mut self) -> Result<(), RunError> {
        let mut work = std::mem::take(&mut self.pending);
        let batch = std::mem::take(&mut self.batch);
        if !batch.is_empty() {
            let till = self.batch_till.clone().unwrap_or_default();
            match self.context(&till).await? {
                // An unknown till fails its rows, not the run.
                Err((code, message)) => {
                    for (_, cells) in batch {
                        for c in cells {
                            work.failed.push((c, code.clone(), message.clone()));
                        }
                    }
                }
                Ok(ctx) => {
                    let (mut records, cells): (Vec<Record>, Vec<_>) = batch.into_iter().unzip();
                    let mut attempt = 0;
                    let ready = loop {
                        match self.app.connect().prepare(&ctx, records).await {
                            Ok(ready) => break ready,
                            Err((_, back)) if attempt < self.dataflow.retries => {
                                records = back;
                                attempt += 1;
                                pause(attempt).await;
                            }
                            Err((e, _)) => return Err(e.into()),
                        }
                    };
                    work.batch = Some(Prepared { ctx, ready, cells });
                }
            }
        }
        if work.is_empty() || self.out.send(work).await.is_ok() {
            return Ok(());
        }
        // The applying side stopped: dropping the rows' receiver stops the reader.
        Err(RunError::Stopped)
    }

    /// The context of rows attributed to `till`, or why there is none (the code and
    /// message its rows fail with).
    async fn context(
        &mut self,
        till: &str,
    ) -> Result<Result<Arc<Ctx>, (String, String)>, RunError> {
        if let Some(ctx) = self.contexts.get(till) {
            return Ok(Ok(ctx.clone()));
        }
        let template = self.dataflow.template;
        match self.app.connect().context(self.org, template, till).await {
            Ok(ctx) => {
                let ctx = Arc::new(ctx);
                self.contexts.insert(till.to_string(), ctx.clone());
                Ok(Ok(ctx))
            }
            Err(e) if !e.is_internal() => {
                let code = fidelis_domain::error::CodedError::code(&e).to_string();
                Ok(Err((code, e.to_string())))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A row as the reader hands it over: its number, its cells and what became of it.
type ReadRow = (u64, Vec<String>, RowOutcome);

/// Applies `batch` split into `parts` by customer ([`Record::customer_key`]: one customer's
/// records stay in one part, in the file's order), the parts at once; each part is retried
/// on its own after a failure of ours, so a part that committed is never applied again.
/// The answers come in the batch's order.
async fn apply_in_parts(
    app: &App,
    ctx: &Ctx,
    file_id: i64,
    dry_run: bool,
    retries: u32,
    batch: Vec<Ready>,
    parts: usize,
) -> Result<Vec<Applied>, RunError> {
    let parts = parts.max(1);
    let total = batch.len();
    let mut split: Vec<(Vec<usize>, Vec<Ready>)> = vec![(Vec::new(), Vec::new()); parts];
    for (i, ready) in batch.into_iter().enumerate() {
        let part = ready.record.customer_key().map_or(0, |k| part_of(k, parts));
        split[part].0.push(i);
        split[part].1.push(ready);
    }
    split.retain(|(at, _)| !at.is_empty());
    let done = futures::future::try_join_all(split.iter().map(|(_, records)| async move {
        let mut attempt = 0;
        loop {
            match app.connect().apply(ctx, file_id, records, dry_run).await {
                Ok(a) => return Ok::<_, RunError>(a),
                Err(_) if attempt < retries => {
                    attempt += 1;
                    pause(attempt).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }))
    .await?;
    let mut out: Vec<Option<Applied>> = vec![None; total];
    for ((at, _), answers) in split.iter().zip(done) {
        for (i, answer) in at.iter().zip(answers) {
            out[*i] = Some(answer);
        }
    }
    out.into_iter()
        .map(|a| {
            a.ok_or_else(|| {
                RunError::App(
                    fidelis_store::StoreError::Corrupt("a batch row was not answered".into())
                        .into(),
                )
            })
        })
        .collect()
}

/// The part (of `parts`) a customer's records go to.
fn part_of(key: &str, parts: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    usize::try_from(h.finish() % parts as u64).unwrap_or(0)
}

/// Rows read ahead of the batch being applied, and rows per hand-over.
const READ_AHEAD: usize = 8_192;
const CHUNK: usize = 256;

/// How often a running import brings its report up to date.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Waits before retrying a batch that failed on our side (100 ms, 200 ms, …).
async fn pause(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
}
