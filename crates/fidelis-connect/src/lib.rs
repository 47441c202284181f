//! Fidelis Connect+ dataflows: CSV files loaded through the same application commands as
//! the API.
//!
//! - [`Flow`] (`flow`): a dataflow file read from disk and checked, its relative paths
//!   resolving against its folder.
//! - [`Rows`] (`rows`): a file streamed row by row into its template's fields: mapped,
//!   filtered, or failed with a code.
//! - [`ErrorFile`] (`errors`): failed rows as read plus `error_code` and `error_message`,
//!   a file that can be fed back as it is.
//! - [`run_file`] (`run`): **the entry point of every source** (command line, watched
//!   folder, upload, SFTP): runs one local file through a dataflow and returns its
//!   [`RunReport`].
//! - `sources`: where files come from — a watched folder, an SFTP folder, uploads, PGP
//!   decryption, and the scheduled pickup inside `serve`.
//!
//! ```ignore
//! let flow = Flow::load(Path::new("examples/dataflows/transaction-v2-add.toml"))?;
//! let report = run_file(&app, &flow, Path::new("inbox/bills.csv"), &RunOptions::default()).await?;
//! println!("{} of {} rows applied", report.counts.succeeded, report.counts.input);
//! ```
//!
//! `run_file` streams the file (memory stays flat whatever its size), applies it in
//! batches of the dataflow's `batch_size`, each batch in one unit of work with the rows'
//! exactly-once keys (dataflow, file SHA-256, row number): running a file again, or again
//! after a crash, applies each row once. Rows that fail go to the error file; the run's
//! counts go to a report in the database (`connect_runs`). The file is read with blocking
//! I/O between batches; a server calling it for many files runs it on its own task.

pub mod errors;
pub mod flow;
pub mod rows;
pub mod run;
pub mod sources;

pub use errors::ErrorFile;
pub use flow::Flow;
pub use rows::{MappedRow, RowOutcome, Rows};
pub use run::{run_file, Progress, ProgressFn, RunError, RunOptions, RunReport};
