//! `kannel://user:pass@host:port`: Kannel's HTTP `sendsms` interface (the smsbox's
//! `sendsms-port`). Kannel answers 202 when it accepted a message for its SMSC (the
//! message is then Sent); a 4xx refuses the message itself (Failed); anything else —
//! connection refused, a timeout, 503 — is worth another attempt.

use fidelis_app::comms::{Sending, SmsGateway, SmsOut};
use fidelis_domain::comms::{MessageStatus, Outcome};
use percent_encoding::percent_decode_str;

pub struct Kannel {
    endpoint: String,
    user: String,
    password: String,
    client: reqwest::Client,
}

impl Kannel {
    pub fn from_url(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("{}: {e}", super::redact(raw)))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("{}: no host", super::redact(raw)))?;
        let port = url.port().unwrap_or(13013);
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let client = reqwest::Client::builder()
            .timeout(super::GATEWAY_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            endpoint: format!("http://{host}:{port}/cgi-bin/sendsms"),
            user: decode(url.username()),
            password: decode(url.password().unwrap_or_default()),
            client,
        })
    }

    async fn post(&self, sms: SmsOut<'_>) -> Outcome {
        let res = self
            .client
            .get(&self.endpoint)
            .query(&[
                ("username", self.user.as_str()),
                ("password", self.password.as_str()),
                ("from", sms.sender),
                ("to", sms.to),
                ("text", sms.body),
                ("charset", "UTF-8"),
            ])
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) => return Outcome::Temporary(format!("kannel {}: {e}", self.endpoint)),
        };
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let text = text.trim();
        if status.is_success() {
            Outcome::Accepted {
                status: MessageStatus::Sent,
                reference: None,
            }
        } else if status.is_client_error() {
            Outcome::Permanent(format!("kannel refused the message ({status}): {text}"))
        } else {
            Outcome::Temporary(format!("kannel answered {status}: {text}"))
        }
    }
}

impl SmsGateway for Kannel {
    fn describe(&self) -> String {
        format!("kannel {} as {}", self.endpoint, self.user)
    }

    fn send<'a>(&'a self, sms: SmsOut<'a>) -> Sending<'a> {
        Box::pin(self.post(sms))
    }
}
