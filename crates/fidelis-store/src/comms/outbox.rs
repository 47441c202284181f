//! The outbox: messages, their leases and their delivery record.

use base64::Engine as _;
use fidelis_domain::comms::{Attachment, Channel, MessageStatus};
use fidelis_domain::customers::CustomerId;
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::CommsRepo;
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub channel: Channel,
    /// The customer it is for; when `None`, the owner of `customer_key` (a mobile number
    /// for SMS, an email address for email), if any.
    pub customer_id: Option<CustomerId>,
    pub customer_key: Option<String>,
    /// The recipient (several email addresses are comma-separated).
    pub recipient: String,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub sender: String,
    pub requested_sender: Option<String>,
    pub concept: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub scheduled_time: Option<String>,
    /// `TRANS` (the API) or `BULK`.
    pub priority: &'static str,
    /// Not to be sent before this instant.
    pub not_before: Timestamp,
    pub created_by: String,
}

/// Which of a customer's messages to list.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub channel: Option<Channel>,
    /// Created at or after.
    pub since: Option<Timestamp>,
    /// Created before.
    pub until: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: i64,
    pub org_id: OrgId,
    pub channel: Channel,
    pub customer_id: Option<CustomerId>,
    pub recipient: String,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub sender: String,
    pub requested_sender: Option<String>,
    pub concept: Option<String>,
    pub subject: String,
    pub body: String,
    /// Empty in listings (`interactions`), which do not read the files.
    pub attachments: Vec<Attachment>,
    pub scheduled_time: Option<String>,
    pub status: MessageStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub gateway_ref: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

/// A message leased to one worker for one attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: MessageRecord,
    pub lease_until: Timestamp,
}

/// How an attempt ended, to record.
#[derive(Debug, Clone)]
pub struct Finish {
    pub status: MessageStatus,
    /// When to try again (status Queued).
    pub retry_at: Option<Timestamp>,
    pub error: Option<String>,
    pub reference: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredAttachment {
    name: String,
    mime: String,
    data: String,
}

fn attachments_json(list: &[Attachment]) -> Result<String, StoreError> {
    let stored: Vec<StoredAttachment> = list
        .iter()
        .map(|a| StoredAttachment {
            name: a.file_name.clone(),
            mime: a.mime_type.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(&a.bytes),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))
}

fn attachments_from(text: &str) -> Result<Vec<Attachment>, StoreError> {
    let stored: Vec<StoredAttachment> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("attachments: {e}")))?;
    stored
        .into_iter()
        .map(|s| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.data.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("attachment {}: {e}", s.name)))?;
            Ok(Attachment {
                file_name: s.name,
                mime_type: s.mime,
                bytes,
            })
        })
        .collect()
}

const COLUMNS: &str = "id, org_id, channel, customer_id, recipient, cc, bcc, sender, \
    requested_sender, concept_code, subject, body, attachments, scheduled_time, status, \
    attempts, last_error, gateway_ref, created_at, sent_at, delivered_at, updated_at";

/// `COLUMNS` without the attachments' data (listings).
const LIST_COLUMNS: &str = "id, org_id, channel, customer_id, recipient, cc, bcc, sender, \
    requested_sender, concept_code, subject, body, '[]' AS attachments, scheduled_time, status, \
    attempts, last_error, gateway_ref, created_at, sent_at, delivered_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    org_id: i64,
    channel: String,
    customer_id: Option<i64>,
    recipient: String,
    cc: String,
    bcc: String,
    sender: String,
    requested_sender: Option<String>,
    concept_code: Option<String>,
    subject: String,
    body: String,
    attachments: String,
    scheduled_time: Option<String>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    gateway_ref: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    updated_at: i64,
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl TryFrom<Row> for MessageRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let channel = Channel::parse(&r.channel).ok_or_else(|| {
            StoreError::Corrupt(format!("message {}: channel {}", r.id, r.channel))
        })?;
        let status = MessageStatus::parse(&r.status)
            .ok_or_else(|| StoreError::Corrupt(format!("message {}: status {}", r.id, r.status)))?;
        Ok(Self {
            id: r.id,
            org_id: OrgId::new(r.org_id),
            channel,
            customer_id: r.customer_id.map(CustomerId::new),
            recipient: r.recipient,
            cc: split(&r.cc),
            bcc: split(&r.bcc),
            sender: r.sender,
            requested_sender: r.requested_sender,
            concept: r.concept_code,
            subject: r.subject,
            body: r.body,
            attachments: attachments_from(&r.attachments)?,
            scheduled_time: r.scheduled_time,
            status,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            last_error: r.last_error,
            gateway_ref: r.gateway_ref,
            created_at: from_db(r.created_at)?,
            sent_at: r.sent_at.map(from_db).transpose()?,
            delivered_at: r.delivered_at.map(from_db).transpose()?,
            updated_at: from_db(r.updated_at)?,
        })
    }
}

fn records(rows: Vec<Row>) -> Result<Vec<MessageRecord>, StoreError> {
    rows.into_iter().map(MessageRecord::try_from).collect()
}

impl CommsRepo<'_> {
    /// Queues `m` inside `unit`: it is sent only if the unit commits. Returns its id.
    pub async fn enqueue_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        m: &NewMessage,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let customer_id = match (m.customer_id, &m.customer_key) {
            (Some(c), _) => Some(c.get()),
            (None, None) => None,
            (None, Some(key)) => {
                let kind = match m.channel {
                    Channel::Sms => "mobile",
                    Channel::Email => "email",
                };
                let owner: Option<(i64,)> = sqlx::query_as(
                    "SELECT customer_id FROM customer_identifier_owners \
                     WHERE org_id = $1 AND kind = $2 AND value = $3",
                )
                .bind(org_id.get())
                .bind(kind)
                .bind(key)
                .fetch_optional(&mut **unit)
                .await?;
                owner.map(|(c,)| c)
            }
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO comms_messages (org_id, channel, customer_id, recipient, cc, bcc, \
             sender, requested_sender, concept_code, subject, body, attachments, scheduled_time, \
             priority, status, attempts, next_attempt_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, \
             $17, $18, $18) RETURNING id",
        )
        .bind(org_id.get())
        .bind(m.channel.as_str())
        .bind(customer_id)
        .bind(&m.recipient)
        .bind(m.cc.join(","))
        .bind(m.bcc.join(","))
        .bind(&m.sender)
        .bind(&m.requested_sender)
        .bind(&m.concept)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(attachments_json(&m.attachments)?)
        .bind(&m.scheduled_time)
        .bind(m.priority)
        .bind(MessageStatus::Queued.as_str())
        .bind(to_db(m.not_before.max(now)))
        .bind(&m.created_by)
        .bind(to_db(now))
        .fetch_one(&mut **unit)
        .await?;
        Ok(id)
    }

    /// One message of the org on `channel`, with its attachments.
    pub async fn get(
        &self,
        org_id: OrgId,
        channel: Channel,
        id: i64,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM comms_messages WHERE org_id = $1 AND id = $2 AND channel = $3"
        ))
        .bind(org_id.get())
        .bind(id)
        .bind(channel.as_str())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(MessageRecord::try_from).transpose()
    }

    /// A customer's messages, newest first (`limit` from `offset`), without attachment
    /// data, and how many there are in all. `channel` narrows to one channel; `since` and
    /// `until` to messages created in `[since, until)`.
    pub async fn for_customer(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
        q: &MessageQuery,
    ) -> Result<(Vec<MessageRecord>, i64), StoreError> {
        let (channel, since, until, limit, offset) =
            (q.channel, q.since, q.until, q.limit, q.offset);
        let filter = "org_id = $1 AND customer_id = $2 AND ($3 = '' OR channel = $3) \
                      AND created_at >= $4 AND created_at < $5";
        let channel = channel.map(Channel::as_str).unwrap_or("");
        let since = since.map(to_db).unwrap_or(i64::MIN);
        let until = until.map(to_db).unwrap_or(i64::MAX);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {LIST_COLUMNS} FROM comms_messages WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7"
        ))
        .bind(org_id.get())
        .bind(customer_id.get())
        .bind(channel)
        .bind(since)
        .bind(until)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.0.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM comms_messages WHERE {filter}"
        ))
        .bind(org_id.get())
        .bind(customer_id.get())
        .bind(channel)
        .bind(since)
        .bind(until)
        .fetch_one(self.0.reader())
        .await?;
        Ok((records(rows)?, total))
    }

    /// Leases up to `limit` queued messages of the org on `channel` that are due at `now` and not
    /// leased by a live worker to `holder` until `until`, counting the attempt. The lease
    /// is committed before this returns, so another worker never takes these messages
    /// while it holds.
    pub async fn claim(
        &self,
        org_id: OrgId,
        channel: Channel,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut unit = self.0.unit().await?;
        let free = "channel = $7 AND status = $5 AND next_attempt_at <= $4 \
                    AND (lease_until IS NULL OR lease_until <= $4)";
        let sql = format!(
            "UPDATE comms_messages SET lease_holder = $2, lease_until = $3, \
             attempts = attempts + 1, updated_at = $4 \
             WHERE org_id = $1 AND {free} AND id IN (\
                 SELECT id FROM comms_messages WHERE org_id = $1 AND {free} \
                 ORDER BY next_attempt_at, id LIMIT $6{}) \
             RETURNING {COLUMNS}",
            unit.backend().skip_locked()
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(org_id.get())
            .bind(holder)
            .bind(to_db(until))
            .bind(to_db(now))
            .bind(MessageStatus::Queued.as_str())
            .bind(limit)
            .bind(channel.as_str())
            .fetch_all(&mut *unit)
            .await?;
        unit.commit().await?;
        let mut out: Vec<Claimed> = records(rows)?
            .into_iter()
            .map(|message| Claimed {
                message,
                lease_until: until,
            })
            .collect();
        out.sort_by_key(|c| c.message.id);
        Ok(out)
    }

    /// Records how `holder`'s attempt at message `id` ended and gives its lease up. False
    /// when `holder` no longer holds the lease (it lapsed and another worker took it), in
    /// which case nothing is written.
    pub async fn finish(
        &self,
        org_id: OrgId,
        id: i64,
        holder: &str,
        f: &Finish,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let sent = matches!(f.status, MessageStatus::Sent | MessageStatus::Delivered);
        let delivered = f.status == MessageStatus::Delivered;
        let done = sqlx::query(
            "UPDATE comms_messages SET status = $4, lease_holder = NULL, lease_until = NULL, \
             next_attempt_at = COALESCE($5, next_attempt_at), last_error = $6, \
             gateway_ref = COALESCE($7, gateway_ref), \
             sent_at = CASE WHEN $8 = 1 THEN COALESCE(sent_at, $10) ELSE sent_at END, \
             delivered_at = CASE WHEN $9 = 1 THEN $10 ELSE delivered_at END, updated_at = $10 \
             WHERE org_id = $1 AND id = $2 AND lease_holder = $3",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(holder)
        .bind(f.status.as_str())
        .bind(f.retry_at.map(to_db))
        .bind(&f.error)
        .bind(&f.reference)
        .bind(i64::from(sent))
        .bind(i64::from(delivered))
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?
        .rows_affected();
        unit.commit().await?;
        Ok(done == 1)
    }
}
