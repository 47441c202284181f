//! The pickup of one dataflow: polls its sources, takes the files that are ready, hands each
//! to the handler and moves it on according to the answer.
//!
//! The rule for a file still being written: a file is taken only when its name matches the
//! dataflow's pattern, is not hidden and does not end `.part`, `.tmp`, `.filepart`,
//! `.partial` or `.crdownload`, and its size and modification time are the same as at the
//! previous poll. So a file is taken at the earliest one poll interval after it last
//! changed; writers that can should write under a temporary name and rename (as uploads do).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fidelis_domain::connect::files::{decrypted_name, in_progress};
use fidelis_domain::connect::Dataflow;
use regex::Regex;

use super::{pgp, Done, Entry, Failure, FileHandler, Source};

/// The pickup of one dataflow over its sources (its folder or SFTP folder, and the upload
/// inbox when that is another folder).
pub struct Pickup {
    flow: Arc<Dataflow>,
    pattern: Regex,
    sources: Vec<Box<dyn Source>>,
    staging: PathBuf,
    /// (source, name) → (size, modified) at the last poll.
    seen: Mutex<HashMap<(usize, String), (u64, u64)>>,
    /// One poll at a time: a file is never handled twice at once.
    polling: tokio::sync::Mutex<()>,
}

/// What one poll did, by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Files seen for the first time or still changing.
    pub waiting: Vec<String>,
    pub processed: Vec<String>,
    pub rejected: Vec<String>,
    /// Left in place, to be tried at the next poll.
    pub retried: Vec<String>,
    /// Sources that could not be listed, with why.
    pub errors: Vec<String>,
}

impl Pickup {
    /// `staging` holds this dataflow's fetched and decrypted copies while they are handled.
    pub fn new(
        flow: Arc<Dataflow>,
        sources: Vec<Box<dyn Source>>,
        staging: &Path,
    ) -> Result<Self, regex::Error> {
        let pattern = Regex::new(&flow.pattern)?;
        let staging = staging.join(safe_name(&flow.name));
        Ok(Self {
            flow,
            pattern,
            sources,
            staging,
            seen: Mutex::new(HashMap::new()),
            polling: tokio::sync::Mutex::new(()),
        })
    }

    pub fn flow(&self) -> &Arc<Dataflow> {
        &self.flow
    }

    /// Lists every source once and handles the files that are ready, one at a time.
    pub async fn poll(&self, handler: &dyn FileHandler) -> PollReport {
        let _one_at_a_time = self.polling.lock().await;
        let mut report = PollReport::default();
        for (index, source) in self.sources.iter().enumerate() {
            let listed = source.list().await;
            let entries = match listed {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(dataflow = %self.flow.name, source = %source.describe(), error = %e, "cannot list the source; trying again at the next poll");
                    report.errors.push(format!("{}: {e}", source.describe()));
                    source.end_poll().await;
                    continue;
                }
            };
            for entry in self.ready(index, entries, &mut report) {
                self.take(index, source.as_ref(), &entry, handler, &mut report)
                    .await;
            }
            source.end_poll().await;
        }
        report
    }

    /// The entries unchanged since the last poll; remembers the others for the next one.
    fn ready(&self, index: usize, entries: Vec<Entry>, report: &mut PollReport) -> Vec<Entry> {
        let Ok(mut seen) = self.seen.lock() else {
            return Vec::new();
        };
        seen.retain(|(i, name), _| *i != index || entries.iter().any(|e| &e.name == name));
        let mut ready = Vec::new();
        for entry in entries {
            if in_progress(&entry.name) || !self.pattern.is_match(&entry.name) {
                continue;
            }
            let now = (entry.size, entry.modified);
            match seen.insert((index, entry.name.clone()), now) {
                Some(before) if before == now => ready.push(entry),
                _ => report.waiting.push(entry.name),
            }
        }
        ready
    }

    async fn take(
        &self,
        index: usize,
        source: &dyn Source,
        entry: &Entry,
        handler: &dyn FileHandler,
        report: &mut PollReport,
    ) {
        let flow = &self.flow.name;
        let name = entry.name.clone();
        let outcome = self.handle(source, entry, handler).await;
        let done = match outcome {
            Ok(()) => Done::Processed,
            Err(Failure::Reject(why)) => {
                tracing::warn!(dataflow = %flow, file = %name, reason = %why, "file refused");
                Done::Rejected
            }
            Err(Failure::Retry(why)) => {
                tracing::warn!(dataflow = %flow, file = %name, reason = %why, "file left in place; trying again at the next poll");
                report.retried.push(name);
                return;
            }
        };
        match source.finish(entry, done).await {
            Ok(to) => {
                tracing::info!(dataflow = %flow, file = %name, moved_to = %to, ?done, "file picked up");
                if let Ok(mut seen) = self.seen.lock() {
                    seen.remove(&(index, name.clone()));
                }
                match done {
                    Done::Processed => report.processed.push(name),
                    Done::Rejected => report.rejected.push(name),
                }
            }
            // Taken again at the next poll; the runner's exactly-once keys make that
            // harmless.
            Err(e) => {
                tracing::error!(dataflow = %flow, file = %name, error = %e, "file handled but not moved; it will be taken again");
                report.retried.push(name);
            }
        }
    }

    /// Fetches, decrypts and hands over one file; staging copies are removed afterwards.
    async fn handle(
        &self,
        source: &dyn Source,
        entry: &Entry,
        handler: &dyn FileHandler,
    ) -> Result<(), Failure> {
        let staged = source
            .fetch(entry, &self.staging)
            .await
            .map_err(|e| Failure::Retry(e.to_string()))?;
        let mut copies = Vec::new();
        if staged.copy {
            copies.push(staged.path.clone());
        }
        let result = async {
            let file = match (&self.flow.pgp, decrypted_name(&entry.name)) {
                (Some(key), Some(plain)) => {
                    tokio::fs::create_dir_all(&self.staging)
                        .await
                        .map_err(|e| Failure::Retry(e.to_string()))?;
                    let out = self.staging.join(plain);
                    copies.push(out.clone());
                    pgp::decrypt(key, &staged.path, &out)
                        .await
                        .map_err(|e| match e {
                            pgp::DecryptError::Message(_) => Failure::Reject(e.to_string()),
                            _ => Failure::Retry(e.to_string()),
                        })?;
                    out
                }
                _ => staged.path.clone(),
            };
            handler.handle(self.flow.clone(), file).await
        }
        .await;
        for copy in copies {
            if let Err(e) = tokio::fs::remove_file(&copy).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %copy.display(), error = %e, "cannot remove a staging copy");
                }
            }
        }
        result
    }
}

/// A dataflow name as a folder name.
pub(crate) fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}
