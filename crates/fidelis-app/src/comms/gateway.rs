//! The ports delivery goes through: one small trait per channel. Adapters (SMTP, Kannel,
//! a JSON-lines file, a log) live in `fidelis-comms`; the binary picks them from settings.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use fidelis_domain::comms::{Attachment, Outcome};
use jiff::SignedDuration;

/// An SMS as a gateway sends it.
#[derive(Debug, Clone, Copy)]
pub struct SmsOut<'a> {
    /// The org's code.
    pub org: &'a str,
    /// The message id (unique per org).
    pub id: i64,
    pub to: &'a str,
    pub sender: &'a str,
    pub body: &'a str,
}

/// An email as a gateway sends it.
#[derive(Debug, Clone, Copy)]
pub struct EmailOut<'a> {
    pub org: &'a str,
    pub id: i64,
    /// `Name <address>` or `address`.
    pub from: &'a str,
    pub to: &'a str,
    pub cc: &'a [String],
    pub bcc: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub attachments: &'a [Attachment],
}

pub type Sending<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

pub trait SmsGateway: Send + Sync {
    /// What it is, for logs (`file:/tmp/sms.jsonl`, `kannel://host:13013`).
    fn describe(&self) -> String;
    fn send<'a>(&'a self, sms: SmsOut<'a>) -> Sending<'a>;
}

pub trait EmailGateway: Send + Sync {
    fn describe(&self) -> String;
    fn send<'a>(&'a self, email: EmailOut<'a>) -> Sending<'a>;
}

/// How `serve` delivers: the gateway of each channel (a channel without one keeps its
/// messages queued), and how long a worker's lease on a message lasts — longer than any
/// gateway call may take, so a live worker never loses a message it is sending.
#[derive(Clone)]
pub struct Delivery {
    pub sms: Option<Arc<dyn SmsGateway>>,
    pub email: Option<Arc<dyn EmailGateway>>,
    pub lease: SignedDuration,
}

/// The default lease on a message being sent.
pub const LEASE: SignedDuration = SignedDuration::from_secs(60);

impl Default for Delivery {
    fn default() -> Self {
        Self {
            sms: None,
            email: None,
            lease: LEASE,
        }
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("sms", &self.sms.as_ref().map(|g| g.describe()))
            .field("email", &self.email.as_ref().map(|g| g.describe()))
            .field("lease", &self.lease)
            .finish()
    }
}
