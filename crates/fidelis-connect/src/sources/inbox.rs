//! Storing an uploaded file in a dataflow's inbox, durably and atomically: the body is
//! streamed to a hidden `.NAME.UUID.part` file (which no source takes), synced, then linked
//! under its name only if no file of that name is waiting, so the pickup never sees half a
//! file and a waiting file is never overwritten.

use std::io;
use std::path::{Path, PathBuf};

use fidelis_domain::connect::files::check_upload_name;
use fidelis_domain::connect::UploadError;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// An uploaded file, stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub name: String,
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Over `max` bytes.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
}

fn storage(e: io::Error) -> InboxError {
    InboxError::Upload(UploadError::Storage(e.to_string()))
}

/// Streams `body` into `inbox` as `name` (checked against `pattern` first), at most `max`
/// bytes.
pub async fn store<S, B, E>(
    inbox: &Path,
    name: &str,
    pattern: &regex::Regex,
    max: u64,
    body: S,
) -> Result<Stored, InboxError>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    check_upload_name(name, pattern)?;
    tokio::fs::create_dir_all(inbox).await.map_err(storage)?;
    let temp = Temporary(inbox.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple())));
    let (sha256, size) = write(&temp.0, max, body).await?;
    let path = inbox.join(name);
    // A hard link fails when the name exists: no waiting file is replaced.
    let linked = tokio::fs::hard_link(&temp.0, &path).await;
    drop(temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(UploadError::AlreadyWaiting(name.to_string()).into())
        }
        Err(e) => return Err(storage(e)),
    }
    // The new name survives a crash once the folder is synced.
    tokio::fs::File::open(inbox)
        .await
        .map_err(storage)?
        .sync_all()
        .await
        .map_err(storage)?;
    Ok(Stored {
        name: name.to_string(),
        path,
        sha256,
        size,
    })
}

/// The temporary file, removed however the upload ends (also when the request is
/// dropped half-way, at its timeout).
struct Temporary(PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0) {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(file = %self.0.display(), error = %e, "cannot remove an upload's temporary file");
            }
        }
    }
}

async fn write<S, B, E>(temp: &Path, max: u64, body: S) -> Result<(String, u64), InboxError>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .await
        .map_err(storage)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| UploadError::BadBody(e.to_string()))?;
        let bytes = chunk.as_ref();
        size += bytes.len() as u64;
        if size > max {
            return Err(InboxError::TooLarge(max));
        }
        hash.update(bytes);
        file.write_all(bytes).await.map_err(storage)?;
    }
    if size == 0 {
        return Err(UploadError::Empty.into());
    }
    file.sync_all().await.map_err(storage)?;
    Ok((hex::encode(hash.finalize()), size))
}
