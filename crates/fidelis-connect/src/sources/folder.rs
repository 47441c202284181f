//! A local folder: files are listed with their size and modification time, handed over in
//! place (no copy), and renamed into the processed folder afterwards.

use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use futures::future::BoxFuture;

use super::{free_name, Done, Entry, Source, SourceError, Staged};

/// A watched local folder and where its handled files go.
#[derive(Debug, Clone)]
pub struct FolderSource {
    pub folder: PathBuf,
    pub processed: PathBuf,
}

impl FolderSource {
    /// `processed` defaults to the folder's `processed` subfolder (sources list files only,
    /// so it is never taken as input).
    pub fn new(folder: impl Into<PathBuf>, processed: Option<PathBuf>) -> Self {
        let folder = folder.into();
        let processed = processed.unwrap_or_else(|| folder.join("processed"));
        Self { folder, processed }
    }

    async fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut dir = match tokio::fs::read_dir(&self.folder).await {
            Ok(d) => d,
            // A folder not made yet holds no files (uploads create it).
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        while let Some(item) = dir.next_entry().await? {
            let Ok(name) = item.file_name().into_string() else {
                continue;
            };
            // A file removed between listing and asking is simply gone.
            let Ok(meta) = item.metadata().await else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            out.push(Entry {
                name,
                size: meta.len(),
                modified,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

impl Source for FolderSource {
    fn describe(&self) -> String {
        self.folder.display().to_string()
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<Entry>, SourceError>> {
        Box::pin(async move { Ok(self.entries().await?) })
    }

    fn fetch<'a>(
        &'a self,
        entry: &'a Entry,
        _staging: &'a Path,
    ) -> BoxFuture<'a, Result<Staged, SourceError>> {
        Box::pin(async move {
            Ok(Staged {
                path: self.folder.join(&entry.name),
                copy: false,
            })
        })
    }

    fn finish<'a>(
        &'a self,
        entry: &'a Entry,
        done: Done,
    ) -> BoxFuture<'a, Result<String, SourceError>> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.processed).await?;
            let target = free_name(&entry.name, done, |n| self.processed.join(n).exists());
            let to = self.processed.join(&target);
            move_file(&self.folder.join(&entry.name), &to).await?;
            Ok(to.display().to_string())
        })
    }
}

/// Renames `from` to `to`; across file systems, copies, syncs and then removes `from`.
pub(crate) async fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    match tokio::fs::rename(from, to).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            tokio::fs::copy(from, to).await?;
            tokio::fs::File::open(to).await?.sync_all().await?;
            tokio::fs::remove_file(from).await
        }
        Err(e) => Err(e),
    }
}
