//! Where a dataflow's files come from, and what becomes of them.
//!
//! A `Source` lists the files waiting in one place (a local folder, an SFTP folder), fetches
//! one to a local path, and afterwards moves it to the processed folder (on the SFTP server
//! for SFTP). A `Pickup` drives the sources of one dataflow: it takes a file only once its
//! size and modification time are the same at two polls in a row (so a file still being
//! copied in is left alone), never takes hidden names or names ending `.part`/`.tmp`,
//! decrypts PGP files, hands the local file to the caller's `FileHandler`, and acts on the
//! answer: done → processed folder; the file's own fault → processed folder as
//! `NAME.rejected`; anything else → left where it is and tried again at the next poll. A
//! file is never deleted, and one pickup handles one file at a time.

pub mod folder;
pub mod inbox;
pub mod pgp;
pub mod pickup;
pub mod registry;
pub mod schedule;
pub mod sftp;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fidelis_domain::connect::Dataflow;
use futures::future::BoxFuture;

pub use pickup::{Pickup, PollReport};
pub use registry::{Dataflows, Registered};

/// A file waiting in a source, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    /// Modification time as the source reports it (nanoseconds since the epoch for a local
    /// folder, seconds over SFTP); only compared between two polls of one source.
    pub modified: u64,
}

/// What became of a file the handler saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Handled: it moves to the processed folder.
    Processed,
    /// Refused as a whole (not CSV, a column missing, cannot be decrypted): it moves to
    /// the processed folder as `NAME.rejected`, so it is not taken again.
    Rejected,
}

/// A handler's answer when a file was not handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The file itself is wrong; retrying cannot help.
    #[error("the file was refused: {0}")]
    Reject(String),
    /// Not the file's fault (database down, disk full): it stays and is tried again.
    #[error("the file will be tried again: {0}")]
    Retry(String),
}

/// What runs a file: given the dataflow and a local file holding its (decrypted) content.
/// `serve` is given one; the runner's `run_file` is meant to sit behind it.
pub trait FileHandler: Send + Sync {
    fn handle(&self, flow: Arc<Dataflow>, file: PathBuf)
        -> BoxFuture<'static, Result<(), Failure>>;
}

/// Any `Fn(flow, path) -> future` is a handler.
impl<F, Fut> FileHandler for F
where
    F: Fn(Arc<Dataflow>, PathBuf) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), Failure>> + Send + 'static,
{
    fn handle(
        &self,
        flow: Arc<Dataflow>,
        file: PathBuf,
    ) -> BoxFuture<'static, Result<(), Failure>> {
        Box::pin(self(flow, file))
    }
}

/// A failure to reach or change a source (not the file's fault: tried again later).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("sftp: {0}")]
    Sftp(String),
}

/// One place a dataflow's files wait.
pub trait Source: Send + Sync {
    /// For logs: the folder or URL.
    fn describe(&self) -> String;
    /// The regular files waiting (every name; the pickup filters).
    fn list(&self) -> BoxFuture<'_, Result<Vec<Entry>, SourceError>>;
    /// A local file holding `entry`'s content, fetched into `staging` when the source is
    /// remote; `Staged::copy` says whether it is a copy to delete afterwards.
    fn fetch<'a>(
        &'a self,
        entry: &'a Entry,
        staging: &'a Path,
    ) -> BoxFuture<'a, Result<Staged, SourceError>>;
    /// Moves `entry` out of the way (processed folder, `.rejected` when refused); answers
    /// where it went.
    fn finish<'a>(
        &'a self,
        entry: &'a Entry,
        done: Done,
    ) -> BoxFuture<'a, Result<String, SourceError>>;
    /// Called after each poll: a remote source closes its connection.
    fn end_poll(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A local file with a source file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub path: PathBuf,
    /// A staging copy (deleted once handled), not the source file itself.
    pub copy: bool,
}

/// The name to move `name` to in a folder where `taken` says which names exist: `name`
/// (plus `.rejected`), or with `.1`, `.2`, … added, so an earlier file of the same name is
/// never overwritten.
pub(crate) fn free_name(name: &str, done: Done, taken: impl Fn(&str) -> bool) -> String {
    let base = match done {
        Done::Processed => name.to_string(),
        Done::Rejected => format!("{name}.rejected"),
    };
    if !taken(&base) {
        return base;
    }
    (1u32..)
        .map(|n| format!("{base}.{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_never_overwrite() {
        let existing = ["a.csv", "a.csv.1", "b.csv.rejected"];
        let taken = |n: &str| existing.contains(&n);
        assert_eq!(free_name("a.csv", Done::Processed, taken), "a.csv.2");
        assert_eq!(free_name("c.csv", Done::Processed, taken), "c.csv");
        assert_eq!(
            free_name("b.csv", Done::Rejected, taken),
            "b.csv.rejected.1"
        );
    }
}
