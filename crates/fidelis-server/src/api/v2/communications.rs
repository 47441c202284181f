//! `POST /v2/communications/email` and `GET /v2/customers/{id}/interactions`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_domain::comms::Channel;
use fidelis_domain::customers::CustomerId;
use serde::Deserialize;
use serde_json::Value;

use crate::api::v1_1::send_emails;
use crate::auth::Principal;
use crate::comms::{interaction_json, Style};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

/// Queues emails (the v1.1 body in camelCase: `fileName`, `fileType`, `fileData`,
/// `fileEncodingType`, `scheduledTime`); the response is the documented v1.1-style
/// envelope.
#[utoipa::path(post, path = "/v2/communications/email", tag = "communications",
    request_body = Object,
    responses((status = 200, description = "`response.email` with its id and status Queued"),
              (status = 400, description = "Invalid email (4201) or address (4208)")))]
pub async fn send_email(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    send_emails(state, p, body, Style::Camel).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-100, default 10.
    pub limit: Option<i64>,
    /// Default 0.
    pub offset: Option<i64>,
    /// `SMS` or `EMAIL`; both when absent.
    pub channel: Option<String>,
}

/// A customer's interactions (every SMS and email sent to them), newest first, with
/// instants in ISO 8601 at the org's offset.
#[utoipa::path(get, path = "/v2/customers/{id}/interactions", tag = "customers",
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses((status = 200, description = "`{data[], pagination, warnings, errors}`"),
              (status = 400, description = "Bad paging or channel"),
              (status = 404, description = "No such customer (8015)")))]
pub async fn interactions(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.comms().context(&p).await?;
    let channel = match q
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => Some(Channel::parse(c).ok_or_else(|| {
            ApiError::invalid(format!("Invalid input: channel {c}; use SMS or EMAIL"))
        })?),
        None => None,
    };
    let query = fidelis_app::comms::InteractionQuery {
        channel,
        since: None,
        until: None,
        limit: q.limit.unwrap_or(10),
        offset: q.offset.unwrap_or(0),
    };
    let (list, total) = state
        .app
        .comms()
        .interactions(&ctx, CustomerId::new(id), &query)
        .await?;
    let data = list.iter().map(|m| interaction_json(m, &ctx)).collect();
    Ok(Json(crate::api::v2_page(
        data,
        query.limit,
        query.offset,
        usize::try_from(total).unwrap_or_default(),
    )))
}
