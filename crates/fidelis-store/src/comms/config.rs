//! Sender identities and the bulk SMS window, written from the org file.

use fidelis_domain::comms::message::email_address;
use fidelis_domain::comms::senders::ConceptSenders;
use fidelis_domain::comms::{CommsConfig, QuietHours};
use fidelis_domain::org::OrgId;
use jiff::civil::Time;

use super::CommsRepo;
use crate::org::ApplySummary;
use crate::{StoreError, Unit};

const SMS: &str = "SMS";
const EMAIL: &str = "EMAIL";

pub(crate) async fn apply_config(
    tx: &mut Unit,
    org_id: OrgId,
    config: &CommsConfig,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let before = read(tx, org_id).await?;
    sqlx::query("DELETE FROM comms_senders WHERE org_id = $1")
        .bind(org_id.get())
        .execute(&mut **tx)
        .await?;
    let mut rows: Vec<(&str, &str, String)> = Vec::new();
    if let Some(s) = &config.sms_default {
        rows.push((SMS, "", s.clone()));
    }
    if let Some(e) = &config.email_default {
        rows.push((EMAIL, "", e.clone()));
    }
    for c in &config.concepts {
        if let Some(s) = &c.sms_sender {
            rows.push((SMS, &c.concept, s.clone()));
        }
        if let Some(e) = &c.email_from {
            rows.push((EMAIL, &c.concept, e.to_string()));
        }
    }
    for (channel, concept, address) in rows {
        sqlx::query(
            "INSERT INTO comms_senders (org_id, channel, concept_code, address) VALUES ($1, $2, $3, $4)",
        )
        .bind(org_id.get())
        .bind(channel)
        .bind(concept)
        .bind(address)
        .execute(&mut **tx)
        .await?;
    }
    let minutes = |t: Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
    let (from, to) = match config.bulk_sms_hours {
        Some(h) => (Some(minutes(h.from)), Some(minutes(h.to))),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO comms_settings (org_id, bulk_sms_from, bulk_sms_to) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id) DO UPDATE SET bulk_sms_from = excluded.bulk_sms_from, \
         bulk_sms_to = excluded.bulk_sms_to",
    )
    .bind(org_id.get())
    .bind(from)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    let after = read(tx, org_id).await?;
    if before == after {
        summary.unchanged += 1;
    } else if before == CommsConfig::default() {
        summary.created += 1;
    } else {
        summary.updated += 1;
    }
    Ok(())
}

async fn read(conn: &mut sqlx::AnyConnection, org_id: OrgId) -> Result<CommsConfig, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT channel, concept_code, address FROM comms_senders WHERE org_id = $1 \
         ORDER BY concept_code, channel",
    )
    .bind(org_id.get())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = CommsConfig::default();
    for (channel, concept, address) in rows {
        if concept.is_empty() {
            match channel.as_str() {
                SMS => out.sms_default = Some(address),
                _ => out.email_default = Some(address),
            }
            continue;
        }
        let at = match out.concepts.iter().position(|c| c.concept == concept) {
            Some(i) => i,
            None => {
                out.concepts.push(ConceptSenders {
                    concept: concept.clone(),
                    sms_sender: None,
                    email_from: None,
                });
                out.concepts.len() - 1
            }
        };
        let entry = &mut out.concepts[at];
        match channel.as_str() {
            SMS => entry.sms_sender = Some(address),
            _ => {
                entry.email_from = Some(
                    email_address(&address)
                        .map_err(|e| StoreError::Corrupt(format!("comms sender {address}: {e}")))?,
                )
            }
        }
    }
    let hours: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT bulk_sms_from, bulk_sms_to FROM comms_settings WHERE org_id = $1")
            .bind(org_id.get())
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((Some(from), Some(to))) = hours {
        let time = |m: i64| {
            Time::new((m / 60) as i8, (m % 60) as i8, 0, 0)
                .map_err(|e| StoreError::Corrupt(format!("bulk SMS hours {m}: {e}")))
        };
        out.bulk_sms_hours = Some(QuietHours {
            from: time(from)?,
            to: time(to)?,
        });
    }
    Ok(out)
}

impl CommsRepo<'_> {
    /// The org's comms configuration as the org file last set it.
    pub async fn config(&self, org_id: OrgId) -> Result<CommsConfig, StoreError> {
        let mut conn = self.0.reader().acquire().await?;
        read(&mut conn, org_id).await
    }
}
