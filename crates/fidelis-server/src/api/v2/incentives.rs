//! `/v2/coupon…` and `/v2/incentives/search`: coupon series, issuing, redemption,
//! reactivation, coupon reads and incentives search. Thin handlers over
//! `app.incentives()`; parsing in `crate::incentives::wire`, shapes in `…::render`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_app::customers::{CustomerKey, Embed};
use fidelis_app::incentives::Who;
use fidelis_domain::customers::CustomerId;
use fidelis_domain::error::{CodedError, Success};
use fidelis_domain::incentives::{CouponId, IncentivesError, RedemptionId, SeriesId};
use fidelis_store::incentives::CouponFilter;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::error::item_json;
use crate::incentives::wire::{query_values, redeem_input, series_input, series_object, who};
use crate::incentives::{render, Ctx};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_series, update_series, get_series))
        .routes(routes!(update_series_by_id))
        .routes(routes!(issue))
        .routes(routes!(bulk_issue))
        .routes(routes!(redeem))
        .routes(routes!(bulk_redeem))
        .routes(routes!(reactivate))
        .routes(routes!(is_redeemable))
        .routes(routes!(coupons))
        .routes(routes!(search))
}

async fn context(state: &AppState, p: &Principal) -> Result<Ctx, ApiError> {
    Ok(state.app.incentives().context(p).await?)
}

/// `{id, profiles}` of a customer, as the coupon responses show them.
async fn customer_json(state: &AppState, p: &Principal, id: CustomerId) -> Result<Value, ApiError> {
    let cctx = state.app.customers().context(p).await?;
    let view = state
        .app
        .customers()
        .details(&cctx, CustomerKey::Id(id), Embed::default())
        .await?;
    let full = crate::customers::render::customer(&view, &cctx.org);
    Ok(json!({"id": id, "profiles": full.get("profiles").cloned().unwrap_or(json!([]))}))
}

fn parse_id<T: std::str::FromStr>(raw: &str, err: IncentivesError) -> Result<T, ApiError> {
    raw.trim().parse::<T>().map_err(|_| err.into())
}

async fn save_series(
    state: &AppState,
    p: &Principal,
    body: &Value,
    id: Option<SeriesId>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(state, p).await?;
    let o = series_object(body)?;
    let id = match id {
        Some(id) => Some(id),
        None if body.get("CouponSeriesV2").is_none() => Some(
            o.get("id")
                .and_then(|v| v.as_i64())
                .map(SeriesId::new)
                .ok_or(IncentivesError::SeriesNotFound)?,
        ),
        None => None,
    };
    let incentives = state.app.incentives();
    let current = match id {
        Some(id) => Some(incentives.series(&ctx, id).await?),
        None => None,
    };
    let (input, places) = series_input(o, ctx.tz(), current.as_ref().map(|s| &s.rules))?;
    incentives.check_places(&ctx, &places).await?;
    let s = match id {
        Some(id) => incentives.update_series(&ctx, id, &input).await?,
        None => incentives.create_series(&ctx, &input).await?,
    };
    let mut v = render::series(&s, &ctx.org);
    v["warnings"] = json!([]);
    Ok(Json(v))
}

/// Creates a coupon series (`{"CouponSeriesV2": {...}}`), a promo code (`kind: PROMO`,
/// `genericCode`) or a gift voucher series (`kind: GIFT_VOUCHER`).
#[utoipa::path(post, path = "/v2/coupon/series", tag = "coupons", request_body = Object,
    responses((status = 200, description = "The series, as `GET /v2/coupon/series` shows it"),
              (status = 400, description = "Invalid series (400), code taken")))]
pub async fn create_series(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    if body.get("CouponSeriesV2").is_none() {
        return Err(ApiError::invalid(
            "Invalid input: the series goes in a CouponSeriesV2 object",
        ));
    }
    save_series(&state, &p, &body, None).await
}

/// Updates a coupon series named by `id` in the body.
#[utoipa::path(put, path = "/v2/coupon/series", tag = "coupons", request_body = Object,
    responses((status = 200, description = "The updated series"),
              (status = 404, description = "707 no such series")))]
pub async fn update_series(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let inner = body.get("CouponSeriesV2").unwrap_or(&body);
    let id = inner
        .get("id")
        .and_then(Value::as_i64)
        .map(SeriesId::new)
        .ok_or(IncentivesError::SeriesNotFound)?;
    save_series(&state, &p, &body, Some(id)).await
}

/// Updates a coupon series named in the path.
#[utoipa::path(put, path = "/v2/coupon/series/{id}", tag = "coupons", request_body = Object,
    params(("id" = i64, Path, description = "Coupon series id")),
    responses((status = 200, description = "The updated series"),
              (status = 404, description = "707 no such series")))]
pub async fn update_series_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&raw, IncentivesError::SeriesNotFound)?;
    save_series(&state, &p, &body, Some(id)).await
}

/// Series by id (`ids` repeated or comma-separated); every series without `ids`.
#[utoipa::path(get, path = "/v2/coupon/series", tag = "coupons",
    params(("ids" = Option<String>, Query, description = "Series ids, repeated")),
    responses((status = 200, description = "`{entity: [series], warnings}`"),
              (status = 404, description = "707 no such series")))]
pub async fn get_series(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let ids = query_values(q.as_deref(), "ids")
        .iter()
        .map(|s| parse_id(s, IncentivesError::SeriesNotFound))
        .collect::<Result<Vec<SeriesId>, _>>()?;
    let list = state.app.incentives().series_list(&ctx, &ids).await?;
    let entity: Vec<Value> = list.iter().map(|s| render::series(s, &ctx.org)).collect();
    Ok(Json(json!({"entity": entity, "warnings": []})))
}

fn series_ids(v: Option<&Value>) -> Result<Vec<SeriesId>, ApiError> {
    let one = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(SeriesId::new)
            .ok_or_else(|| ApiError::from(IncentivesError::SeriesNotFound))
    };
    match v {
        Some(Value::Array(list)) => list.iter().map(one).collect(),
        Some(v) if !v.is_null() => Ok(vec![one(v)?]),
        _ => Err(IncentivesError::SeriesNotFound.into()),
    }
}

/// Issues a coupon of a series to a customer (`{seriesId, customer{id|mobile|email|externalId}}`).
#[utoipa::path(post, path = "/v2/coupon/issue", tag = "coupons", request_body = Object,
    responses((status = 200, description = "The coupon with its `customer`"),
              (status = 400, description = "712 series expired, 722 issue limits"),
              (status = 404, description = "701 customer not found, 707 no such series")))]
pub async fn issue(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let series = series_ids(body.get("seriesId"))?;
    let [series] = series[..] else {
        return Err(ApiError::invalid(
            "Invalid input: seriesId names one series",
        ));
    };
    let who: Who = who(body.get("customer"))?;
    let (customer, coupon, s) = state.app.incentives().issue(&ctx, series, &who).await?;
    let mut v = render::coupon(&coupon, &s, &ctx.org);
    v["customer"] = customer_json(&state, &p, customer.id).await?;
    v["warnings"] = json!([]);
    Ok(Json(v))
}

/// Issues one coupon of each series to a customer; each series succeeds or fails alone.
#[utoipa::path(post, path = "/v2/coupon/bulk/issue", tag = "coupons", request_body = Object,
    responses((status = 200, description = "`{response: [{entityId, result, errors, warnings}], totalCount, failureCount}`"),
              (status = 400, description = "An element that cannot be read"),
              (status = 404, description = "707 no such series")))]
pub async fn bulk_issue(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let series = series_ids(body.get("seriesIds"))?;
    let who = who(body.get("customer"))?;
    let (_, results) = state
        .app
        .incentives()
        .issue_bulk(&ctx, &series, &who)
        .await?;
    Ok(bulk(results.iter().map(|(id, r)| match r {
        Ok((c, s)) => (
            json!({"entityId": id, "result": render::coupon(c, s, &ctx.org),
                "errors": [], "warnings": []}),
            true,
        ),
        Err(e) => (
            json!({"entityId": id, "result": null, "errors": [item_json(e)], "warnings": []}),
            false,
        ),
    })))
}

/// `{response, totalCount, failureCount}` of a bulk call from its items and whether each
/// succeeded.
fn bulk(items: impl Iterator<Item = (Value, bool)>) -> Json<Value> {
    let (response, ok): (Vec<Value>, Vec<bool>) = items.unzip();
    let failed = ok.iter().filter(|ok| !**ok).count();
    Json(json!({"response": response, "totalCount": ok.len(), "failureCount": failed}))
}

fn overall(ok: bool, code: u32, message: &str) -> Value {
    json!({"status": ok, "message": message, "code": code})
}

/// Redeems coupons, promo codes or gift vouchers against a bill: all codes of the request
/// or none. A voucher item may say how much of it to spend (`amount`).
#[utoipa::path(post, path = "/v2/coupon/redeem", tag = "coupons", request_body = Object,
    responses((status = 200, description = "`{redemption: [...], redemptionStatus (700), customer, warnings}`"),
              (status = 400, description = "The refusal: 702 code, 703 not issued to customer, 711 redeemed, 713 expired, 714/728 limits, 716 twice, 733 bill, 735 store, 736 voucher empty, 739 date")))]
pub async fn redeem(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let input = redeem_input(&body, ctx.tz())?;
    let who = who(body.get("user"))?;
    let (customer, done) = state.app.incentives().redeem(&ctx, &who, &input).await?;
    let ok = Success::CouponProcessed;
    Ok(Json(json!({
        "redemption": done.iter().map(render::redemption).collect::<Vec<_>>(),
        "redemptionStatus": overall(true, ok.code(), ok.message()),
        "customer": customer_json(&state, &p, customer.id).await?,
        "warnings": [],
    })))
}

/// Redeems a customer's coupons one by one: each succeeds or fails on its own.
#[utoipa::path(post, path = "/v2/coupon/bulk/redeem", tag = "coupons", request_body = Object,
    params(("source" = Option<String>, Query, description = "Customer source"),
           ("accountId" = Option<String>, Query, description = "Source account")),
    responses((status = 200, description = "`{response: [{entityId, result, errors}], totalCount, failureCount}`"),
              (status = 400, description = "718 transaction number required, 701 customer")))]
pub async fn bulk_redeem(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let input = redeem_input(&body, ctx.tz())?;
    let who = who(body.get("user"))?;
    let (_, results) = state
        .app
        .incentives()
        .redeem_each(&ctx, &who, &input)
        .await?;
    Ok(bulk(results.iter().map(|(code, r)| match r {
        Ok(done) => (
            json!({"entityId": done.redemption.id, "result": render::redemption(done), "errors": []}),
            true,
        ),
        Err(e) => {
            let item = item_json(e);
            let message = item["message"].as_str().unwrap_or("").to_string();
            (
                json!({"entityId": null, "result": render::refused(code, e.code(), &message),
                    "errors": [item]}),
                false,
            )
        }
    })))
}

/// Reverses redemptions (`{"redemptionIds": [...]}`): each code gets its use back and a
/// voucher its amount. All or none.
#[utoipa::path(post, path = "/v2/coupon/reactivate", tag = "coupons", request_body = Object,
    responses((status = 200, description = "`{warnings, errors, success: true}`"),
              (status = 404, description = "702 unknown redemption id"),
              (status = 400, description = "706 already reactivated")))]
pub async fn reactivate(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let ids = body
        .get("redemptionIds")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid("Invalid input: redemptionIds is required"))?
        .iter()
        .map(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .map(RedemptionId::new)
                .ok_or_else(|| ApiError::invalid("Invalid input: redemptionIds are numbers"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    state.app.incentives().reactivate(&ctx, &ids).await?;
    Ok(Json(json!({"warnings": [], "errors": [], "success": true})))
}

fn who_of_query(q: Option<&str>) -> Who {
    let first = |k: &str| query_values(q, k).into_iter().next();
    Who {
        id: first("id"),
        mobile: first("mobile"),
        email: first("email"),
        external_id: first("externalId"),
    }
}

/// Whether codes are redeemable by a customer now (`code=C1,C2`, `{mobile|email|externalId|id}`,
/// optional `billAmount`).
#[utoipa::path(get, path = "/v2/coupon/is_redeemable", tag = "coupons",
    params(("code" = String, Query, description = "Codes, comma-separated"),
           ("mobile" = Option<String>, Query, description = "Customer mobile"),
           ("email" = Option<String>, Query, description = "Customer email"),
           ("externalId" = Option<String>, Query, description = "Customer external id"),
           ("id" = Option<i64>, Query, description = "Customer id"),
           ("billAmount" = Option<String>, Query, description = "Judge the bill limits for this amount")),
    responses((status = 200, description = "`{customer, redemption: [{code, isRedeemable, redemptionsLeft, …}], redemptionStatus (700), warnings}`"),
              (status = 404, description = "701 customer not found")))]
pub async fn is_redeemable(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let codes = query_values(q.as_deref(), "code");
    let bill = match query_values(q.as_deref(), "billAmount").first() {
        Some(b) => Some(
            b.parse()
                .map_err(|_| ApiError::invalid("Invalid input: billAmount must be a number"))?,
        ),
        None => None,
    };
    let (customer, list) = state
        .app
        .incentives()
        .is_redeemable(&ctx, &who_of_query(q.as_deref()), &codes, bill)
        .await?;
    let redemption: Vec<Value> = list
        .iter()
        .map(|r| {
            let err = r.verdict.as_ref().err().map(|e| (e.code(), e.to_string()));
            render::redeemability(r, err)
        })
        .collect();
    let ok = Success::CouponChecked;
    Ok(Json(json!({
        "customer": customer_json(&state, &p, customer.id).await?,
        "redemption": redemption,
        "redemptionStatus": {"code": ok.code(), "message": ok.message(), "status": true},
        "warnings": [],
    })))
}

/// Coupons by holder (`issuedToIds`), id (`couponIds`) or code (`couponCodes`), each
/// repeated or comma-separated.
#[utoipa::path(get, path = "/v2/coupon", tag = "coupons",
    params(("issuedToIds" = Option<String>, Query, description = "Customer ids"),
           ("couponIds" = Option<String>, Query, description = "Coupon ids"),
           ("couponCodes" = Option<String>, Query, description = "Coupon codes")),
    responses((status = 200, description = "`{data: [coupon], warnings, errors}`"),
              (status = 400, description = "None of the parameters given")))]
pub async fn coupons(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state, &p).await?;
    let ids = |k: &str| -> Result<Vec<i64>, ApiError> {
        query_values(q.as_deref(), k)
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|_| ApiError::invalid(format!("Invalid input: {k} are numbers")))
            })
            .collect()
    };
    let filter = CouponFilter {
        ids: ids("couponIds")?.into_iter().map(CouponId::new).collect(),
        codes: query_values(q.as_deref(), "couponCodes"),
        customers: ids("issuedToIds")?
            .into_iter()
            .map(CustomerId::new)
            .collect(),
    };
    let list = state.app.incentives().coupons(&ctx, &filter).await?;
    let data: Vec<Value> = list
        .iter()
        .map(|(c, s)| render::coupon(c, s, &ctx.org))
        .collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}

/// Incentives search: any code of the org (coupon, promo code or gift voucher) with its
/// series, status, validity, holder, redemptions and what is left; an unknown code (or
/// another org's) answers `{"code", "status": "invalid"}`.
#[utoipa::path(get, path = "/v2/incentives/search", tag = "coupons",
    params(("code" = String, Query, description = "The code to look up")),
    responses((status = 200, description = "`{code, kind, status, series, validTill, issuedTo, redemptions, redemptionsLeft, balance}` or `{code, status: invalid}`"),
              (status = 400, description = "No code given")))]
pub async fn search(
    State(state): State<AppState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = context(&state, &p).await?;
    let code = query_values(q.as_deref(), "code")
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::invalid("Invalid input: code is required"))?;
    let found = state.app.incentives().search(&ctx, &code).await?;
    let mut v = match &found {
        Some(f) => render::found(f, &ctx.org),
        None => json!({"code": code, "status": "invalid"}),
    };
    v["warnings"] = json!([]);
    Ok((StatusCode::OK, Json(v)))
}
