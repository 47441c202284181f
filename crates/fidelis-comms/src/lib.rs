//! Delivery adapters for Fidelis's outbox, one per gateway, behind the app's ports
//! (`fidelis_app::comms::{SmsGateway, EmailGateway}`). Settings choose them by URL:
//!
//! | setting | URL | adapter |
//! |---|---|---|
//! | `FIDELIS_SMS_URL` | `kannel://user:pass@host:13013` | [`kannel::Kannel`]: Kannel's HTTP `sendsms` |
//! | `FIDELIS_SMS_URL` | `file:PATH` | [`file::JsonLines`]: one JSON object a line |
//! | `FIDELIS_SMTP_URL` | `smtp://[user:pass@]host:port`, `smtps://…` | [`smtp::Smtp`] (lettre) |
//! | neither (demo) | | [`file::JsonLines`] for SMS, [`log::LogOnly`] for email |

pub mod file;
pub mod kannel;
pub mod log;
pub mod smtp;

use std::sync::Arc;
use std::time::Duration;

use fidelis_app::comms::{EmailGateway, SmsGateway};

/// The longest a gateway call may take; leases on messages last longer.
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(20);

/// The SMS gateway a `FIDELIS_SMS_URL` names.
pub fn sms_gateway(url: &str) -> Result<Arc<dyn SmsGateway>, String> {
    if let Some(path) = url.strip_prefix("file:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err("file: SMS URL needs a path, e.g. file:sms.jsonl".into());
        }
        return Ok(Arc::new(file::JsonLines::new(path)));
    }
    if url.starts_with("kannel://") {
        return Ok(Arc::new(kannel::Kannel::from_url(url)?));
    }
    Err(format!(
        "unsupported SMS gateway URL {}: use kannel://user:pass@host:port or file:PATH",
        redact(url)
    ))
}

/// The email gateway a `FIDELIS_SMTP_URL` names.
pub fn email_gateway(url: &str) -> Result<Arc<dyn EmailGateway>, String> {
    if url.starts_with("smtp://") || url.starts_with("smtps://") {
        return Ok(Arc::new(smtp::Smtp::from_url(url)?));
    }
    Err(format!(
        "unsupported SMTP URL {}: use smtp://host:port or smtps://user:pass@host:465",
        redact(url)
    ))
}

/// `url` without the password of its userinfo, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.split('@').next_back().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_adapters_and_never_show_passwords() {
        assert!(sms_gateway("file:/tmp/x.jsonl")
            .unwrap()
            .describe()
            .contains("/tmp/x.jsonl"));
        let k = sms_gateway("kannel://tester:s3cret@127.0.0.1:13013").unwrap();
        assert!(!k.describe().contains("s3cret"), "{}", k.describe());
        assert!(sms_gateway("http://x").is_err());
        assert!(sms_gateway("file:").is_err());
        let e = email_gateway("smtps://u:hunter2@mail.example.com:465").unwrap();
        assert!(!e.describe().contains("hunter2"));
        let err = email_gateway("pop3://u:hunter2@x").err().unwrap();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
