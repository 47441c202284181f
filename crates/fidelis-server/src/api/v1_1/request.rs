//! Goodwill requests on v1.1: `POST /v1.1/request/add`, `/request/approve`,
//! `/request/reject`. Thin handlers over `crate::loyalty::goodwill`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::json::ApiJson;
use fidelis_domain::loyalty::ProgramId;

use fidelis_domain::error::Success;

use crate::error::batch_code;
use crate::loyalty::goodwill::{goodwill_input, item_status, v1_goodwill, v1_request};
use crate::loyalty::numbers::text;
use crate::{ApiError, AppState};
use fidelis_app::customers::{CustomerKey, Embed};

/// The elements of `{"root": {"<key>": [...]}}` (a single object is one element).
pub(crate) fn elements(body: &Value, key: &str) -> Result<Vec<Value>, ApiError> {
    match body.get("root").and_then(|r| r.get(key)) {
        Some(Value::Array(a)) if !a.is_empty() => Ok(a.clone()),
        Some(v @ Value::Object(_)) => Ok(vec![v.clone()]),
        _ => Err(ApiError::invalid(format!(
            "Input is invalid: expected {{\"root\": {{\"{key}\": [...]}}}}"
        ))),
    }
}

/// A v1.1 batch response: request-level status from the item outcomes. HTTP 200 unless
/// every item failed (then 400: the items say why).
pub(crate) fn batch(ok: usize, total: usize, payload: Value) -> (StatusCode, Json<Value>) {
    let (code, message) = batch_code(ok, total);
    let mut response = json!({"status": {"success": (ok > 0).to_string(), "code": code.to_string(), "message": message}});
    if let (Some(obj), Value::Object(extra)) = (response.as_object_mut(), payload) {
        obj.extend(extra);
    }
    let http = if ok == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (http, Json(json!({"response": response})))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AddQuery {
    /// The program (the org's default when absent).
    #[param(value_type = Option<i64>)]
    pub program_id: Option<ProgramId>,
    /// `true` approves at once, `false` always waits for a checker; absent: the org's cap.
    pub client_auto_approve: Option<bool>,
}

/// Files goodwill points or coupon requests; small point requests are approved at once.
#[utoipa::path(post, path = "/v1.1/request/add", tag = "goodwill", params(AddQuery),
    request_body = super::bodies::GoodwillAddBody,
    responses((status = 200, description = "`requests.request[]` with `item_status` (9100 added)"),
              (status = 400, description = "Every item failed"),
              (status = 404, description = "1101 no such program")))]
pub async fn add(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AddQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "request")?;
    let ctx = state.app.loyalty().context(&p).await?;
    if let Some(id) = q.program_id {
        ctx.program_id(Some(id))?;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for item in &items {
        let result = match goodwill_input(item, q.program_id, q.client_auto_approve) {
            Ok(input) => state
                .app
                .loyalty()
                .submit_goodwill(&ctx, &input)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            if e.is_internal() {
                return Err(e.clone());
            }
        }
        let mut v = match &result {
            Ok(r) => v1_request(&ctx, r),
            Err(_) => json!({
                "reference_id": item.get("reference_id"),
                "type": item.get("type"),
                "base_type": item.get("base_type"),
                "customer": item.get("customer"),
            }),
        };
        ok += usize::from(result.is_ok());
        v["item_status"] = item_status(result.as_ref().map(|_| Success::GoodwillAdded));
        out.push(v);
    }
    Ok(batch(
        ok,
        items.len(),
        json!({"requests": {"request": out}}),
    ))
}

async fn decide(
    state: AppState,
    p: Principal,
    body: Value,
    approve: bool,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "request")?;
    let ctx = state.app.loyalty().context(&p).await?;
    let customers = state.app.customers();
    let cctx = customers.context(&p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut goodwill = Vec::new();
    let mut ok = 0;
    for item in &items {
        let kind = text("type", item.get("type"))?;
        let id = text("id", item.get("id"))?;
        let result = state
            .app
            .loyalty()
            .decide_goodwill(&ctx, kind.as_deref(), id.as_deref(), approve)
            .await
            .map_err(ApiError::from);
        if let Err(e) = &result {
            if e.is_internal() {
                return Err(e.clone());
            }
        }
        let updated_comments = item.get("updated_comments").cloned().unwrap_or(json!(""));
        if let Ok(r) = &result {
            // The documented `goodwill` element names the customer by its identifiers.
            let view = customers
                .details(&cctx, CustomerKey::Id(r.customer_id), Embed::default())
                .await
                .ok();
            goodwill.push(v1_goodwill(&ctx, r, view.as_ref(), &updated_comments));
        }
        let mut v = match &result {
            Ok(r) => {
                let mut v = v1_request(&ctx, r);
                v["assoc_id"] = json!(r.customer_id.to_string());
                v["approved_value"] = json!(if approve {
                    r.points.map(|p| p.to_string()).unwrap_or_default()
                } else {
                    String::new()
                });
                v
            }
            Err(_) => {
                json!({"id": item.get("id"), "type": item.get("type"), "base_type": item.get("base_type")})
            }
        };
        v["updated_comments"] = updated_comments;
        ok += usize::from(result.is_ok());
        v["item_status"] = item_status(result.as_ref().map(|_| Success::RequestUpdated));
        out.push(v);
    }
    // Capillary answers one decided request as `requests.goodwill`; Fidelis adds each
    // element's outcome in `requests.request[]`.
    let goodwill = match goodwill.len() {
        1 => goodwill.remove(0),
        _ => Value::Array(goodwill),
    };
    Ok(batch(
        ok,
        items.len(),
        json!({"requests": {"goodwill": goodwill, "request": out}}),
    ))
}

/// A checker approves pending requests (points are credited in the same transaction).
#[utoipa::path(post, path = "/v1.1/request/approve", tag = "goodwill", request_body = super::bodies::DecisionBody,
    responses((status = 200, description = "`requests.request[]` with `item_status` (9000 updated; 9014 already decided, 9015 own request)"),
              (status = 400, description = "No `root.request` list, or every item failed (their `item_status` says why)")))]
pub async fn approve(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    decide(state, p, body, true).await
}

/// A checker rejects pending requests.
#[utoipa::path(post, path = "/v1.1/request/reject", tag = "goodwill", request_body = super::bodies::DecisionBody,
    responses((status = 200, description = "`requests.request[]` with `item_status`"),
              (status = 400, description = "No `root.request` list, or every item failed (their `item_status` says why)")))]
pub async fn reject(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    decide(state, p, body, false).await
}
