//! The comms context: sender identities per org and per concept (OU), SMS and email
//! messages with their attachments, the delivery schedule (retries and backoff), quiet
//! hours for bulk SMS and who may receive bulk messages. Pure rules only: instants and
//! the org's zone are passed in. Decisions where the spec is silent are recorded in
//! docs/comms.md.

pub mod config;
pub mod delivery;
pub mod error;
pub mod message;
pub mod quiet;
pub mod senders;

pub use config::CommsConfig;
pub use delivery::{next_attempt, Outcome, MAX_ATTEMPTS};
pub use error::CommsError;
pub use message::{Attachment, Channel, EmailDraft, MessageStatus, SmsDraft};
pub use quiet::{bulk_recipient_allowed, QuietHours};
pub use senders::{ResolvedSender, SenderBook};
