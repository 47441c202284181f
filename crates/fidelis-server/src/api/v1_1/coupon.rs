//! `/v1.1/coupon/redeem`, `/v1.1/coupon/isredeemable`, `/v1.1/coupon/get`: the v1.1 shapes
//! over the same operations as v2 (`app.incentives()`).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::incentives::{CodeAsk, Ctx, RedeemInput, Who};
use fidelis_domain::error::{CodedError, Success};
use fidelis_domain::incentives::{CouponId, IncentivesError};
use fidelis_store::incentives::{CouponFilter, CouponRecord, SeriesRecord};
use serde_json::{json, Value};

use super::request::{batch, elements};
use crate::auth::Principal;
use crate::incentives::wire::query_values;
use crate::json::ApiJson;
use crate::loyalty::dates;
use crate::loyalty::goodwill::item_status;
use crate::loyalty::numbers::{decimal, num, text};
use crate::{ApiError, AppState};

fn first(q: Option<&str>, key: &str) -> Option<String> {
    query_values(q, key).into_iter().next()
}

/// The customer of a v1.1 `customer` object, else of the query (`mobile=…`, `id=…`).
fn v1_who(c: Option<&Value>, q: Option<&str>) -> Who {
    let field = |k: &str| {
        c.and_then(|c| c.get(k))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or(v.as_i64().map(|n| n.to_string()))
            })
            .filter(|s| !s.trim().is_empty())
            .or_else(|| first(q, k))
    };
    Who {
        id: field("id"),
        mobile: field("mobile"),
        email: field("email"),
        external_id: field("external_id"),
    }
}

fn date_only(t: Option<jiff::Timestamp>, ctx: &Ctx) -> Value {
    t.map_or(json!(""), |t| {
        json!(t
            .to_zoned(ctx.tz().clone())
            .strftime("%Y-%m-%d")
            .to_string())
    })
}

async fn redeem_one(
    state: &AppState,
    ctx: &Ctx,
    item: &Value,
    q: Option<&str>,
) -> Result<Value, ApiError> {
    let code = match text("code", item.get("code"))? {
        Some(c) => c,
        None => {
            let id = text("id", item.get("id"))?
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or(IncentivesError::InvalidCode)?;
            let filter = CouponFilter {
                ids: vec![CouponId::new(id)],
                ..CouponFilter::default()
            };
            let found = state.app.incentives().coupons(ctx, &filter).await?;
            found
                .first()
                .map(|(c, _)| c.code.clone())
                .ok_or(IncentivesError::InvalidCode)?
        }
    };
    let txn = match item.get("transaction") {
        Some(Value::Array(a)) => a.first().cloned().unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let amount = decimal("amount", txn.get("amount"))?.unwrap_or_default();
    let number = text("number", txn.get("number"))?;
    let at = dates::parse(
        "redemption_time",
        text("redemption_time", item.get("redemption_time"))?.as_deref(),
        ctx.tz(),
    )?;
    let input = RedeemInput {
        codes: vec![CodeAsk { code, amount: None }],
        bill_amount: amount,
        transaction_number: number.clone(),
        at,
    };
    let customer = item.get("customer");
    let who = v1_who(customer, q);
    let (_, done) = state.app.incentives().redeem(ctx, &who, &input).await?;
    let r = done
        .first()
        .ok_or_else(|| ApiError::from(IncentivesError::InvalidCode))?;
    let given = |k: &str| {
        customer
            .and_then(|c| c.get(k))
            .cloned()
            .unwrap_or(json!(""))
    };
    Ok(json!({
        "customer": {"mobile": given("mobile"), "email": given("email"), "external_id": given("external_id")},
        "redemptionId": r.redemption.id.to_string(),
        "code": r.coupon.code,
        "discount_code": r.series.rules.discount_code,
        "series_code": r.series.id.to_string(),
        "series_info": [],
        "is_absolute": r.series.rules.is_absolute().to_string(),
        "coupon_value": r.series.rules.discount_value.normalize().to_string(),
        "discount_amount": num(r.redemption.amount),
        "transaction": {"amount": format!("{:.2}", amount), "number": number.unwrap_or_default()},
        "side_effects": [],
    }))
}

/// Redeems coupons (`root.coupon[]`), each on its own.
#[utoipa::path(post, path = "/v1.1/coupon/redeem", tag = "coupons", request_body = Object,
    responses((status = 200, description = "`coupons.coupon[]` with `item_status` (700)"),
              (status = 400, description = "Every coupon refused (7xx in `item_status`)")))]
pub async fn redeem(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "coupon")?;
    let ctx = state.app.incentives().context(&p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for item in &items {
        let result = redeem_one(&state, &ctx, item, q.as_deref()).await;
        if let Err(e) = &result {
            if e.is_internal() {
                return Err(e.clone());
            }
        }
        let mut v = match &result {
            Ok(v) => v.clone(),
            Err(_) => json!({"code": item.get("code"), "customer": item.get("customer")}),
        };
        ok += usize::from(result.is_ok());
        v["item_status"] = item_status(result.as_ref().map(|_| Success::CouponProcessed));
        out.push(v);
    }
    let coupons = if out.len() == 1 {
        out.pop().unwrap_or(Value::Null)
    } else {
        json!(out)
    };
    Ok(batch(
        ok,
        items.len(),
        json!({"coupons": {"coupon": coupons}}),
    ))
}

fn series_info(s: &SeriesRecord, c: Option<&CouponRecord>, ctx: &Ctx) -> Value {
    let r = &s.rules;
    json!({
        "description": r.description,
        "discount_code": r.discount_code,
        "valid_till": date_only(c.and_then(|c| c.valid_till).or(r.valid_till), ctx),
        "discount_type": r.discount_type.as_str(),
        "discount_value": r.discount_value.normalize().to_string(),
        "discount_on": "BILL",
        "detailed_info": r.description,
    })
}

/// Whether a customer can redeem a code now (`mobile|email|external_id|id`, `code`).
#[utoipa::path(get, path = "/v1.1/coupon/isredeemable", tag = "coupons",
    params(("code" = String, Query, description = "The coupon code"),
           ("mobile" = Option<String>, Query, description = "Customer mobile"),
           ("details" = Option<String>, Query, description = "`true`: include series_info")),
    responses((status = 200, description = "`coupons.redeemable{is_redeemable, item_status, series_info}`"),
              (status = 400, description = "Parameters that cannot be read"),
              (status = 404, description = "701 customer not found")))]
pub async fn is_redeemable(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.incentives().context(&p).await?;
    let q = q.as_deref();
    let code = first(q, "code").ok_or(IncentivesError::InvalidCode)?;
    let who = v1_who(None, q);
    let (_, list) = state
        .app
        .incentives()
        .is_redeemable(&ctx, &who, std::slice::from_ref(&code), None)
        .await?;
    let r = list
        .first()
        .ok_or_else(|| ApiError::from(IncentivesError::InvalidCode))?;
    let status = match &r.verdict {
        Ok(()) => {
            let s = Success::CouponChecked;
            json!({"status": "true", "code": s.code(), "message": s.message()})
        }
        Err(e) => json!({"status": "false", "code": e.code(), "message": e.to_string()}),
    };
    let mut v = json!({
        "code": r.code,
        "is_redeemable": r.verdict.is_ok().to_string(),
        "item_status": status,
    });
    for k in ["mobile", "email", "external_id", "id"] {
        if let Some(given) = first(q, k) {
            v[k] = json!(given);
        }
    }
    if first(q, "details").is_some_and(|d| d != "false") {
        if let Some((s, c, _)) = &r.found {
            v["series_info"] = series_info(s, Some(c), &ctx);
        }
    }
    Ok(batch(1, 1, json!({"coupons": {"redeemable": v}})))
}

/// Coupon details by `code` or `id` (comma-separated lists).
#[utoipa::path(get, path = "/v1.1/coupon/get", tag = "coupons",
    params(("code" = Option<String>, Query, description = "Codes, comma-separated"),
           ("id" = Option<String>, Query, description = "Coupon ids, comma-separated")),
    responses((status = 200, description = "`coupons.coupon[]` with `redemption_info` and `item_status`"),
              (status = 400, description = "No code or id given, or none found (702)")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.incentives().context(&p).await?;
    let q = q.as_deref();
    let codes = query_values(q, "code");
    let ids = query_values(q, "id")
        .iter()
        .map(|s| {
            s.parse::<i64>()
                .map(CouponId::new)
                .map_err(|_| ApiError::invalid("Invalid input: id must be coupon ids"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = CouponFilter {
        ids,
        codes,
        customers: Vec::new(),
    };
    let found = state.app.incentives().coupons(&ctx, &filter).await?;
    let mut out = Vec::new();
    for (c, s) in &found {
        let history = state
            .app
            .incentives()
            .search(&ctx, &c.code)
            .await?
            .map(|f| f.redemptions)
            .unwrap_or_default();
        let last = history.iter().rev().find(|r| r.reversed_at.is_none());
        let ok = Success::CouponProcessed;
        out.push(json!({
            "code": c.code,
            "id": c.id.to_string(),
            "valid_till": date_only(c.valid_till.or(s.rules.valid_till), &ctx),
            "issued_on": crate::api::local_time(c.issued_at, ctx.tz()),
            "customer": {"user_id": c.customer_id.map(|i| i.to_string()).unwrap_or_default()},
            "series_id": s.id.to_string(),
            "is_absolute": s.rules.is_absolute().to_string(),
            "value": s.rules.discount_value.normalize().to_string(),
            "balance": c.balance.map(num),
            "redemption_info": {
                "redeemed": last.is_some().to_string(),
                "redeemed_on": last.map(|r| crate::api::local_time(r.redeemed_at, ctx.tz())).unwrap_or_default(),
                "redeemed_at": last.and_then(|r| r.actor.clone()).unwrap_or_default(),
            },
            "transaction": {"number": last.and_then(|r| r.transaction_number.clone()).unwrap_or_default()},
            "item_status": {"status": "true", "code": ok.code(), "message": ok.message()},
        }));
    }
    if out.is_empty() {
        return Err(IncentivesError::InvalidCode.into());
    }
    let n = out.len();
    Ok(batch(n, n, json!({"coupons": {"coupon": out}})))
}
