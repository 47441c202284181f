//! The `[source]` table of a dataflow: where its files come from (a local folder, an SFTP
//! folder, or only files handed over), how to reach an SFTP server and check it is the
//! right one, and the optional PGP key that decrypts encrypted files. Secrets never sit in
//! the file: passwords and passphrases are read from environment variables it names.

use serde::Deserialize;

/// Where a dataflow's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Only files named on the command line or uploaded.
    Given,
    Folder(String),
    Sftp(SftpSource),
}

/// An SFTP folder: `sftp://user@host[:port]/path` plus how to log in and which host key
/// the server must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpSource {
    /// The URL as written.
    pub url: String,
    pub user: String,
    pub host: String,
    pub port: u16,
    /// The folder on the server, as in the URL (`/outbox`; `/~/outbox` is relative to the
    /// login folder).
    pub path: String,
    /// The server's public host key as in `known_hosts` (`ssh-ed25519 AAAA…`) or its
    /// SHA-256 fingerprint (`SHA256:…`, as `ssh-keygen -lf` prints it).
    pub host_key: String,
    /// A private key file (OpenSSH format) to log in with.
    pub key_file: Option<String>,
    /// The environment variable holding that key's passphrase.
    pub key_passphrase_env: Option<String>,
    /// The environment variable holding the password to log in with.
    pub password_env: Option<String>,
}

/// The secret key that decrypts `.pgp` / `.gpg` / `.asc` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpKey {
    /// The secret key file (armored or binary).
    pub key_file: String,
    /// The environment variable holding its passphrase (none: the key is not protected).
    pub passphrase_env: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    folder: Option<String>,
    sftp: Option<String>,
    pub(super) pattern: Option<String>,
    pub(super) processed: Option<String>,
    pub(super) errors: Option<String>,
    host_key: Option<String>,
    key_file: Option<String>,
    key_passphrase_env: Option<String>,
    password_env: Option<String>,
    pgp_key: Option<String>,
    pgp_passphrase_env: Option<String>,
}

impl RawSource {
    /// The source and PGP key, with every problem pushed to `problems`.
    pub(super) fn check(&self, problems: &mut Vec<String>) -> (Source, Option<PgpKey>) {
        let source = match (&self.folder, &self.sftp) {
            (None, None) => Source::Given,
            (Some(f), None) => Source::Folder(f.clone()),
            (None, Some(url)) => match self.sftp(url) {
                Ok(s) => Source::Sftp(s),
                Err(mut e) => {
                    problems.append(&mut e);
                    Source::Given
                }
            },
            (Some(_), Some(_)) => {
                problems.push("source: name a folder or an sftp URL, not both".into());
                Source::Given
            }
        };
        if self.sftp.is_none() {
            for (name, value) in [
                ("host_key", &self.host_key),
                ("key_file", &self.key_file),
                ("key_passphrase_env", &self.key_passphrase_env),
                ("password_env", &self.password_env),
            ] {
                if value.is_some() {
                    problems.push(format!("source.{name} is only for an sftp source"));
                }
            }
        }
        let pgp = match (&self.pgp_key, &self.pgp_passphrase_env) {
            (Some(key), env) => Some(PgpKey {
                key_file: key.clone(),
                passphrase_env: env.clone(),
            }),
            (None, Some(_)) => {
                problems.push("source.pgp_passphrase_env needs source.pgp_key".into());
                None
            }
            (None, None) => None,
        };
        (source, pgp)
    }

    fn sftp(&self, url: &str) -> Result<SftpSource, Vec<String>> {
        let mut problems = Vec::new();
        let (user, host, port, path) = match parse_sftp_url(url) {
            Some(parts) => parts,
            None => {
                problems.push(
                    "source.sftp must be sftp://user@host[:port]/path (user and path required)"
                        .into(),
                );
                Default::default()
            }
        };
        let host_key = self.host_key.clone().unwrap_or_default();
        if host_key.trim().is_empty() {
            problems.push(
                "source.host_key is required for an sftp source: the server's public key \
                 (\"ssh-ed25519 AAAA…\", as in known_hosts) or its fingerprint (\"SHA256:…\")"
                    .into(),
            );
        } else if !host_key.starts_with("SHA256:") && host_key.split_whitespace().count() < 2 {
            problems.push(
                "source.host_key must be \"TYPE BASE64\" (as in known_hosts) or \"SHA256:…\""
                    .into(),
            );
        }
        if self.key_file.is_none() && self.password_env.is_none() {
            problems.push(
                "an sftp source needs source.key_file or source.password_env to log in".into(),
            );
        }
        if self.key_passphrase_env.is_some() && self.key_file.is_none() {
            problems.push("source.key_passphrase_env needs source.key_file".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SftpSource {
            url: url.to_string(),
            user,
            host,
            port,
            path,
            host_key: host_key.trim().to_string(),
            key_file: self.key_file.clone(),
            key_passphrase_env: self.key_passphrase_env.clone(),
            password_env: self.password_env.clone(),
        })
    }
}

/// `sftp://user@host[:port]/path` → (user, host, port, path); the host may be an IPv6
/// address in brackets.
fn parse_sftp_url(url: &str) -> Option<(String, String, u16, String)> {
    let rest = url.strip_prefix("sftp://")?;
    let slash = rest.find('/')?;
    let (authority, path) = rest.split_at(slash);
    let (user, host_port) = authority.rsplit_once('@')?;
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after.strip_prefix(':') {
            Some(p) => (host, p.parse().ok()?),
            None if after.is_empty() => (host, 22),
            None => return None,
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (host_port, 22),
        }
    };
    if user.is_empty() || host.is_empty() || path.len() < 2 || port == 0 {
        return None;
    }
    Some((user.into(), host.into(), port, path.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sftp_urls_parse() {
        assert_eq!(
            parse_sftp_url("sftp://fidelis@files.example.com/outbox"),
            Some((
                "fidelis".into(),
                "files.example.com".into(),
                22,
                "/outbox".into()
            ))
        );
        assert_eq!(
            parse_sftp_url("sftp://u@[::1]:2222/~/in").map(|p| (p.1, p.2, p.3)),
            Some(("::1".into(), 2222, "/~/in".into()))
        );
        for bad in [
            "sftp://host/outbox",
            "sftp://u@host",
            "sftp://u@host:x/out",
            "sftp://u@host:0/out",
            "ftp://u@host/out",
            "sftp://u@host/",
        ] {
            assert_eq!(parse_sftp_url(bad), None, "{bad}");
        }
    }
}
