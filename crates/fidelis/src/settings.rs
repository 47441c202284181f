//! Typed settings: defaults, then an optional TOML file, then FIDELIS_* environment
//! variables, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fidelis_server::EdgeLimits;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Where `serve --demo` writes SMS when no gateway is configured.
pub const DEMO_SMS_FILE: &str = "file:fidelis-sms.jsonl";

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
    /// Where email goes: `smtp://host:port`, `smtps://user:pass@host:465`. May carry a
    /// password, so it is never printed as is.
    pub smtp_url: Option<String>,
    /// Where SMS go: `kannel://user:pass@host:13013` or `file:PATH`.
    pub sms_url: Option<String>,
    /// Seconds a server's lease on a message it is sending lasts (longer than a gateway
    /// call may take).
    pub comms_lease_seconds: u64,
    /// Connect+ dataflows run by `serve` (`[connect]`).
    #[serde(default)]
    pub connect: ConnectSettings,
    /// The Member Care console (`[console]`).
    #[serde(default)]
    pub console: ConsoleSettings,
}

/// `[console]`: deployment settings of the Member Care console.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// `[console.google]`: "Sign in with Google"; without it the console offers only
    /// passwords.
    pub google: Option<fidelis_app::console::GoogleSettings>,
}

/// `[connect]`: which dataflows `serve` knows (uploads) and schedules (pickup).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectSettings {
    /// A folder of dataflow files: every `*.toml` in it. None: no dataflows.
    pub dataflows: Option<PathBuf>,
    /// Upload inboxes of dataflows without a source folder: `UPLOADS/NAME`.
    pub uploads: PathBuf,
    /// Where fetched (SFTP) and decrypted copies wait while they are handled; default
    /// `fidelis-staging` in the system's temporary folder.
    pub staging: Option<PathBuf>,
    /// Seconds between two polls of a dataflow's sources; a file is taken once it has not
    /// changed for one poll.
    pub poll_seconds: u64,
    /// The largest upload stored, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            dataflows: None,
            uploads: PathBuf::from("uploads"),
            staging: None,
            poll_seconds: 30,
            max_upload_bytes: fidelis_server::DEFAULT_MAX_UPLOAD_BYTES,
        }
    }
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
            smtp_url: None,
            sms_url: None,
            comms_lease_seconds: 60,
            connect: ConnectSettings::default(),
            console: ConsoleSettings::default(),
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
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("sms_url", &self.sms_url.as_deref().map(redact))
            .field("comms_lease_seconds", &self.comms_lease_seconds)
            .field("connect", &self.connect)
            .field("console", &self.console)
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
                "smtp_url",
                "sms_url",
                "comms_lease_seconds",
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
            ("comms_lease_seconds", self.comms_lease_seconds),
            ("connect.poll_seconds", self.connect.poll_seconds),
            ("connect.max_upload_bytes", self.connect.max_upload_bytes),
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

    /// How `serve` delivers messages: the configured gateways; with `demo` and none
    /// configured, SMS to `file:fidelis-sms.jsonl` in the working folder and email only
    /// logged (it stays queued).
    pub fn delivery(&self, demo: bool) -> anyhow::Result<fidelis_app::comms::Delivery> {
        let lease = i64::try_from(self.comms_lease_seconds)
            .map_err(|_| anyhow::anyhow!("comms_lease_seconds is too large"))?;
        let mut d = fidelis_app::comms::Delivery {
            lease: jiff::SignedDuration::from_secs(lease),
            ..Default::default()
        };
        if let Some(url) = self.sms_url.as_deref().filter(|u| !u.is_empty()) {
            d.sms = Some(fidelis_comms::sms_gateway(url).map_err(anyhow::Error::msg)?);
        } else if demo {
            d.sms = Some(fidelis_comms::sms_gateway(DEMO_SMS_FILE).map_err(anyhow::Error::msg)?);
        }
        if let Some(url) = self.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            d.email = Some(fidelis_comms::email_gateway(url).map_err(anyhow::Error::msg)?);
        } else if demo {
            d.email = Some(std::sync::Arc::new(fidelis_comms::log::LogOnly));
        }
        Ok(d)
    }

    /// The dataflows of `[connect] dataflows` (none when unset), checked: every problem of
    /// every file is reported.
    pub fn dataflows(&self) -> anyhow::Result<fidelis_connect::sources::Dataflows> {
        let Some(dir) = &self.connect.dataflows else {
            return Ok(Default::default());
        };
        fidelis_connect::sources::Dataflows::load_dir(dir, &self.connect.uploads).map_err(
            |problems| anyhow::anyhow!("the dataflows cannot be served:\n{}", problems.join("\n")),
        )
    }

    /// "Sign in with Google" for the console, when `[console.google]` is set; its settings
    /// are checked here, at start-up (the provider is contacted at the first sign-in).
    pub fn google_sign_in(&self) -> anyhow::Result<Option<fidelis_app::console::GoogleSignIn>> {
        let Some(settings) = &self.console.google else {
            return Ok(None);
        };
        fidelis_app::console::GoogleSignIn::new(settings)
            .map(Some)
            .map_err(anyhow::Error::msg)
    }

    /// Where fetched and decrypted copies wait.
    pub fn staging(&self) -> PathBuf {
        self.connect
            .staging
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("fidelis-staging"))
    }

    /// The database URL with any password replaced by `***`.
    pub fn redacted_database_url(&self) -> String {
        redact(&self.database_url)
    }
}

/// `url` with every password replaced by `***`: the userinfo password
/// (`postgres://user:pass@host/db`, also when the password holds raw `@`, `/` or `?`), any
/// query parameter whose name contains `password` (`?password=…`, `sslpassword=…`), and
/// `password=…` words of a keyword/value connection string. When a password is ambiguous,
/// more is hidden rather than less.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_words(url);
    };
    let (authority, query) = split_query(rest);
    let authority = match (authority.find(':'), authority.find('@')) {
        // `user:password@host`; a `:` after the first `@` or after a `/` is a port or in
        // the path, not a password.
        (Some(colon), Some(first_at))
            if colon < first_at && authority[..colon].find('/').is_none() =>
        {
            let last_at = authority.rfind('@').unwrap_or(first_at);
            format!("{}:***@{}", &authority[..colon], &authority[last_at + 1..])
        }
        _ => authority.to_string(),
    };
    match query {
        Some(query) => format!("{scheme}://{authority}?{}", redact_query(query)),
        None => format!("{scheme}://{authority}"),
    }
}

/// Splits after-the-scheme text into what precedes the query and the query. The query
/// starts at the first `?` after the path that follows the first `@` (or after that `@`
/// when there is no path), so a raw `?` or `/` in a password stays with the password.
fn split_query(rest: &str) -> (&str, Option<&str>) {
    let from = match rest.find('@') {
        Some(at) => rest[at..].find('/').map_or(at, |slash| at + slash),
        None => 0,
    };
    match rest[from..].find('?') {
        Some(q) => (&rest[..from + q], Some(&rest[from + q + 1..])),
        None => (rest, None),
    }
}

fn is_password_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_password_key(key) => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `host=db password=secret` style: every `…password=value` word hidden.
fn redact_words(dsn: &str) -> String {
    dsn.split(' ')
        .map(|word| match word.split_once('=') {
            Some((key, _)) if is_password_key(key) => format!("{key}=***"),
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
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
    fn passwords_are_redacted_in_every_form() {
        let cases = [
            (
                "postgres://app:hunter2@db:5432/fidelis",
                "postgres://app:***@db:5432/fidelis",
            ),
            // Raw `@` (and `/`, `?`) in the password.
            (
                "postgres://app:hun@ter@2@db/fidelis",
                "postgres://app:***@db/fidelis",
            ),
            (
                "postgres://app:h/u?n@t@db/fidelis?sslmode=require",
                "postgres://app:***@db/fidelis?sslmode=require",
            ),
            (
                "postgres://app:hun%40ter2@db/fidelis",
                "postgres://app:***@db/fidelis",
            ),
            // Query parameters, whatever their case, also with userinfo.
            (
                "postgres://db/fidelis?user=app&password=hunter2&sslmode=require",
                "postgres://db/fidelis?user=app&password=***&sslmode=require",
            ),
            (
                "postgresql://app:hunter2@db/fidelis?sslpassword=hunter2&Password=hunter2",
                "postgresql://app:***@db/fidelis?sslpassword=***&Password=***",
            ),
            (
                "postgres://db?password=hunter2",
                "postgres://db?password=***",
            ),
            // Keyword/value form.
            (
                "host=db user=app password=hunter2 dbname=fidelis",
                "host=db user=app password=*** dbname=fidelis",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("hunter2"), "{url}");
            assert!(!redact(url).contains("ter"), "{url}");
        }
    }

    #[test]
    fn urls_without_passwords_are_unchanged() {
        for url in [
            "sqlite://fidelis.db",
            "sqlite://fidelis.db?mode=rwc",
            "postgres://app@db:5432/fidelis",
            "postgres://db:5432/fidelis?sslmode=require",
            "postgres://app@db:5432/fidelis?options=a@b",
        ] {
            assert_eq!(redact(url), url);
        }
        // An `@` in the query is not mistaken for the end of the password.
        assert_eq!(
            redact("postgres://app:pw@db/x?application_name=a@b"),
            "postgres://app:***@db/x?application_name=a@b"
        );
    }

    #[test]
    fn gateway_passwords_never_show_and_demo_has_defaults() {
        let s = Settings {
            smtp_url: Some("smtps://mail:hunter2@smtp.example.com:465".into()),
            sms_url: Some("kannel://k:s3cret@127.0.0.1:13013".into()),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        let d = s.delivery(false).unwrap();
        assert!(d.sms.is_some() && d.email.is_some());
        let none = Settings::default().delivery(false).unwrap();
        assert!(none.sms.is_none() && none.email.is_none());
        let demo = Settings::default().delivery(true).unwrap();
        assert_eq!(demo.sms.unwrap().describe(), "file:fidelis-sms.jsonl");
        assert!(demo.email.is_some());
        let bad = Settings {
            sms_url: Some("carrier-pigeon://x".into()),
            ..Settings::default()
        };
        assert!(bad.delivery(false).is_err());
    }

    #[test]
    fn connect_settings_name_the_dataflows_served() {
        let dir = std::env::temp_dir().join(format!("fidelis-settings-{}", std::process::id()));
        let flows = dir.join("flows");
        std::fs::create_dir_all(&flows).unwrap();
        std::fs::write(
            flows.join("bills.toml"),
            "name = \"bills\"\ntemplate = \"transaction-v2-add\"\n[mapping]\n\
             billNumber = \"No\"\nbillAmount = \"Amount\"\nmobile = \"Mobile\"\n\
             [attribution]\ntill = \"demo.till\"\n",
        )
        .unwrap();
        let file = dir.join("fidelis.toml");
        std::fs::write(
            &file,
            format!(
                "[connect]\ndataflows = \"{}\"\npoll_seconds = 5\n",
                flows.display()
            ),
        )
        .unwrap();
        let s = Settings::load(Some(&file), Overrides::default()).unwrap();
        assert_eq!(s.connect.poll_seconds, 5);
        assert_eq!(s.connect.uploads, PathBuf::from("uploads"));
        let known = s.dataflows().unwrap();
        assert_eq!(
            known.get("bills").map(|r| r.inbox.clone()),
            Some(PathBuf::from("uploads/bills"))
        );
        // A bad dataflow stops the start, naming its file.
        std::fs::write(
            flows.join("broken.toml"),
            "name = \"x\"\ntemplate = \"nope\"\n",
        )
        .unwrap();
        let e = s.dataflows().unwrap_err().to_string();
        assert!(e.contains("broken.toml"), "{e}");
        assert!(Settings::default().dataflows().unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn google_sign_in_is_typed_checked_and_its_secret_never_shows() {
        let dir = std::env::temp_dir().join(format!("fidelis-google-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("fidelis.toml");
        std::fs::write(
            &file,
            "[console.google]\nclient_id = \"123.apps.googleusercontent.com\"\n\
             client_secret = \"hunter2\"\n\
             redirect_url = \"https://care.example.com/console/login/google/callback\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&file), Overrides::default()).unwrap();
        let g = s.console.google.as_ref().unwrap();
        assert_eq!(g.issuer, "https://accounts.google.com");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(s.google_sign_in().unwrap().is_some());
        assert!(Settings::default().google_sign_in().unwrap().is_none());

        // A redirect URL that is no URL stops the start; so does a missing field.
        let mut bad = s.clone();
        if let Some(g) = bad.console.google.as_mut() {
            g.redirect_url = "care.example.com/callback".into();
        }
        let e = bad.google_sign_in().err().unwrap().to_string();
        assert!(e.contains("redirect_url"), "{e}");
        std::fs::write(&file, "[console.google]\nclient_id = \"x\"\n").unwrap();
        assert!(Settings::load(Some(&file), Overrides::default()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
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
