//! The comms context on the wire: v1.1 (`snake_case`) and v2 (`camelCase`) message
//! elements parsed into drafts, and messages and interactions rendered.

use fidelis_app::comms::Ctx;
use fidelis_domain::comms::{Attachment, EmailDraft, SmsDraft};
use fidelis_store::comms::MessageRecord;
use jiff::Timestamp;
use serde_json::{json, Value};

use crate::api::local_time;
use crate::ApiError;

/// Which spelling the request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// v1.1: `scheduled_time`, `file_name`, …
    Snake,
    /// v2: `scheduledTime`, `fileName`, …
    Camel,
}

impl Style {
    fn key(self, snake: &'static str) -> String {
        match self {
            Style::Snake => snake.to_string(),
            Style::Camel => {
                let mut out = String::new();
                let mut upper = false;
                for c in snake.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.push(c.to_ascii_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// A text field as sent (numbers are accepted as text, e.g. a mobile number); other JSON
/// types are refused.
fn field(item: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match item.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::invalid(format!(
            "Invalid input: {name} must be a string"
        ))),
    }
}

/// An SMS element `{to, body, scheduled_time, sender}`.
pub fn sms_draft(item: &Value, country: &str) -> Result<SmsDraft, ApiError> {
    Ok(SmsDraft::check(
        field(item, "to")?.as_deref(),
        field(item, "body")?.as_deref(),
        field(item, "sender")?.as_deref(),
        field(item, "scheduled_time")?.as_deref(),
        country,
    )?)
}

/// An email element with its attachments (`attachments.attachment`, one object or a list).
pub fn email_draft(item: &Value, style: Style) -> Result<EmailDraft, ApiError> {
    let k = |s| style.key(s);
    let attachments = match item.get("attachments") {
        None | Some(Value::Null) => vec![],
        Some(a) => {
            let list = match a.get("attachment").or(Some(a)) {
                Some(Value::Array(v)) => v.clone(),
                Some(v @ Value::Object(o)) if !o.contains_key("attachment") => vec![v.clone()],
                Some(Value::String(s)) if s.is_empty() => vec![],
                _ => {
                    return Err(ApiError::invalid(
                        "Invalid input: attachments must be {\"attachment\": [...]}",
                    ))
                }
            };
            list.iter()
                .map(|a| {
                    Ok(Attachment::from_wire(
                        field(a, &k("file_name"))?.as_deref(),
                        field(a, &k("file_type"))?.as_deref(),
                        field(a, &k("file_data"))?.as_deref(),
                        field(a, &k("file_encoding_type"))?.as_deref(),
                    )?)
                })
                .collect::<Result<Vec<_>, ApiError>>()?
        }
    };
    Ok(EmailDraft::check(
        field(item, "to")?.as_deref(),
        field(item, "cc")?.as_deref(),
        field(item, "bcc")?.as_deref(),
        field(item, "from")?.as_deref(),
        field(item, "subject")?.as_deref(),
        field(item, "body")?.as_deref(),
        attachments,
        field(item, &k("scheduled_time"))?.as_deref(),
    )?)
}

/// An instant as ISO 8601 with the org's offset (`2026-11-25T12:00:00+08:00`).
pub fn iso(t: Timestamp, ctx: &Ctx) -> String {
    t.to_zoned(ctx.org.time_zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn opt_iso(t: Option<Timestamp>, ctx: &Ctx) -> Value {
    t.map(|t| json!(iso(t, ctx))).unwrap_or(Value::Null)
}

fn opt_local(t: Option<Timestamp>, ctx: &Ctx) -> String {
    t.map(|t| local_time(t, &ctx.org.time_zone))
        .unwrap_or_default()
}

/// The `sms` object of v1.1 responses (send and fetch).
pub fn sms_json(m: &MessageRecord, ctx: &Ctx) -> Value {
    json!({
        "id": m.id.to_string(),
        "to": m.recipient,
        "status": m.status.as_str(),
        "scheduled_time": m.scheduled_time.clone().unwrap_or_default(),
        "message": m.body,
        "sender": m.sender,
        "ou": m.concept,
        "sent_time": opt_local(m.sent_at, ctx),
        "delivered_time": opt_local(m.delivered_at, ctx),
    })
}

/// The `email` object of v1.1 and v2 responses.
pub fn email_json(m: &MessageRecord, ctx: &Ctx, style: Style) -> Value {
    let mut v = json!({
        "id": m.id.to_string(),
        "to": m.recipient.replace(',', ", "),
        "cc": m.cc.join(", "),
        "bcc": m.bcc.join(", "),
        "from": m.sender,
        "status": m.status.as_str(),
        "subject": m.subject,
        "description": m.body,
        "attachments": m.attachments.iter().map(|a| json!({
            style.key("file_name"): a.file_name, style.key("file_type"): a.mime_type, "size": a.bytes.len()
        })).collect::<Vec<_>>(),
        "ou": m.concept,
    });
    v[style.key("scheduled_time")] = json!(m.scheduled_time.clone().unwrap_or_default());
    v[style.key("sent_time")] = json!(opt_local(m.sent_at, ctx));
    v
}

/// The first line of a body, at most 100 characters: what an interaction list shows.
fn summary(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or_default().trim();
    let mut s: String = line.chars().take(100).collect();
    if line.chars().count() > 100 {
        s.push('…');
    }
    s
}

/// One message as a v2 interaction; instants carry the org's offset.
pub fn interaction_json(m: &MessageRecord, ctx: &Ctx) -> Value {
    json!({
        "id": m.id,
        "channel": m.channel.as_str(),
        "sender": m.sender,
        "recipient": m.recipient,
        "subject": m.subject,
        "summary": summary(&m.body),
        "status": m.status.as_str(),
        "ou": m.concept,
        "attempts": m.attempts,
        "createdOn": iso(m.created_at, ctx),
        "sentOn": opt_iso(m.sent_at, ctx),
        "deliveredOn": opt_iso(m.delivered_at, ctx),
        "lastUpdatedOn": iso(m.updated_at, ctx),
    })
}

/// One message of a v1.1 interaction: `sent_time` as documented (`YYYY-MM-DD HH:MM:SS`,
/// org time, when it was sent; when it was queued until then) and `sent_at` with the offset.
pub fn v1_message_json(m: &MessageRecord, ctx: &Ctx) -> Value {
    let at = m.sent_at.unwrap_or(m.created_at);
    json!({
        "id": m.id.to_string(),
        "sender": m.sender,
        "receiver": m.recipient,
        "subject": if m.subject.is_empty() { summary(&m.body) } else { m.subject.clone() },
        "sent_time": local_time(at, &ctx.org.time_zone),
        "sent_at": iso(at, ctx),
        "status": m.status.as_str(),
    })
}
