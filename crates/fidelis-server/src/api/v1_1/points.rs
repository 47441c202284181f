//! `GET /v1.1/points/isredeemable`, `GET /v1.1/points/validationcode` and
//! `POST /v1.1/points/redeem`. Thin handlers over the loyalty and identity commands: a
//! redemption checks its `validation_code` when the org or the request asks for one
//! (docs/loyalty.md, "Redemption validation codes").

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::request::{batch, elements};
use crate::auth::{ClientAddress, Principal};
use crate::json::ApiJson;
use fidelis_app::loyalty::{Ctx, Customer, Redemption, V1Identifiers};
use fidelis_domain::error::Success;
use fidelis_domain::identity::otp::ValidationType;
use fidelis_domain::identity::SignInId;
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
    /// The customer id (as `id`).
    pub user_id: Option<String>,
    /// The points to redeem (for a validation code: the points it is for; a redemption of
    /// other points does not accept it).
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
    /// `SMS` (check `validation_code`), `MISSED_CALL` (823: not offered) or `NONE`. An org
    /// that requires validation (the default) checks the code whatever this says.
    pub validation_type: Option<String>,
    /// `true`: like `validation_type=NONE` (still ignored where the org requires codes).
    pub skip_validation: Option<String>,
}

/// The customer the query names (`id`, else `user_id`, else an identifier) and the points.
async fn customer_and_points(
    state: &AppState,
    ctx: &Ctx,
    q: &RedeemableQuery,
) -> Result<(Customer, V1Identifiers, rust_decimal::Decimal), ApiError> {
    let ids = V1Identifiers {
        id: q.id.clone().or(q.user_id.clone()),
        mobile: q.mobile.clone(),
        email: q.email.clone(),
        external_id: q.external_id.clone(),
        card_number: q.card_number.clone(),
    };
    let c = state.app.loyalty().find_v1_customer(ctx, &ids).await?;
    let points = decimal("points", q.points.as_ref().map(|s| json!(s)).as_ref())?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points is required"))?;
    Ok((c, ids, points))
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
    let (c, ids, points) = customer_and_points(&state, &ctx, &q).await?;
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

/// Sends the customer a validation code (SMS, or email when named by email or without a
/// mobile) for redeeming `points`; a newer code supersedes it.
#[utoipa::path(get, path = "/v1.1/points/validationcode", tag = "points", params(RedeemableQuery),
    responses((status = 200, description = "`validation_code.code{user_id, mobile, email, points, item_status}` (200 issued)"),
              (status = 400, description = "No identifier, points missing or not positive, 860 no mobile or email to send to"),
              (status = 404, description = "8015 customer not found"),
              (status = 429, description = "1614 a code was sent moments ago, 1615 too many codes for this identifier, address or org")))]
pub async fn validation_code(
    State(state): State<AppState>,
    p: Principal,
    ClientAddress(ip): ClientAddress,
    Query(q): Query<RedeemableQuery>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (c, ids, points) = customer_and_points(&state, &ctx, &q).await?;
    if points <= rust_decimal::Decimal::ZERO {
        return Err(LoyaltyError::InvalidPoints.into());
    }
    let by_email = ids.email.is_some() && ids.mobile.is_none();
    let ip = ip.map(|a| a.to_string()).unwrap_or_default();
    let sent = state
        .app
        .identity()
        .send_points_code(&ctx.loyalty.org, c.id.get(), by_email, points, &ip)
        .await?;
    let (mobile, email) = match &sent {
        SignInId::Mobile(m) => (m.as_str(), ""),
        SignInId::Email(e) => ("", e.as_str()),
    };
    let code = json!({
        "user_id": c.id.to_string(),
        "mobile": mobile,
        "email": email,
        "points": points.normalize().to_string(),
        "item_status": {"success": "true", "code": "200", "message": "Validation Code Issued by SMS/Email"},
    });
    Ok(batch(1, 1, json!({"validation_code": {"code": code}})))
}

/// The same at the spelling `validation_code`.
#[utoipa::path(get, path = "/v1.1/points/validation_code", tag = "points", params(RedeemableQuery),
    responses((status = 200, description = "As `/v1.1/points/validationcode`"),
              (status = 400, description = "As `/v1.1/points/validationcode`"),
              (status = 404, description = "8015 customer not found"),
              (status = 429, description = "1614 cool-down, 1615 too many codes")))]
pub async fn validation_code_alias(
    state: State<AppState>,
    p: Principal,
    ip: ClientAddress,
    q: Query<RedeemableQuery>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    validation_code(state, p, ip, q).await
}

/// Redeems points for one or more customers; each element succeeds or fails on its own.
#[utoipa::path(post, path = "/v1.1/points/redeem", tag = "points", params(RedeemQuery),
    request_body = super::bodies::RedeemBody,
    responses((status = 200, description = "`responses.points[]` with `item_status` (800 redeemed)"),
              (status = 400, description = "Every item failed (808 validation code missing or invalid, 813 insufficient points, 823 missed call, …), or a bad validation_type")))]
pub async fn redeem_points(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RedeemQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let items = elements(&body, "redeem")?;
    let ctx = state.app.loyalty().context(&p).await?;
    let skip = q
        .skip_validation
        .as_deref()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"));
    let validation = match q.validation_type.as_deref() {
        Some(t) => Some(ValidationType::parse(t)?),
        None if skip => Some(ValidationType::None),
        None => None,
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = 0;
    for item in &items {
        let result = one(&state, &ctx, item, q.program_id, validation).await;
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
    validation: Option<ValidationType>,
) -> Result<Value, ApiError> {
    let ids = v1_identifiers(item.get("customer"));
    let customer = state.app.loyalty().find_v1_customer(ctx, &ids).await?;
    let points = decimal("points_redeemed", item.get("points_redeemed"))?
        .ok_or_else(|| ApiError::invalid("Input is invalid: points_redeemed is required"))?;
    let reference = text("transaction_number", item.get("transaction_number"))?;
    let notes = text("notes", item.get("notes"))?;
    let code = text("validation_code", item.get("validation_code"))?;
    let r = Redemption {
        program,
        points,
        reference: reference.clone(),
        notes,
        once: false,
    };
    let posted = state
        .app
        .loyalty()
        .redeem_validated(ctx, &customer, &r, validation, code.as_deref())
        .await?;
    let left = state
        .app
        .loyalty()
        .balance(ctx, customer.id, program)
        .await?;
    let mut v = identity(&customer, &ids);
    let reference = reference.unwrap_or_default();
    v["user_id"] = json!(customer.id.get().to_string());
    v["points_redeemed"] = json!(points.to_string());
    // A point is worth one unit of the org's currency (`points_currency_ratio` 1).
    v["redeemed_value"] = num(points);
    v["redeemed_local_value"] = num(points);
    v["transaction_number"] = json!(reference);
    v["redemption_id"] = json!(posted.entry_id.to_string());
    v["balance"] = num(left.net);
    v["side_effects"] = json!({"effect": [{
        "id": posted.entry_id,
        "case_value": "true",
        "num_points": num(points),
        "currency_value": num(points),
        "validation_code": code.unwrap_or_default(),
        "points_redemption_summary_id": posted.entry_id.to_string(),
        "redeemed_on_bill_number": reference,
        "redeemed_on_bill_id": -1,
        "type": "points",
    }]});
    Ok(v)
}
