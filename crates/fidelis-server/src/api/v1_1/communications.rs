//! `/v1.1/communications/sms`, `/v1.1/communications/email` and
//! `/v1.1/customer/interaction`: thin handlers over `fidelis_app::comms`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_domain::comms::Channel;
use fidelis_domain::customers::CustomerId;
use fidelis_domain::error::Success;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{json, Value};

use super::request::elements;
use crate::auth::Principal;
use crate::comms::{email_draft, email_json, sms_draft, sms_json, v1_message_json, Style};
use crate::json::ApiJson;
use crate::loyalty::goodwill::item_status;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` (the default) or `xml` (`crate::xml` converts the body and the answer).
    pub format: Option<String>,
}

impl FormatQuery {
    fn check(&self) -> Result<(), ApiError> {
        match self.format.as_deref().map(str::trim) {
            None | Some("") => Ok(()),
            Some(f) if f.eq_ignore_ascii_case("json") || f.eq_ignore_ascii_case("xml") => Ok(()),
            Some(f) => Err(ApiError::invalid(format!(
                "Input is invalid: format {f} is not supported; use format=json or format=xml"
            ))),
        }
    }
}

/// One element's result, or the request's error when the one element failed.
fn one_or_many(
    key: &str,
    results: Vec<Result<Value, ApiError>>,
    done: Success,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if let [Err(e)] = results.as_slice() {
        return Err(e.clone());
    }
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let total = results.len();
    let mut items: Vec<Value> = results
        .into_iter()
        .map(|r| {
            let status = item_status(r.as_ref().map(|_| done));
            let mut v = r.unwrap_or_else(|_| json!({}));
            v["item_status"] = status;
            v
        })
        .collect();
    let payload = if items.len() == 1 {
        items.pop().unwrap_or_default()
    } else {
        Value::Array(items)
    };
    // As documented for communications: the status code is a string ("200").
    let (code, message) = crate::error::batch_code(ok, total);
    let http = if ok == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let status =
        json!({"success": (ok > 0).to_string(), "code": code.to_string(), "message": message});
    Ok((
        http,
        Json(json!({"response": {"status": status, key: payload}})),
    ))
}

/// Queues SMS messages. A `sender` configured for the org is used with its OU; a missing
/// or unconfigured one falls back to the org default sender ID.
#[utoipa::path(post, path = "/v1.1/communications/sms", tag = "communications",
    params(FormatQuery), request_body = Object,
    responses((status = 200, description = "`sms` with its id, status Queued and the sender used"),
              (status = 400, description = "Invalid message (4101), or every message failed")))]
pub async fn send_sms(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<FormatQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    q.check()?;
    queue_each(state, p, body, Channel::Sms, Style::Snake).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdQuery {
    pub id: Option<String>,
    pub format: Option<String>,
}

fn message_id(raw: Option<&str>, channel: Channel) -> Result<i64, ApiError> {
    let not_found = || {
        ApiError::from(match channel {
            Channel::Sms => fidelis_domain::comms::CommsError::SmsNotFound,
            Channel::Email => fidelis_domain::comms::CommsError::EmailNotFound,
        })
    };
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("Input is invalid: id is required"))?;
    raw.parse::<i64>().map_err(|_| not_found())
}

/// An SMS by id: the sender actually used, its OU and its delivery status.
#[utoipa::path(get, path = "/v1.1/communications/sms", tag = "communications", params(IdQuery),
    responses((status = 200, description = "`sms{id, to, status, scheduled_time, message, sender}`"),
              (status = 404, description = "No such SMS (4102)")))]
pub async fn get_sms(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<IdQuery>,
) -> Result<Json<Value>, ApiError> {
    FormatQuery {
        format: q.format.clone(),
    }
    .check()?;
    let id = message_id(q.id.as_deref(), Channel::Sms)?;
    let ctx = state.app.comms().context(&p).await?;
    let m = state.app.comms().get(&ctx, Channel::Sms, id).await?;
    Ok(Json(super::super::v1_1_ok(
        json!({"sms": sms_json(&m, &ctx)}),
    )))
}

/// Queues emails; `file_encoding_type: base64` attachments are decoded (an image then
/// arrives as the image), others are attached as given. Invalid base64 queues nothing.
#[utoipa::path(post, path = "/v1.1/communications/email", tag = "communications",
    params(FormatQuery), request_body = Object,
    responses((status = 200, description = "`email` with its id and status Queued"),
              (status = 400, description = "Invalid email (4201) or address (4208)")))]
pub async fn send_email(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<FormatQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    q.check()?;
    send_emails(state, p, body, Style::Snake).await
}

/// The email batch of v1.1 and v2, which differ only in spelling.
pub(crate) async fn send_emails(
    state: AppState,
    p: Principal,
    body: Value,
    style: Style,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    queue_each(state, p, body, Channel::Email, style).await
}

/// Queues each element of `root.sms` / `root.email`; a failure of ours stops the batch.
async fn queue_each(
    state: AppState,
    p: Principal,
    body: Value,
    channel: Channel,
    style: Style,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (key, done) = match channel {
        Channel::Sms => ("sms", Success::SmsDone),
        Channel::Email => ("email", Success::EmailDone),
    };
    let items = elements(&body, key)?;
    let ctx = state.app.comms().context(&p).await?;
    let mut results = Vec::with_capacity(items.len());
    for item in &items {
        let r = queue_one(&state, &ctx, item, channel, style).await;
        if let Err(e) = &r {
            if e.is_internal() {
                return Err(e.clone());
            }
        }
        results.push(r);
    }
    one_or_many(key, results, done)
}

async fn queue_one(
    state: &AppState,
    ctx: &fidelis_app::comms::Ctx,
    item: &Value,
    channel: Channel,
    style: Style,
) -> Result<Value, ApiError> {
    let comms = state.app.comms();
    Ok(match channel {
        Channel::Sms => {
            let draft = sms_draft(item, &ctx.org.country)?;
            sms_json(&comms.send_sms(ctx, &draft).await?, ctx)
        }
        Channel::Email => {
            let draft = email_draft(item, style)?;
            email_json(&comms.send_email(ctx, &draft).await?, ctx, style)
        }
    })
}

/// An email by id with its delivery status.
#[utoipa::path(get, path = "/v1.1/communications/email", tag = "communications", params(IdQuery),
    responses((status = 200, description = "`email{id, to, cc, subject, description, status, sent_time}`"),
              (status = 404, description = "No such email (4202)")))]
pub async fn get_email(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<IdQuery>,
) -> Result<Json<Value>, ApiError> {
    FormatQuery {
        format: q.format.clone(),
    }
    .check()?;
    let id = message_id(q.id.as_deref(), Channel::Email)?;
    let ctx = state.app.comms().context(&p).await?;
    let m = state.app.comms().get(&ctx, Channel::Email, id).await?;
    Ok(Json(super::super::v1_1_ok(
        json!({"email": email_json(&m, &ctx, Style::Snake)}),
    )))
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionQuery {
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<String>,
    /// `capillary` (the messages Fidelis sent); other networks have no interactions.
    pub network: Option<String>,
    /// `sms` or `email`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, org time, inclusive.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, org time, inclusive.
    pub end_date: Option<String>,
    pub format: Option<String>,
}

/// The messages Fidelis sent a customer (SMS and email), newest first, times in the org's
/// zone.
#[utoipa::path(get, path = "/v1.1/customer/interaction", tag = "communications",
    params(InteractionQuery),
    responses((status = 200, description = "`customer{id, mobile, email, external_id, interactions{network[]}}`"),
              (status = 400, description = "No customer named, or a bad date or type"),
              (status = 404, description = "No such customer")))]
pub async fn interactions(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<InteractionQuery>,
) -> Result<Json<Value>, ApiError> {
    FormatQuery {
        format: q.format.clone(),
    }
    .check()?;
    let ctx = state.app.comms().context(&p).await?;
    let id = match nonblank(&q.id) {
        Some(raw) => Some(CustomerId::new(raw.parse::<i64>().map_err(|_| {
            ApiError::invalid(format!("Input is invalid: id {raw} is not a customer id"))
        })?)),
        None => None,
    };
    let identifier = [
        ("mobile", nonblank(&q.mobile)),
        ("email", nonblank(&q.email)),
        ("externalId", nonblank(&q.external_id)),
    ]
    .into_iter()
    .find_map(|(k, v)| v.map(|v| (k, v)));
    let contacts = state.app.comms().contacts(&ctx, id, identifier).await?;
    let channels: Vec<Channel> = match nonblank(&q.kind).map(str::to_ascii_lowercase).as_deref() {
        None => vec![Channel::Sms, Channel::Email],
        Some("sms") => vec![Channel::Sms],
        Some("email") | Some("emailbulk") => vec![Channel::Email],
        Some(_) => vec![],
    };
    let capillary = nonblank(&q.network).is_none_or(|n| n.eq_ignore_ascii_case("capillary"));
    let day = |raw: Option<&str>, field: &str| -> Result<Option<Date>, ApiError> {
        raw.map(|r| {
            r.parse::<Date>().map_err(|_| {
                ApiError::invalid(format!("Input is invalid: {field} must be YYYY-MM-DD"))
            })
        })
        .transpose()
    };
    let tz = ctx.org.time_zone.clone();
    let start = day(nonblank(&q.start_date), "start_date")?;
    let end = day(nonblank(&q.end_date), "end_date")?;
    let since = start
        .map(|d| d.to_zoned(tz.clone()).map(|z| z.timestamp()))
        .transpose()
        .map_err(|_| ApiError::invalid("Input is invalid: start_date"))?;
    let until = end
        .map(|d| {
            d.tomorrow()
                .and_then(|d| d.to_zoned(tz.clone()))
                .map(|z| z.timestamp())
        })
        .transpose()
        .map_err(|_| ApiError::invalid("Input is invalid: end_date"))?;
    let mut interaction = Vec::new();
    if capillary {
        for channel in channels {
            let query = fidelis_app::comms::InteractionQuery {
                channel: Some(channel),
                since,
                until,
                limit: fidelis_app::comms::MAX_PAGE,
                offset: 0,
            };
            let (list, total) = state
                .app
                .comms()
                .interactions(&ctx, CustomerId::new(contacts.id), &query)
                .await?;
            interaction.push(json!({
                "type": channel.as_str().to_ascii_lowercase(),
                "count": total.to_string(),
                "messages": {"message": list.iter().map(|m| v1_message_json(m, &ctx)).collect::<Vec<_>>()},
            }));
        }
    }
    let mut answer = super::super::v1_1_ok(json!({
        "customer": {
            "id": contacts.id.to_string(),
            "mobile": contacts.mobile.unwrap_or_default(),
            "email": contacts.email.unwrap_or_default(),
            "external_id": contacts.external_id.unwrap_or_default(),
            "interactions": {"network": [{"name": "capillary", "interaction": interaction}]},
        }
    }));
    // This call's documented status names its code `response_code` (sic); both are given.
    answer["response"]["status"]["response_code"] = answer["response"]["status"]["code"].clone();
    Ok(Json(answer))
}
