//! Goodwill requests over v1.1 (`request/add`, `request/approve`, `request/reject`) and
//! their v2 history. Each element of a v1.1 batch succeeds or fails on its own
//! (`item_status`); the request-level status is 200 (all added), 201 (some failed) or
//! 500 (all failed).

use fidelis_domain::error::CodedError;
use fidelis_domain::loyalty::goodwill::{check_request_type, GoodwillBaseType, GoodwillRequest};
use fidelis_domain::loyalty::ProgramId;
use fidelis_store::loyalty::{GoodwillRecord, NewGoodwill};
use serde_json::{json, Value};

use super::dates::iso;
use super::numbers::{decimal, num, text};
use super::{find_v1_customer, Ctx};
use crate::api::local_time;
use crate::{ApiError, AppState};

/// A failed batch element: its code and message.
pub type ItemError = (u32, String);

fn item_error(e: ApiError) -> ItemError {
    let message = e
        .items
        .first()
        .map(|i| i.message.clone())
        .unwrap_or_default();
    (e.first_code(), message)
}

fn coded<E: CodedError>(e: E) -> ItemError {
    (e.code(), e.to_string())
}

pub fn item_status(result: &Result<u32, ItemError>, ok_message: &str) -> Value {
    match result {
        Ok(code) => json!({"success": "true", "code": code, "message": ok_message}),
        Err((code, message)) => json!({"success": "false", "code": code, "message": message}),
    }
}

/// The request-level status code of a v1.1 batch.
pub fn batch_code(ok: usize, total: usize) -> (u16, &'static str) {
    match ok {
        n if n == total => (200, "SUCCESS"),
        0 => (500, "All requests have failed due to errors"),
        _ => (201, "Some requests have failed due to errors"),
    }
}

/// Files one `request/add` element.
pub async fn add(
    state: &AppState,
    ctx: &Ctx,
    item: &Value,
    program_id: Option<ProgramId>,
    auto_approve: Option<bool>,
) -> Result<GoodwillRecord, ItemError> {
    let kind = text("type", item.get("type")).map_err(item_error)?;
    check_request_type(kind.as_deref().unwrap_or("")).map_err(coded)?;
    let base = text("base_type", item.get("base_type")).map_err(item_error)?;
    let base_type = GoodwillBaseType::parse(base.as_deref().unwrap_or("")).map_err(coded)?;
    let c = item.get("customer").cloned().unwrap_or(Value::Null);
    let field = |k: &str| {
        c.get(k).and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or(v.as_i64().map(|n| n.to_string()))
        })
    };
    let (id, mobile, email, ext, card) = (
        field("id"),
        field("mobile"),
        field("email"),
        field("external_id"),
        field("card_number"),
    );
    let customer = find_v1_customer(
        state,
        ctx,
        &[
            ("id", id.as_deref()),
            ("mobile", mobile.as_deref()),
            ("email", email.as_deref()),
            ("external_id", ext.as_deref()),
            ("card_number", card.as_deref()),
        ],
    )
    .await
    .map_err(|e| match e.first_code() {
        400 => (9019, "No customer identifier given".to_string()),
        _ => (9011, "Customer is not registered".to_string()),
    })?;
    let series = text("series_id", item.get("series_id")).map_err(item_error)?;
    let coupon_series_id = match series {
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| (400, format!("Invalid series_id {s}")))?,
        ),
        None => None,
    };
    let g = NewGoodwill {
        customer_id: customer.id,
        // A card names its linked program unless the request names one.
        program_id: program_id.or(customer.card_program),
        reference_id: text("reference_id", item.get("reference_id")).map_err(item_error)?,
        request: GoodwillRequest {
            base_type,
            points: decimal("points", item.get("points")).map_err(item_error)?,
            coupon_series_id,
            reason: text("reason", item.get("reason"))
                .map_err(item_error)?
                .unwrap_or_default(),
            comments: text("comments", item.get("comments")).map_err(item_error)?,
            client_auto_approve: auto_approve,
        },
        maker: ctx.user(),
    };
    state
        .db
        .loyalty()
        .submit_goodwill(&ctx.loyalty, &g, state.now())
        .await
        .map_err(coded)
}

/// A request as a v1.1 element.
pub fn v1_request(ctx: &Ctx, r: &GoodwillRecord) -> Value {
    json!({
        "id": r.id.to_string(),
        "reference_id": r.reference_id,
        "type": "GOODWILL",
        "base_type": r.base_type.as_str(),
        "status": r.status.as_str(),
        "requested_on": local_time(r.created_at, ctx.tz()),
        "customer": {"id": r.customer_id.to_string()},
        "program_id": r.program_id.to_string(),
        "points": r.points.map(num),
        "series_id": r.coupon_series_id,
        "reason": r.reason,
        "comments": r.comments,
        "old_value": "",
        "new_value": r.points.map(|p| p.to_string()).unwrap_or_default(),
    })
}

/// Approves or rejects one `request/approve|reject` element.
pub async fn decide(
    state: &AppState,
    ctx: &Ctx,
    item: &Value,
    approve: bool,
) -> Result<GoodwillRecord, ItemError> {
    let kind = text("type", item.get("type")).map_err(item_error)?;
    check_request_type(kind.as_deref().unwrap_or("GOODWILL")).map_err(coded)?;
    let id = text("id", item.get("id"))
        .map_err(item_error)?
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or((9013, "Request not found".to_string()))?;
    state
        .db
        .loyalty()
        .decide_goodwill(&ctx.loyalty, id, &ctx.user(), approve, state.now())
        .await
        .map_err(coded)
}

/// A request in the v2 history (`GET /v2/customers/{id}/goodwillRequest`).
pub fn v2_request(ctx: &Ctx, r: &GoodwillRecord) -> Value {
    json!({
        "id": r.id,
        "referenceId": r.reference_id,
        "customerId": r.customer_id,
        "programId": r.program_id,
        "type": "GOODWILL",
        "baseType": r.base_type.as_str(),
        "status": r.status.as_str(),
        "points": r.points.map(num),
        "seriesId": r.coupon_series_id,
        "reason": r.reason,
        "comments": r.comments,
        "requestedBy": r.maker,
        "approvedBy": r.checker,
        "requestedOn": iso(r.created_at, ctx.tz()),
        "updatedOn": r.decided_at.map(|t| iso(t, ctx.tz())),
        "ledgerEntryId": r.entry_id,
    })
}
