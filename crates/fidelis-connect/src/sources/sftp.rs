//! An SFTP folder (russh + russh-sftp, pure Rust). The server must present the host key the
//! dataflow names (or a key with that SHA-256 fingerprint); any other key ends the
//! connection before logging in. Login is by private key or by a password read from an
//! environment variable. Files are downloaded into the staging folder, streamed, and renamed
//! on the server into the processed folder afterwards. One connection serves one poll.

use std::sync::Arc;
use std::time::Duration;

use fidelis_domain::connect::SftpSource;
use futures::future::BoxFuture;
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use std::path::Path;
use tokio::sync::Mutex;

use super::{free_name, Done, Entry, Source, SourceError, Staged};

/// How long connecting and logging in may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one SFTP request may wait for its answer.
const REQUEST_TIMEOUT_SECS: u64 = 60;

/// An SFTP folder and where its handled files go on the server.
pub struct SftpFolder {
    config: SftpSource,
    /// The folder on the server (`/~/x` in the URL is `x`, relative to the login folder).
    folder: String,
    processed: String,
    session: Mutex<Option<Connection>>,
}

struct Connection {
    sftp: SftpSession,
    ssh: client::Handle<HostKeyCheck>,
}

/// The server's key that the dataflow trusts.
#[derive(Debug, Clone)]
pub enum TrustedKey {
    Key(PublicKey),
    Fingerprint(String),
}

impl TrustedKey {
    /// `ssh-ed25519 AAAA… [comment]` (a `known_hosts` line without its host names) or
    /// `SHA256:…`.
    pub fn parse(text: &str) -> Result<Self, SourceError> {
        let text = text.trim();
        if text.starts_with("SHA256:") {
            return Ok(Self::Fingerprint(text.to_string()));
        }
        PublicKey::from_openssh(text)
            .map(Self::Key)
            .map_err(|e| SourceError::Sftp(format!("source.host_key cannot be read: {e}")))
    }

    pub fn matches(&self, key: &PublicKey) -> bool {
        match self {
            Self::Key(k) => k.key_data() == key.key_data(),
            Self::Fingerprint(f) => key.fingerprint(HashAlg::Sha256).to_string() == *f,
        }
    }
}

struct HostKeyCheck {
    trusted: TrustedKey,
    host: String,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        presented: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let ok = match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.trusted.matches(key),
            PublicKeyOrCertificate::Certificate(_) => false,
        };
        if !ok {
            tracing::error!(host = %self.host, "sftp: the server's host key is not the one the dataflow names; not connecting");
        }
        Ok(ok)
    }
}

impl SftpFolder {
    /// `processed` (from the dataflow) is a folder on the server; by default the source
    /// folder's `processed` subfolder.
    pub fn new(config: SftpSource, processed: Option<String>) -> Self {
        let folder = server_path(&config.path);
        let processed = processed
            .map(|p| server_path(&p))
            .unwrap_or_else(|| format!("{}/processed", folder.trim_end_matches('/')));
        Self {
            config,
            folder,
            processed,
            session: Mutex::new(None),
        }
    }

    fn sftp_error(what: &str, e: impl std::fmt::Display) -> SourceError {
        SourceError::Sftp(format!("{what}: {e}"))
    }

    async fn connect(&self) -> Result<Connection, SourceError> {
        let c = &self.config;
        let trusted = TrustedKey::parse(&c.host_key)?;
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(Duration::from_secs(REQUEST_TIMEOUT_SECS * 2)),
            ..Default::default()
        });
        let check = HostKeyCheck {
            trusted,
            host: c.host.clone(),
        };
        let addr = (c.host.as_str(), c.port);
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, client::connect(config, addr, check))
            .await
            .map_err(|_| SourceError::Sftp(format!("connecting to {} timed out", c.host)))?;
        let mut ssh =
            connected.map_err(|e| Self::sftp_error(&format!("cannot connect to {}", c.host), e))?;
        if !self.login(&mut ssh).await? {
            return Err(SourceError::Sftp(format!(
                "{}@{} refused the login",
                c.user, c.host
            )));
        }
        let channel = ssh
            .channel_open_session()
            .await
            .map_err(|e| Self::sftp_error("cannot open a channel", e))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| Self::sftp_error("the server has no sftp subsystem", e))?;
        let sftp = SftpSession::new(channel.into_stream())
            .await
            .map_err(|e| Self::sftp_error("sftp session", e))?;
        sftp.set_timeout(REQUEST_TIMEOUT_SECS);
        Ok(Connection { sftp, ssh })
    }

    /// Logs in with the key, then with the password, whichever the dataflow names.
    async fn login(&self, ssh: &mut client::Handle<HostKeyCheck>) -> Result<bool, SourceError> {
        let c = &self.config;
        if let Some(file) = &c.key_file {
            let passphrase = match &c.key_passphrase_env {
                Some(var) => Some(env(var)?),
                None => None,
            };
            let key = russh::keys::load_secret_key(file, passphrase.as_deref())
                .map_err(|e| Self::sftp_error(&format!("cannot read the key file {file}"), e))?;
            let hash = ssh
                .best_supported_rsa_hash()
                .await
                .map_err(|e| Self::sftp_error("login", e))?
                .flatten();
            let auth = ssh
                .authenticate_publickey(&c.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(|e| Self::sftp_error("login", e))?;
            if auth.success() {
                return Ok(true);
            }
        }
        if let Some(var) = &c.password_env {
            let password = env(var)?;
            let auth = ssh
                .authenticate_password(&c.user, password)
                .await
                .map_err(|e| Self::sftp_error("login", e))?;
            return Ok(auth.success());
        }
        Ok(false)
    }

    /// The open connection, opening one if needed.
    async fn session<'g>(
        &self,
        guard: &'g mut Option<Connection>,
    ) -> Result<&'g SftpSession, SourceError> {
        if guard.is_none() {
            *guard = Some(self.connect().await?);
        }
        match guard {
            Some(c) => Ok(&c.sftp),
            None => Err(SourceError::Sftp("not connected".into())),
        }
    }

    fn remote(&self, name: &str) -> String {
        format!("{}/{name}", self.folder.trim_end_matches('/'))
    }

    async fn entries(&self) -> Result<Vec<Entry>, SourceError> {
        let mut guard = self.session.lock().await;
        let sftp = self.session(&mut guard).await?;
        let listed = sftp.read_dir(self.folder.clone()).await;
        let dir = match listed {
            Ok(d) => d,
            Err(e) => {
                *guard = None;
                return Err(Self::sftp_error(&format!("cannot list {}", self.folder), e));
            }
        };
        let mut out: Vec<Entry> = dir
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let meta = e.metadata();
                Entry {
                    name: e.file_name(),
                    size: meta.len(),
                    modified: u64::from(meta.mtime.unwrap_or(0)),
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn download(&self, entry: &Entry, staging: &Path) -> Result<Staged, SourceError> {
        let mut guard = self.session.lock().await;
        let sftp = self.session(&mut guard).await?;
        tokio::fs::create_dir_all(staging).await?;
        let local = staging.join(&entry.name);
        let copied = async {
            let mut remote = sftp
                .open(self.remote(&entry.name))
                .await
                .map_err(|e| Self::sftp_error(&format!("cannot open {}", entry.name), e))?;
            let mut file = tokio::fs::File::create(&local).await?;
            tokio::io::copy(&mut remote, &mut file).await?;
            file.sync_all().await?;
            Ok::<_, SourceError>(())
        }
        .await;
        if let Err(e) = copied {
            *guard = None;
            let _ = tokio::fs::remove_file(&local).await;
            return Err(e);
        }
        Ok(Staged {
            path: local,
            copy: true,
        })
    }

    async fn rename(&self, entry: &Entry, done: Done) -> Result<String, SourceError> {
        let mut guard = self.session.lock().await;
        let sftp = self.session(&mut guard).await?;
        let moved = async {
            if !sftp
                .try_exists(self.processed.clone())
                .await
                .map_err(|e| Self::sftp_error("processed folder", e))?
            {
                sftp.create_dir(self.processed.clone()).await.map_err(|e| {
                    Self::sftp_error(&format!("cannot create {}", self.processed), e)
                })?;
            }
            let existing: Vec<String> = sftp
                .read_dir(self.processed.clone())
                .await
                .map_err(|e| Self::sftp_error("processed folder", e))?
                .map(|e| e.file_name())
                .collect();
            let name = free_name(&entry.name, done, |n| existing.iter().any(|e| e == n));
            let to = format!("{}/{name}", self.processed.trim_end_matches('/'));
            sftp.rename(self.remote(&entry.name), to.clone())
                .await
                .map_err(|e| Self::sftp_error(&format!("cannot move {} to {to}", entry.name), e))?;
            Ok::<_, SourceError>(to)
        }
        .await;
        if moved.is_err() {
            *guard = None;
        }
        moved
    }
}

impl Source for SftpFolder {
    fn describe(&self) -> String {
        self.config.url.clone()
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<Entry>, SourceError>> {
        Box::pin(self.entries())
    }

    fn fetch<'a>(
        &'a self,
        entry: &'a Entry,
        staging: &'a Path,
    ) -> BoxFuture<'a, Result<Staged, SourceError>> {
        Box::pin(self.download(entry, staging))
    }

    fn finish<'a>(
        &'a self,
        entry: &'a Entry,
        done: Done,
    ) -> BoxFuture<'a, Result<String, SourceError>> {
        Box::pin(self.rename(entry, done))
    }

    fn end_poll(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(c) = self.session.lock().await.take() {
                let _ = c.sftp.close().await;
                let _ = c
                    .ssh
                    .disconnect(russh::Disconnect::ByApplication, "", "en")
                    .await;
            }
        })
    }
}

/// A path on the server as the URL or dataflow writes it: `/~/x` and `~/x` are relative
/// to the login folder.
fn server_path(path: &str) -> String {
    let p = path
        .strip_prefix("/~/")
        .or_else(|| path.strip_prefix("~/"))
        .unwrap_or(path);
    if p.is_empty() {
        ".".into()
    } else {
        p.to_string()
    }
}

fn env(var: &str) -> Result<String, SourceError> {
    std::env::var(var)
        .map_err(|_| SourceError::Sftp(format!("environment variable {var} is not set")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_paths() {
        assert_eq!(server_path("/outbox"), "/outbox");
        assert_eq!(server_path("/~/outbox"), "outbox");
        assert_eq!(server_path("~/"), ".");
    }
}
