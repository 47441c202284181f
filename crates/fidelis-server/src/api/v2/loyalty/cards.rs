//! `/v2/card` and `/v2/card/series`: card series, card generation, cards and their status
//! labels. Issuing a card to a customer goes through the customer's identifiers
//! (registration or `changeIdentifier`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::loyalty::CardRef;
use fidelis_domain::customers::CustomerId;
use fidelis_domain::error::CodedError;
use fidelis_domain::loyalty::cards::CardStatus;
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_store::loyalty::{CardChange, NewCard, MAX_GENERATE};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Principal;
use crate::json::ApiJson;
use crate::loyalty::cards::{label, render_card, render_log, render_series, text, SeriesBody};
use crate::loyalty::Ctx;
use crate::{ApiError, AppState};

fn series_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| LoyaltyError::CardSeriesNotFound.into())
}

/// Creates a card series.
#[utoipa::path(post, path = "/v2/card/series", request_body = SeriesBody, tag = "cards",
    responses((status = 200, description = "`{entity: seriesId, warnings}`"),
              (status = 400, description = "3000 invalid series, 3001 code empty, 3002 code exists, 3003 type empty"),
              (status = 404, description = "1101 no such program")))]
pub async fn create_series(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<SeriesBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let series = body.series(&ctx, None)?;
    let s = state
        .app
        .loyalty()
        .create_card_series(&ctx, &series, body.is_active.unwrap_or(true))
        .await?;
    Ok(Json(json!({"entity": s.id, "warnings": []})))
}

/// Updates a card series (its code stays).
#[utoipa::path(put, path = "/v2/card/series/{seriesId}", request_body = SeriesBody, tag = "cards",
    params(("seriesId" = i64, Path, description = "Card series id")),
    responses((status = 200, description = "The series as updated, with `warnings`"),
              (status = 404, description = "3004 no such series")))]
pub async fn update_series(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<SeriesBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let id = series_id(&raw)?;
    let current = state.app.loyalty().card_series(&ctx, id).await?;
    let series = body.series(&ctx, Some(&current.series))?;
    let active = body.is_active.unwrap_or(current.is_active);
    let s = state
        .app
        .loyalty()
        .update_card_series(&ctx, id, &series, active)
        .await?;
    let mut v = render_series(&ctx, &s);
    v["warnings"] = json!([]);
    Ok(Json(v))
}

/// One card series.
#[utoipa::path(get, path = "/v2/card/series/{seriesId}", tag = "cards",
    params(("seriesId" = i64, Path, description = "Card series id")),
    responses((status = 200, description = "The series"),
              (status = 404, description = "3004 no such series")))]
pub async fn get_series(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let s = state
        .app
        .loyalty()
        .card_series(&ctx, series_id(&raw)?)
        .await?;
    let mut v = render_series(&ctx, &s);
    v["warnings"] = json!([]);
    Ok(Json(v))
}

/// Every card series of the org.
#[utoipa::path(get, path = "/v2/card/series/get/all", tag = "cards",
    responses((status = 200, description = "`{data: [series], warnings, errors}`")))]
pub async fn all_series(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let all = state.app.loyalty().all_card_series(&ctx).await?;
    let data: Vec<Value> = all.iter().map(|s| render_series(&ctx, s)).collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateBody {
    #[serde(alias = "seriesID")]
    pub series_id: Option<i64>,
    pub count: Option<u32>,
    pub status_label: Option<String>,
}

/// Generates NOT_ISSUED cards of a series from its numbering.
#[utoipa::path(post, path = "/v2/card/generate", request_body = GenerateBody, tag = "cards",
    responses((status = 200, description = "`{entity: [cardNumber], warnings}`; 3059 warns of numbers that existed"),
              (status = 400, description = "703 generation disabled, 702 numbers exhausted, 3017 label, 1060 count"),
              (status = 404, description = "3004 no such series")))]
pub async fn generate(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<GenerateBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let series = body.series_id.ok_or(LoyaltyError::CardSeriesNotFound)?;
    let count = body.count.ok_or(LoyaltyError::TooManyCards(MAX_GENERATE))?;
    let status = label(
        &ctx,
        Some(body.status_label.as_deref().unwrap_or("NOT_ISSUED")),
    )?;
    let (made, duplicates) = state
        .app
        .loyalty()
        .generate_cards(&ctx, series, count, &status)
        .await?;
    let warnings = if duplicates.is_empty() {
        json!([])
    } else {
        let w = LoyaltyError::CardNumbersExisted;
        json!([{"code": w.code(), "message": w.to_string(), "duplicates": duplicates}])
    };
    Ok(Json(json!({"entity": made, "warnings": warnings})))
}

/// A series' generation requests, newest first.
#[utoipa::path(get, path = "/v2/card/generation/logs/{seriesId}", tag = "cards",
    params(("seriesId" = i64, Path, description = "Card series id")),
    responses((status = 200, description = "`{entity: [generation], warnings}`"),
              (status = 404, description = "3004 no such series")))]
pub async fn generation_logs(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let logs = state
        .app
        .loyalty()
        .card_generation_log(&ctx, series_id(&raw)?)
        .await?;
    let data: Vec<Value> = logs
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "seriesId": l.series_id,
                "orgId": ctx.loyalty.org.id,
                "count": l.requested,
                "date": crate::api::local_time(l.at, ctx.tz()),
                "description": "",
                // Generated numbers are listed in the answer, not stored as a file.
                "fileHandle": null,
                "generatedCount": l.generated,
                "duplicateCount": l.duplicates,
                "firstCardNumber": l.first_number,
                "lastCardNumber": l.last_number,
                "statusLabel": l.label,
                "createdBy": l.actor,
                "createdOn": crate::api::local_time(l.at, ctx.tz()),
            })
        })
        .collect();
    Ok(Json(json!({"entity": data, "warnings": []})))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardBody {
    pub series_id: Option<i64>,
    pub series_code: Option<String>,
    pub card_number: Option<String>,
    pub card_external_id: Option<String>,
    pub status_label: Option<String>,
    pub status_info: Option<StatusInfo>,
    pub extended_fields: Option<Map<String, Value>>,
    pub custom_fields: Option<Map<String, Value>>,
    /// Issue the new card to this customer at once (on `POST` only).
    #[schema(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
}

const MAX_NUMBER: usize = 50;

fn card_number(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match text(raw) {
        Some(n) if n.chars().count() > MAX_NUMBER || n.chars().any(char::is_whitespace) => Err(
            ApiError::invalid("cardNumber must be at most 50 characters without spaces"),
        ),
        other => Ok(other),
    }
}

/// Adds a card to a series. Without `customerId` a new card is NOT_ISSUED (or under a label
/// of that status); with one it is issued to that customer at once, in the same
/// transaction as the customer's new `cardnumber` identifier.
#[utoipa::path(post, path = "/v2/card", request_body = CardBody, tag = "cards",
    responses((status = 200, description = "`{entity: cardId, warnings}`"),
              (status = 400, description = "3009 number exists, 3045 external id exists, 3017 label, 3036 active-card limit"),
              (status = 404, description = "3004 series, 8015 customer")))]
pub async fn add_card(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<CardBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let series_id = state
        .app
        .loyalty()
        .card_series_named(
            &ctx,
            body.series_id,
            text(body.series_code.as_deref()).as_deref(),
        )
        .await?
        .id;
    let number = card_number(body.card_number.as_deref())?
        .ok_or_else(|| ApiError::invalid("cardNumber is required"))?;
    let default_label = if body.customer_id.is_some() {
        CardStatus::Active
    } else {
        CardStatus::NotIssued
    };
    let card = NewCard {
        series_id,
        number,
        external_id: text(body.card_external_id.as_deref()),
        label: label(
            &ctx,
            Some(
                body.status_label
                    .as_deref()
                    .unwrap_or(default_label.as_str()),
            ),
        )?,
        reason: body
            .status_info
            .as_ref()
            .and_then(|s| text(s.reason.as_deref())),
        extended_fields: Value::Object(body.extended_fields.unwrap_or_default()),
        custom_fields: Value::Object(body.custom_fields.unwrap_or_default()),
        actor: ctx.user(),
    };
    let c = state
        .app
        .loyalty()
        .add_card(&ctx, card, body.customer_id)
        .await?;
    Ok(Json(json!({"entity": c.id, "warnings": []})))
}

/// Changes a card's status label (to a SUSPENDED, EXPIRED or DELETED label, by the
/// documented transitions), reason and fields.
#[utoipa::path(put, path = "/v2/card", request_body = CardBody, tag = "cards",
    responses((status = 200, description = "The card as updated (as `GET /v2/card` answers it)"),
              (status = 400, description = "3013 transition not allowed, 3017 label, 3046 number/external id mismatch"),
              (status = 404, description = "3010 no such card")))]
pub async fn update_card(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<CardBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = update_one(&state, &ctx, body).await?;
    Ok(Json(render_card(&ctx, &c)))
}

/// At most this many cards in one bulk update (1060).
const MAX_BULK: usize = 200;

/// `PUT /v2/card` for up to 200 cards; each succeeds or fails on its own.
#[utoipa::path(put, path = "/v2/card/bulk", request_body = Vec<CardBody>, tag = "cards",
    responses((status = 200, description = "`{response: [{entityId, errors, warnings}], totalCount, failureCount}`, all updated"),
              (status = 201, description = "One or more items failed"),
              (status = 400, description = "1060 more than 200 cards")))]
pub async fn update_bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(items): ApiJson<Vec<Value>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if items.is_empty() || items.len() > MAX_BULK {
        return Err(LoyaltyError::TooManyCards(MAX_BULK as u32).into());
    }
    let ctx = state.app.loyalty().context(&p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut failed = false;
    for item in items {
        let result = match serde_json::from_value::<CardBody>(item.clone()) {
            Ok(body) => update_one(&state, &ctx, body).await,
            Err(e) => Err(ApiError::invalid(format!("Invalid card: {e}"))),
        };
        out.push(match result {
            Ok(c) => {
                let mut card = render_card(&ctx, &c);
                card["warnings"].take();
                json!({"entityId": card, "errors": [], "warnings": []})
            }
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => {
                failed = true;
                let errors: Vec<Value> = e
                    .items
                    .iter()
                    .map(|i| json!({"status": false, "code": i.code, "message": i.message}))
                    .collect();
                json!({"entityId": item, "errors": errors, "warnings": []})
            }
        });
    }
    let status = if failed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let failures = out
        .iter()
        .filter(|o| o["errors"].as_array().is_some_and(|e| !e.is_empty()))
        .count();
    Ok((
        status,
        Json(json!({"response": out, "totalCount": out.len(), "failureCount": failures})),
    ))
}

async fn update_one(
    state: &AppState,
    ctx: &Ctx,
    body: CardBody,
) -> Result<fidelis_store::loyalty::CardRecord, ApiError> {
    let number = card_number(body.card_number.as_deref())?;
    let external = text(body.card_external_id.as_deref());
    if number.is_none() && external.is_none() {
        return Err(ApiError::invalid(
            "cardNumber or cardExternalId is required",
        ));
    }
    let change = CardChange {
        label: match &body.status_label {
            Some(l) => Some(label(ctx, Some(l))?),
            None => None,
        },
        reason: body
            .status_info
            .as_ref()
            .and_then(|s| text(s.reason.as_deref())),
        extended_fields: body.extended_fields.map(Value::Object),
        custom_fields: body.custom_fields.map(Value::Object),
        actor: ctx.user(),
    };
    let card = CardRef {
        number: number.as_deref(),
        external_id: external.as_deref(),
    };
    Ok(state.app.loyalty().update_card(ctx, card, &change).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    /// The card number.
    pub number: Option<String>,
    /// Fidelis: the card's external id instead of its number.
    pub external_id: Option<String>,
}

/// The card a query names.
fn card_ref(q: &CardQuery) -> Result<(Option<String>, Option<String>), ApiError> {
    let number = text(q.number.as_deref());
    let external = text(q.external_id.as_deref());
    if number.is_none() && external.is_none() {
        return Err(ApiError::invalid("number is required"));
    }
    Ok((number, external))
}

/// A card by number (or external id): series, holder, status and linked program.
#[utoipa::path(get, path = "/v2/card", tag = "cards", params(CardQuery),
    responses((status = 200, description = "The card"),
              (status = 404, description = "3010 no such card")))]
pub async fn get_card(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<CardQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (number, external_id) = card_ref(&q)?;
    let card = CardRef {
        number: number.as_deref(),
        external_id: external_id.as_deref(),
    };
    let c = state.app.loyalty().card(&ctx, card).await?;
    Ok(Json(render_card(&ctx, &c)))
}

/// A card's status changes, newest first.
#[utoipa::path(get, path = "/v2/card/statusLog", tag = "cards", params(CardQuery),
    responses((status = 200, description = "`{cardNumber, data: [status change], warnings, errors}`"),
              (status = 404, description = "3010 no such card")))]
pub async fn status_log(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<CardQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (number, external_id) = card_ref(&q)?;
    let card = CardRef {
        number: number.as_deref(),
        external_id: external_id.as_deref(),
    };
    let (c, log) = state.app.loyalty().card_status_log(&ctx, card).await?;
    Ok(Json(render_log(&ctx, &c, &log)))
}

/// The org's card status labels and the status each stands for.
#[utoipa::path(get, path = "/v2/genericStatus/card/labels", tag = "cards",
    responses((status = 200, description = "`{data: [{label, status, type, isActive}], warnings, errors}`")))]
pub async fn labels(State(state): State<AppState>, p: Principal) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let data: Vec<Value> =
        fidelis_domain::loyalty::cards::card_labels(&ctx.loyalty.settings.card_labels)
            .into_iter()
            .map(|l| {
                json!({"label": l.label, "status": l.status.as_str(), "type": "CARD",
                       "isActive": true})
            })
            .collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}
