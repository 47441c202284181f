//! Goodwill requests over v1.1 (`request/add`, `request/approve`, `request/reject`) and
//! their v2 history. Each element of a v1.1 batch succeeds or fails on its own
//! (`item_status`); the request-level status is 200 (all added), 201 (some failed) or
//! 500 (all failed).

use fidelis_app::customers::CustomerView;
use fidelis_app::loyalty::{GoodwillInput, V1Identifiers};
use fidelis_domain::error::Success;
use fidelis_domain::loyalty::goodwill::GoodwillStatus;
use fidelis_domain::loyalty::ProgramId;
use fidelis_store::loyalty::GoodwillRecord;
use serde_json::{json, Value};

use super::dates::iso;
use super::numbers::{decimal, num, text};
use super::Ctx;
use crate::api::local_time;
use crate::ApiError;

/// The `item_status` of a v1.1 batch element: what went well, or the failure's code and
/// message.
pub fn item_status(result: Result<Success, &ApiError>) -> Value {
    match result {
        Ok(s) => json!({"success": "true", "code": s.code(), "message": s.message()}),
        Err(e) => json!({"success": "false", "code": e.first_code(), "message": e.first_message()}),
    }
}

/// The v1.1 identifier fields of a `customer` object (strings or numbers).
pub fn v1_identifiers(c: Option<&Value>) -> V1Identifiers {
    let field = |k: &str| {
        c.and_then(|c| c.get(k)).and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or(v.as_i64().map(|n| n.to_string()))
        })
    };
    V1Identifiers {
        id: field("id"),
        mobile: field("mobile"),
        email: field("email"),
        external_id: field("external_id"),
        card_number: field("card_number"),
    }
}

/// One `request/add` element.
pub fn goodwill_input(
    item: &Value,
    program_id: Option<ProgramId>,
    auto_approve: Option<bool>,
) -> Result<GoodwillInput, ApiError> {
    Ok(GoodwillInput {
        kind: text("type", item.get("type"))?,
        base_type: text("base_type", item.get("base_type"))?,
        customer: v1_identifiers(item.get("customer")),
        program_id,
        points: decimal("points", item.get("points"))?,
        coupon_series_id: text("series_id", item.get("series_id"))?,
        reference_id: text("reference_id", item.get("reference_id"))?,
        reason: text("reason", item.get("reason"))?,
        comments: text("comments", item.get("comments"))?,
        auto_approve,
    })
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
        // The points credited, or the code of the coupon issued.
        "new_value": r.points.map(|p| p.to_string()).or_else(|| r.coupon_code.clone()).unwrap_or_default(),
        "coupon_code": r.coupon_code,
    })
}

/// A decided request as v1.1 `request/approve` documents it (`requests.goodwill`).
pub fn v1_goodwill(
    ctx: &Ctx,
    r: &GoodwillRecord,
    customer: Option<&CustomerView>,
    updated_comments: &Value,
) -> Value {
    let profile = customer.and_then(|c| c.customer.profiles.first());
    let identifier = |kind: &str| {
        customer
            .into_iter()
            .flat_map(|c| c.customer.profiles.iter())
            .flat_map(|p| p.identifiers.iter())
            .find(|i| i.kind == kind)
            .map(|i| i.value.clone())
            .unwrap_or_default()
    };
    json!({
        "id": r.id.to_string(),
        "type": r.base_type.as_str(),
        "reason": r.reason,
        "comments": r.comments.clone().unwrap_or_default(),
        "updated_comments": updated_comments,
        "status": r.status.as_str(),
        "reply": "",
        "customer": {
            "firstname": profile.and_then(|p| p.first_name.clone()).unwrap_or_default(),
            "lastname": profile.and_then(|p| p.last_name.clone()).unwrap_or_default(),
            "email": identifier("email"),
            "mobile": identifier("mobile"),
            "external_id": identifier("externalId"),
        },
        "added_on": iso(r.created_at, ctx.tz()),
        "last_action_on": iso(r.decided_at.unwrap_or(r.created_at), ctx.tz()),
    })
}

/// A request in the v2 history (`GET /v2/customers/{id}/goodwillRequest`): Capillary's
/// documented keys, then Fidelis's (program, reference id, the ledger entry or coupon).
pub fn v2_request(ctx: &Ctx, r: &GoodwillRecord) -> Value {
    // Who acted: a till, or an API client (Capillary's admin users).
    let who = |name: &str| {
        let kind = if name.starts_with("api-client:") {
            "ADMIN_USER"
        } else {
            "TILL"
        };
        json!({"code": name, "name": name, "description": "", "type": kind,
               "adminType": "GENERAL", "isActive": true, "isOuEnabled": false})
    };
    let updated = r.decided_at.unwrap_or(r.created_at);
    let approved_value = match r.status {
        GoodwillStatus::Approved => r
            .points
            .map(|p| p.to_string())
            .or_else(|| r.coupon_code.clone()),
        _ => None,
    };
    json!({
        "id": r.id,
        "requestId": r.id,
        "addedBy": who(&r.maker),
        "updatedBy": who(r.checker.as_deref().unwrap_or(&r.maker)),
        "addedOn": iso(r.created_at, ctx.tz()),
        "updatedOn": iso(updated, ctx.tz()),
        "userId": r.customer_id,
        "goodwillType": r.base_type.as_str(),
        "goodwillStatus": r.status.as_str(),
        "comments": r.comments.clone().unwrap_or_default(),
        "reason": r.reason,
        "approvedValue": approved_value,
        "oneStep": false,
        "programId": r.program_id,
        "referenceId": r.reference_id,
        "points": r.points.map(num),
        "seriesId": r.coupon_series_id,
        "couponCode": r.coupon_code,
        "ledgerEntryId": r.entry_id,
    })
}
