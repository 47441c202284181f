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
use crate::loyalty::goodwill::item_status;
use crate::loyalty::numbers::{decimal, num, text};
use crate::loyalty::{find_v1_customer, redeem, Ctx, Customer};
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
    pub program_id: Option<i64>,
}

fn identity(c: &Customer, q: &[(&str, Option<&str>)]) -> Value {
    let mut v = json!({"id": c.id.to_string()});
    for (k, val) in q {
        v[*k] = json!(val.unwrap_or(""));
    }
    v
}

/// Whether the customer can redeem `points` now.
#[utoipa::path(get, path = "/v1.1/points/isredeemable", tag = "points", params(RedeemableQuery),
    responses((status = 200, description = "`points.redeemable{is_redeemable, item_status}` (800 redeemable, 813 insufficient)")))]
pub async fn is_redeemable(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RedeemableQuery>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = Ctx::load(&state, &p).await?;
    let ids = [
        ("id", q.id.as_deref()),
        ("mobile", q.mobile.as_deref()),
        ("email", q.email.as_deref()),
        ("external_id", q.external_id.as_deref()),
        ("card_number", q.card_number.as_deref()),
    ];
    let c = find_v1_customer(&state, &ctx, &ids).await?;
    let points = decimal("points", q.points.as_ref().map(|s| json!(s)).as_ref())?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points is required"))?;
    let (fits, available) = redeem::check(&state, &ctx, &c, q.program_id, points).await?;
    let mut v = identity(&c, &ids[1..4]);
    v["points"] = json!(points.to_string());
    v["is_redeemable"] = json!(fits.to_string());
    v["points_redeem_value"] = json!(points.to_string());
    v["points_currency_ratio"] = json!("1");
    v["available_points"] = num(available);
    let status = if fits {
        Ok(800)
    } else {
        Err((813, format!("Insufficient points: {available} available")))
    };
    v["item_status"] = item_status(&status, "Points can be redeemed");
    Ok(batch(1, 1, json!({"points": {"redeemable": v}})))
}

/// Redeems points for one or more customers; each element succeeds or fails on its own.
#[utoipa::path(post, path = "/v1.1/points/redeem", tag = "points", request_body = Object,
    responses((status = 200, description = "`responses.points[]` with `item_status` (800 redeemed)"),
              (status = 400, description = "Every item failed (813 insufficient points, …)")))]
pub async fn redeem_points(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RedeemableQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "redeem")?;
    let ctx = Ctx::load(&state, &p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for item in &items {
        let result = one(&state, &ctx, item, q.program_id).await;
        let mut v = match &result {
            Ok(v) => v.clone(),
            Err(_) => {
                json!({"customer": item.get("customer"), "points_redeemed": item.get("points_redeemed")})
            }
        };
        ok += usize::from(result.is_ok());
        let status = result.map(|_| 800).map_err(|e| {
            (
                e.first_code(),
                e.items
                    .first()
                    .map(|i| i.message.clone())
                    .unwrap_or_default(),
            )
        });
        v["item_status"] = item_status(&status, "Points redeemed successfully");
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
    program: Option<i64>,
) -> Result<Value, ApiError> {
    let c = item.get("customer").cloned().unwrap_or(Value::Null);
    let field = |k: &str| text(k, c.get(k)).ok().flatten();
    let (id, mobile, email, ext, card) = (
        field("id"),
        field("mobile"),
        field("email"),
        field("external_id"),
        field("card_number"),
    );
    let ids = [
        ("id", id.as_deref()),
        ("mobile", mobile.as_deref()),
        ("email", email.as_deref()),
        ("external_id", ext.as_deref()),
        ("card_number", card.as_deref()),
    ];
    let customer = find_v1_customer(state, ctx, &ids).await?;
    let points = decimal("points_redeemed", item.get("points_redeemed"))?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points_redeemed is required"))?;
    let reference = text("transaction_number", item.get("transaction_number"))?;
    let notes = text("notes", item.get("notes"))?;
    let posted = redeem::redeem(
        state,
        ctx,
        &customer,
        program,
        points,
        reference.clone(),
        notes,
    )
    .await?;
    let pid = ctx.program_id(program)?;
    let left = state
        .db
        .loyalty()
        .balance(ctx.loyalty.org.id, customer.id, pid, state.now())
        .await?;
    let mut v = identity(&customer, &ids[1..4]);
    v["points_redeemed"] = json!(points.to_string());
    v["transaction_number"] = json!(reference.unwrap_or_default());
    v["redemption_id"] = json!(posted.entry_id.to_string());
    v["balance"] = num(left.net);
    Ok(v)
}
