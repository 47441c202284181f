//! `GET /v1.1/points/isredeemable` and `POST /v1.1/points/redeem`. Thin handlers over
//! `crate::loyalty::redeem`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::request::{batch, elements};
use crate::auth::Principal;
use crate::json::ApiJson;
use fidelis_app::loyalty::{Ctx, Customer, Redemption, V1Identifiers};
use fidelis_domain::error::Success;
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};

use crate::loyalty::goodwill::{item_status, v1_identifiers};
use crate::loyalty::numbers::{decimal, num, text};
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedeemableQuery {
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<String>,
    pub card_number: Option<String>,
    pub points: Option<String>,
    #[param(value_type = Option<i64>)]
    pub program_id: Option<ProgramId>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedeemQuery {
    /// The program (the org's default when absent).
    #[param(value_type = Option<i64>)]
    pub program_id: Option<ProgramId>,
}

/// The customer as v1.1 answers: its id, and the identifiers as they were sent.
fn identity(c: &Customer, ids: &V1Identifiers) -> Value {
    let given = |v: &Option<String>| json!(v.as_deref().unwrap_or(""));
    json!({
        "id": c.id.to_string(),
        "mobile": given(&ids.mobile),
        "email": given(&ids.email),
        "external_id": given(&ids.external_id),
    })
}

/// Whether the customer can redeem `points` now.
#[utoipa::path(get, path = "/v1.1/points/isredeemable", tag = "points", params(RedeemableQuery),
    responses((status = 200, description = "`points.redeemable{is_redeemable, item_status}` (800 redeemable, 813 insufficient)"),
              (status = 400, description = "No identifier, or points missing"),
              (status = 404, description = "8015 customer not found, 1101 program not found")))]
pub async fn is_redeemable(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RedeemableQuery>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let ids = V1Identifiers {
        id: q.id.clone(),
        mobile: q.mobile.clone(),
        email: q.email.clone(),
        external_id: q.external_id.clone(),
        card_number: q.card_number.clone(),
    };
    let c = state.app.loyalty().find_v1_customer(&ctx, &ids).await?;
    let points = decimal("points", q.points.as_ref().map(|s| json!(s)).as_ref())?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points is required"))?;
    let (fits, available) = state
        .app
        .loyalty()
        .can_redeem(&ctx, &c, q.program_id, points)
        .await?;
    let mut v = identity(&c, &ids);
    v["points"] = json!(points.to_string());
    v["is_redeemable"] = json!(fits.to_string());
    v["points_redeem_value"] = json!(points.to_string());
    v["points_currency_ratio"] = json!("1");
    v["available_points"] = num(available);
    let short = ApiError::from(LoyaltyError::InsufficientPoints {
        requested: points,
        available,
    });
    let status = if fits {
        Ok(Success::PointsRedeemable)
    } else {
        Err(&short)
    };
    v["item_status"] = item_status(status);
    Ok(batch(1, 1, json!({"points": {"redeemable": v}})))
}

/// Redeems points for one or more customers; each element succeeds or fails on its own.
#[utoipa::path(post, path = "/v1.1/points/redeem", tag = "points", params(RedeemQuery),
    request_body = super::bodies::RedeemBody,
    responses((status = 200, description = "`responses.points[]` with `item_status` (800 redeemed)"),
              (status = 400, description = "Every item failed (813 insufficient points, …)")))]
pub async fn redeem_points(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RedeemQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "redeem")?;
    let ctx = state.app.loyalty().context(&p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for item in &items {
        let result = one(&state, &ctx, item, q.program_id).await;
        if let Err(e) = &result {
            if e.is_internal() {
                return Err(e.clone());
            }
        }
        let mut v = match &result {
            Ok(v) => v.clone(),
            Err(_) => {
                json!({"customer": item.get("customer"), "points_redeemed": item.get("points_redeemed")})
            }
        };
        ok += usize::from(result.is_ok());
        v["item_status"] = item_status(result.as_ref().map(|_| Success::PointsRedeemed));
        out.push(v);
    }
    Ok(batch(
        ok,
        items.len(),
        json!({"responses": {"points": out}}),
    ))
}

async fn one(
    state: &AppState,
    ctx: &Ctx,
    item: &Value,
    program: Option<ProgramId>,
) -> Result<Value, ApiError> {
    let ids = v1_identifiers(item.get("customer"));
    let customer = state.app.loyalty().find_v1_customer(ctx, &ids).await?;
    let points = decimal("points_redeemed", item.get("points_redeemed"))?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points_redeemed is required"))?;
    let reference = text("transaction_number", item.get("transaction_number"))?;
    let notes = text("notes", item.get("notes"))?;
    let r = Redemption {
        program,
        points,
        reference: reference.clone(),
        notes,
        once: false,
    };
    let posted = state.app.loyalty().redeem(ctx, &customer, &r).await?;
    let left = state
        .app
        .loyalty()
        .balance(ctx, customer.id, program)
        .await?;
    let mut v = identity(&customer, &ids);
    v["points_redeemed"] = json!(points.to_string());
    v["transaction_number"] = json!(reference.unwrap_or_default());
    v["redemption_id"] = json!(posted.entry_id.to_string());
    v["balance"] = num(left.net);
    Ok(v)
}
