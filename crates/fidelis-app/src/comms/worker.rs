//! The delivery worker inside `serve`: every second it leases the due messages of each
//! org, hands each to its channel's gateway and records the outcome (Sent / Delivered, a
//! retry with backoff, or Failed).
//!
//! A lease is committed before the gateway is called and lasts longer than a gateway call
//! may take, so several servers never send one message at once, and a server that dies
//! mid-delivery leaves its messages leased until the lease lapses; then another server
//! sends them. See docs/comms.md for the one window in which that may repeat a message.

use std::time::Duration;

use fidelis_domain::comms::{next_attempt, Channel, Outcome};
use fidelis_domain::org::OrgId;
use fidelis_store::comms::{Claimed, Finish};
use tokio::sync::watch;

use super::gateway::{EmailOut, SmsOut};
use crate::{App, AppError};

/// How often the worker looks for due messages.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Messages one worker leases per org and channel at a time.
const BATCH: i64 = 20;

/// What one pass of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Attempts made.
    pub attempted: usize,
    /// Messages the gateway accepted.
    pub sent: usize,
    /// Messages to be tried again.
    pub retrying: usize,
    /// Messages given up.
    pub failed: usize,
}

impl super::Comms<'_> {
    /// One pass: every due message of every org whose channel has a gateway, as `holder`.
    pub async fn deliver_due(&self, holder: &str) -> Result<DeliveryReport, AppError> {
        let mut report = DeliveryReport::default();
        let orgs = self.app.db.jobs().org_ids().await?;
        for org in orgs {
            for channel in [Channel::Sms, Channel::Email] {
                let has_gateway = match channel {
                    Channel::Sms => self.app.delivery.sms.is_some(),
                    Channel::Email => self.app.delivery.email.is_some(),
                };
                if has_gateway {
                    self.deliver_org(org, channel, holder, &mut report).await?;
                }
            }
        }
        Ok(report)
    }

    async fn deliver_org(
        &self,
        org_id: OrgId,
        channel: Channel,
        holder: &str,
        report: &mut DeliveryReport,
    ) -> Result<(), AppError> {
        let db = &self.app.db;
        let now = self.app.now();
        let until = now.saturating_add(self.app.delivery.lease).unwrap_or(now);
        let claimed = db
            .comms()
            .claim(org_id, channel, holder, now, until, BATCH)
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        let org_code = db
            .orgs()
            .get(org_id)
            .await?
            .map(|o| o.code)
            .unwrap_or_default();
        for c in claimed {
            let outcome = self.attempt(&org_code, &c).await;
            let now = self.app.now();
            let (status, retry_at) = next_attempt(c.message.attempts, &outcome, now);
            let (error, reference) = match &outcome {
                Outcome::Accepted { reference, .. } => (None, reference.clone()),
                Outcome::Temporary(e) | Outcome::Permanent(e) => (Some(e.clone()), None),
            };
            match &outcome {
                Outcome::Accepted { .. } => report.sent += 1,
                _ if retry_at.is_some() => report.retrying += 1,
                _ => report.failed += 1,
            }
            report.attempted += 1;
            if let Some(e) = &error {
                tracing::warn!(org = %org_code, id = c.message.id, channel = channel.as_str(),
                    attempt = c.message.attempts, status = status.as_str(), error = %e,
                    "delivery attempt failed");
            }
            metrics::counter!("fidelis_comms_attempts_total",
                "channel" => channel.as_str(), "status" => status.as_str())
            .increment(1);
            let kept = db
                .comms()
                .finish(
                    org_id,
                    c.message.id,
                    holder,
                    &Finish {
                        status,
                        retry_at,
                        error,
                        reference,
                    },
                    now,
                )
                .await?;
            if !kept {
                tracing::warn!(
                    id = c.message.id,
                    "lease lapsed during delivery; outcome not recorded"
                );
            }
        }
        Ok(())
    }

    async fn attempt(&self, org: &str, c: &Claimed) -> Outcome {
        let m = &c.message;
        match m.channel {
            Channel::Sms => match &self.app.delivery.sms {
                Some(g) => {
                    g.send(SmsOut {
                        org,
                        id: m.id,
                        to: &m.recipient,
                        sender: &m.sender,
                        body: &m.body,
                    })
                    .await
                }
                None => Outcome::Temporary("no SMS gateway configured".into()),
            },
            Channel::Email => match &self.app.delivery.email {
                Some(g) => {
                    g.send(EmailOut {
                        org,
                        id: m.id,
                        from: &m.sender,
                        to: &m.recipient,
                        cc: &m.cc,
                        bcc: &m.bcc,
                        subject: &m.subject,
                        body: &m.body,
                        attachments: &m.attachments,
                    })
                    .await
                }
                None => Outcome::Temporary("no email gateway configured".into()),
            },
        }
    }
}

/// Runs the worker every `INTERVAL` until `stop` changes. A pass in progress finishes its
/// attempts first, so a graceful shutdown leaves no message leased.
pub fn spawn(app: App, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    let holder = format!("comms-{:016x}", rand::random::<u64>());
    tracing::info!(delivery = ?app.delivery, "comms delivery worker started");
    tokio::spawn(async move {
        loop {
            if let Err(e) = app.comms().deliver_due(&holder).await {
                tracing::warn!(error = %e, "comms delivery pass failed; will retry");
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
    })
}
