//! Typed settings: defaults, then an optional TOML file, then FIDELIS_* environment
//! variables, then command-line flags.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use fidelis_server::EdgeLimits;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Settings {
    /// May carry a password, so it is never printed as is.
    pub database_url: String,
    pub listen: SocketAddr,
    pub metrics_listen: SocketAddr,
    /// `tracing` filter, e.g. `info` or `fidelis=debug`.
    pub log: String,
    /// `text` or `json`.
    pub log_format: String,
    /// API connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds a client has to send a complete request head.
    pub header_read_timeout_seconds: u64,
    /// Seconds a handler has to answer before the request answers 503.
    pub request_timeout_seconds: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_timeout_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let limits = EdgeLimits::default();
        Self {
            database_url: "sqlite://fidelis.db".into(),
            listen: ([127, 0, 0, 1], 8080).into(),
            metrics_listen: ([127, 0, 0, 1], 9090).into(),
            log: "info".into(),
            log_format: "text".into(),
            max_connections: limits.max_connections,
            header_read_timeout_seconds: limits.header_read_timeout.as_secs(),
            request_timeout_seconds: limits.request_timeout.as_secs(),
            keep_alive_timeout_seconds: limits.keep_alive_timeout.as_secs(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.redacted_database_url())
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("max_connections", &self.max_connections)
            .field(
                "header_read_timeout_seconds",
                &self.header_read_timeout_seconds,
            )
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field(
                "keep_alive_timeout_seconds",
                &self.keep_alive_timeout_seconds,
            )
            .finish()
    }
}

/// Values given as flags, which win over everything else.
#[derive(Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<String>,
}

impl Settings {
    pub fn load(file: Option<&Path>, flags: Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("settings file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment
            .merge(Env::prefixed("FIDELIS_").only(&[
                "database_url",
                "listen",
                "metrics_listen",
                "log",
                "log_format",
                "max_connections",
                "header_read_timeout_seconds",
                "request_timeout_seconds",
                "keep_alive_timeout_seconds",
            ]))
            .merge(Serialized::defaults(flags));
        let settings: Settings = figment.extract()?;
        settings.check()?;
        Ok(settings)
    }

    /// Limits of zero would refuse every connection or close it at once.
    fn check(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("max_connections", self.max_connections as u64),
            (
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds,
            ),
            ("request_timeout_seconds", self.request_timeout_seconds),
            (
                "keep_alive_timeout_seconds",
                self.keep_alive_timeout_seconds,
            ),
        ] {
            if value == 0 {
                anyhow::bail!("setting {name} must be at least 1");
            }
        }
        Ok(())
    }

    /// The API listener's connection and request limits.
    pub fn edge_limits(&self) -> EdgeLimits {
        EdgeLimits {
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            request_timeout: Duration::from_secs(self.request_timeout_seconds),
            keep_alive_timeout: Duration::from_secs(self.keep_alive_timeout_seconds),
        }
    }

    /// The database URL with any password replaced by `***`.
    pub fn redacted_database_url(&self) -> String {
        redact(&self.database_url)
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

pub fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_password_never_shows() {
        let s = Settings {
            database_url: "postgres://app:hunter2@db:5432/fidelis".into(),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/fidelis"));
    }

    #[test]
    fn flags_win_over_defaults() {
        let s = Settings::load(
            None,
            Overrides {
                listen: Some("127.0.0.1:18080".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.listen.port(), 18080);
        assert_eq!(s.metrics_listen.port(), 9090);
    }

    #[test]
    fn edge_limits_are_settings_with_defaults() {
        let s = Settings::default();
        assert_eq!(s.edge_limits(), EdgeLimits::default());
        let s = Settings {
            max_connections: 8,
            header_read_timeout_seconds: 2,
            request_timeout_seconds: 3,
            keep_alive_timeout_seconds: 4,
            ..Settings::default()
        };
        let limits = s.edge_limits();
        assert_eq!(limits.max_connections, 8);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.request_timeout, Duration::from_secs(3));
        assert_eq!(limits.keep_alive_timeout, Duration::from_secs(4));
        let zero = Settings {
            request_timeout_seconds: 0,
            ..Settings::default()
        };
        let err = zero.check().unwrap_err().to_string();
        assert!(err.contains("request_timeout_seconds"), "{err}");
    }
}
