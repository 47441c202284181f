//! Transaction responses: the POST shape of capillary-examples.md C.4, bulk items (C.5)
//! and `GET /v2/transactions/{id}`.

use fidelis_domain::loyalty::TransactionType;
use fidelis_domain::org::Entity;
use fidelis_store::loyalty::BillRecord;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::dates::{iso, spoken_date};
use super::numbers::{float, milli_text, num};
use super::Ctx;
use fidelis_app::loyalty::Outcome;
use fidelis_app::AppError;

pub fn warnings(w: &[AppError]) -> Vec<Value> {
    w.iter().map(crate::error::item_json).collect()
}

/// Points side effects: what a bill awarded, or (negative) what a return took back.
pub fn side_effects(o: &Outcome) -> Vec<Value> {
    // The entity that earned: the customer (`USER`) or the group (`USERGROUP2`).
    let points = |entity: &str, raw: Decimal, awarded: Decimal| {
        json!({"entityType": entity, "rawAwardedPoints": float(raw),
               "awardedPoints": num(awarded), "type": "points"})
    };
    let mut out = Vec::new();
    if let Some(a) = &o.award {
        out.push(points(a.earner.kind(), a.raw_points, a.points));
    }
    let reversed: Decimal = o.returns.iter().map(|r| r.points_reversed).sum();
    if !o.returns.is_empty() {
        out.push(points("USER", -reversed, -reversed));
    }
    out
}

/// The codes redeemed with the bill, in the shape of the request's `redemptions` field
/// (`couponRedemptions`), each as `POST /v2/coupon/redeem` answers it.
fn redemptions(o: &Outcome) -> Value {
    let coupons: Vec<Value> = o
        .redemptions
        .iter()
        .map(crate::incentives::render::redemption)
        .collect();
    json!({"couponRedemptions": coupons, "pointsRedemptions": []})
}

/// `rawSideEffects`: the award as Capillary's points engine reports it, values as strings.
pub fn raw_side_effects(ctx: &Ctx, o: &Outcome) -> Vec<Value> {
    let Some(a) = o.award.as_ref().filter(|a| a.points > Decimal::ZERO) else {
        return Vec::new();
    };
    let tz = ctx.tz();
    let awarded_at = o.billed_at;
    let (expiry, expiry_ms) = match a.expires_at {
        Some(e) => (spoken_date(e, tz), (e.as_millisecond() + 999).to_string()),
        None => (String::new(), String::new()),
    };
    vec![json!({
        "awardOn": "BILL",
        "awardStrategyId": a.program_id.to_string(),
        "awardedOn": spoken_date(awarded_at, tz),
        "awardedOnMillis": awarded_at.as_millisecond().to_string(),
        "billNumber": o.bill_number,
        "evaluatedEntity": a.earner.kind(),
        "expiryDate": expiry,
        "expiryDateMillis": expiry_ms,
        "expiryStrategyId": a.program_id.to_string(),
        "lineItemId": "-1",
        "pointTypeId": a.program_id.to_string(),
        "pointTypeIsRedeemable": "true",
        "pointTypeName": "Main",
        "points": milli_text(a.points),
        "programId": a.program_id.to_string(),
        "promoId": "-1",
        "promoIdentifier": "",
        "promoName": "",
        "sourceId": a.transaction_id.to_string(),
        "sourceType": "Bill",
        "tenderCodeId": "-1",
        "type": "AWARD",
    })]
}

/// The single POST response (C.4).
pub fn posted(ctx: &Ctx, o: &Outcome, raw: bool) -> Value {
    let mut v = json!({
        "createdId": o.id,
        "warnings": warnings(&o.warnings),
        "errors": [],
        "sideEffects": side_effects(o),
    });
    if !o.redemptions.is_empty() {
        v["redemptions"] = redemptions(o);
    }
    if raw {
        v["rawSideEffects"] = Value::Array(raw_side_effects(ctx, o));
    }
    v["customerInfo"] = match &o.customer {
        Some(c) => json!({"firstName": c.first_name, "lastName": c.last_name}),
        None => json!({}),
    };
    v
}

/// One bulk element (C.5): the item echoed with its side effects, errors and warnings.
pub fn bulk_item(item: &Value, ctx: &Ctx, o: Result<&Outcome, &crate::ApiError>) -> Value {
    let pick = |k: &str| item.get(k).cloned().unwrap_or(Value::Null);
    let mut result = json!({
        "identifierType": pick("identifierType"),
        "identifierValue": pick("identifierValue"),
        "source": pick("source"),
        "type": pick("type"),
        "billAmount": pick("billAmount"),
        "billNumber": pick("billNumber"),
        "useDefaultFleetGroup": false,
    });
    match o {
        Ok(o) => {
            result["billingDate"] = json!(iso(o.billed_at, ctx.tz()));
            result["sideEffects"] = Value::Array(side_effects(o));
            if !o.redemptions.is_empty() {
                result["redemptions"] = redemptions(o);
            }
            json!({"entityId": o.id, "result": result, "errors": [], "warnings": warnings(&o.warnings)})
        }
        Err(e) => {
            result["billingDate"] = pick("billingDate");
            result["sideEffects"] = json!([]);
            let errors: Vec<Value> = e
                .items
                .iter()
                .map(|i| json!({"status": false, "code": i.code, "message": i.message}))
                .collect();
            json!({"entityId": null, "result": result, "errors": errors, "warnings": []})
        }
    }
}

/// `GET /v2/transactions/{id}`.
pub fn transaction(
    ctx: &Ctx,
    b: &BillRecord,
    store: Option<&Entity>,
    till: Option<&Entity>,
) -> Value {
    let tz = ctx.tz();
    let d: Value = serde_json::from_str(&b.details).unwrap_or_else(|_| json!({}));
    let field = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
    let entity = |e: Option<&Entity>| match e {
        Some(e) => json!({"id": e.id, "code": e.code, "name": e.name,
            "description": e.description, "type": e.kind.as_str(),
            "adminType": "GENERAL", "isActive": true, "isOuEnabled": false}),
        None => Value::Null,
    };
    // Each line as Capillary nests it: the line as sent in `details` (with the documented
    // defaults), around it the line's status. Lines have no ids of their own in Fidelis.
    let outlier = b.outlier_status.clone();
    let line_items: Vec<Value> = d
        .get("lineItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut l| {
            for (k, v) in [
                ("description", json!("")),
                ("discount", json!(0.0)),
                ("serial", json!(0)),
                ("value", json!(0.0)),
                ("returnableDays", json!(-1)),
                ("returnable", json!(true)),
                ("attributes", json!({})),
                ("extendedFields", json!({})),
                ("attributesSet", json!([])),
            ] {
                if l.get(k).is_none() {
                    l[k] = v;
                }
            }
            json!({
                "customerId": b.customer_id,
                "details": l,
                "outlierStatus": outlier,
                "returnDetails": {},
                "valid": true,
                "returnLineItemsDtos": [],
                "niReturnLineItemsDtos": [],
                "addonDetails": [],
                "splitItemsDetails": [],
                "niReturn": false,
            })
        })
        .collect();
    let basket_size: f64 = line_items
        .iter()
        .filter_map(|l| {
            l["details"]["qty"]
                .as_f64()
                .or_else(|| l["details"]["qty"].as_str()?.parse().ok())
        })
        .sum();
    // Tenders as Capillary answers them: the sent `value` is the `amount`.
    let payment_modes: Vec<Value> = field("paymentModes")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut m| {
            if let Some(v) = m.as_object_mut().and_then(|o| o.remove("value")) {
                m["amount"] = v;
            }
            m
        })
        .collect();
    let canceled = b.return_type.as_deref() == Some("CANCELLED");
    let kind = TransactionType::parse(&b.txn_type).unwrap_or(TransactionType::Regular);
    json!({
        "id": b.id,
        "type": kind.as_str(),
        "customerId": if b.customer_id.get() > 0 { json!(b.customer_id) } else { Value::Null },
        "billDetails": {
            "amount": num(b.amount),
            "billingStore": entity(store),
            "billNumber": b.bill_number,
            "billingTime": iso(b.billed_at, tz),
            "discount": field("discount"),
            "grossAmount": field("grossAmount"),
            "note": field("note"),
            "returnDetails": {"canceled": canceled},
            "niReturnDetails": {},
            "invalidBill": false,
        },
        "billingTill": entity(till),
        "deliveryStatus": field("deliveryStatus"),
        "notInterestedReason": field("notInterestedReason"),
        "returnType": b.return_type,
        "parentId": b.parent_id,
        "outlierStatus": b.outlier_status,
        "points": {"awarded": num(b.points), "raw": float(b.raw_points),
                   "returnedAmount": num(b.amount_returned), "reversed": num(b.points_reversed)},
        "useDefaultFleetGroup": false,
        "attribution": {"createDate": iso(b.created_at, tz),
                        "createdBy": entity(till),
                        "modifiedBy": {},
                        "modifiedDate": iso(b.created_at, tz)},
        "addWithLocalCurrency": false,
        "async": false,
        "ignorePoints": false,
        "lineItems": line_items,
        "basketSize": basket_size,
        "returnDetails": {"canceled": canceled},
        "niReturnDetails": {},
        "paymentModes": payment_modes,
        "extendedFields": field("extendedFields"),
        "customFields": field("customFields"),
        "autoUpdateTime": iso(b.created_at, tz),
        "warnings": [],
    })
}
