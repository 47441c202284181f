//! Series, coupons, redemptions and search results in Capillary's shapes.

use fidelis_app::incentives::{Found, Redeemability};
use fidelis_domain::error::Success;
use fidelis_domain::incentives::{Expiry, IncentiveKind};
use fidelis_domain::org::Org;
use fidelis_store::incentives::{CouponRecord, Redeemed, RedemptionRecord, SeriesRecord};
use jiff::Timestamp;
use serde_json::{json, Value};

use crate::customers::render::iso;
use crate::loyalty::numbers::{float, num};

fn unlimited(n: Option<u32>) -> Value {
    n.map_or(json!(-1), |n| json!(n))
}

fn when(t: Option<Timestamp>, org: &Org) -> Value {
    t.map_or(Value::Null, |t| json!(iso(t, org)))
}

/// A series as `GET /v2/coupon/series` and the create response show it.
pub fn series(s: &SeriesRecord, org: &Org) -> Value {
    let r = &s.rules;
    let mut v = Value::Object(s.extra.0.clone());
    let (strategy, value, days) = match r.expiry {
        Expiry::SeriesExpiry => ("SERIES_EXPIRY", json!(-1), json!(-1)),
        Expiry::Days(n) => ("DAYS", json!(n), json!(n)),
        Expiry::Months(n) => ("MONTHS", json!(n), json!(-1)),
    };
    let places: Vec<Value> = [
        ("STORE", &r.redeemable_at.stores),
        ("CONCEPT", &r.redeemable_at.concepts),
        ("ZONE", &r.redeemable_at.zones),
    ]
    .into_iter()
    .flat_map(|(t, ids)| {
        ids.iter()
            .map(move |id| json!({"redemptionOrgEntityType": t, "orgEntityId": id}))
    })
    .collect();
    let ours = json!({
        "id": s.id,
        "orgId": org.id,
        "kind": r.kind.as_str(),
        "description": r.description,
        "discountCode": r.discount_code,
        "validTillDate": when(r.valid_till, org),
        "validDaysFromCreation": days,
        "expiryStrategyType": strategy,
        "expiryStrategyValue": value,
        "maxCreate": unlimited(r.max_create),
        "maxRedeem": unlimited(r.max_redeem),
        "anyUser": r.any_user,
        "sameUserMultipleRedeem": r.same_user_multiple_redeem,
        "isMultipleUseAllowed": r.multiple_use,
        "maxRedemptionsInSeriesPerUser": unlimited(r.max_redemptions_per_user),
        "isMultipleVouchersPerUserAllowed": r.max_vouchers_per_user != Some(1),
        "maxVouchersPerUser": unlimited(r.max_vouchers_per_user),
        "minBillAmount": r.min_bill_amount.map_or(json!(0), num),
        "maxBillAmount": r.max_bill_amount.map_or(json!(-1), num),
        "redemptionValidFrom": when(r.redemption_valid_from, org),
        "redemptionOrgEntityDetails": places,
        "randomCodeLength": r.code_length,
        "seriesCode": s.code,
        "genericCode": s.promo_code,
        "numIssued": s.num_issued,
        "numRedeemed": s.num_redeemed,
        "isActive": s.is_active,
        "createdBy": s.created_by,
        "createdOn": iso(s.created_at, org),
        "discountOn": "BILL",
        "discountType": r.discount_type.as_str(),
        "discountValue": num(r.discount_value),
        "discountUpto": num(r.discount_upto),
    });
    if let (Some(obj), Value::Object(ours)) = (v.as_object_mut(), ours) {
        obj.extend(ours);
    }
    v
}

/// A code as issue and `GET /v2/coupon` show it.
pub fn coupon(c: &CouponRecord, s: &SeriesRecord, org: &Org) -> Value {
    let r = &s.rules;
    let mut v = json!({
        "id": c.id,
        "code": c.code,
        "seriesId": s.id,
        "kind": r.kind.as_str(),
        "description": r.description,
        "discountCode": r.discount_code,
        "validTill": when(c.valid_till, org),
        "discountType": r.discount_type.as_str(),
        "discountValue": float(r.discount_value),
        "discountUpto": float(r.discount_upto),
        "discountOn": "BILL",
        "detailedInfo": r.description,
        "issuedTo": c.customer_id,
        "issuedOn": iso(c.issued_at, org),
        "redemptionCount": c.redemptions,
    });
    if let Some(b) = c.balance {
        v["balance"] = num(b);
    }
    v
}

fn status_block(code: u32, message: &str, ok: bool) -> Value {
    json!({
        "statusCode": {"status": ok, "message": message, "code": code},
        "warnings": [],
        "warningsAsStatusCode": [],
        "message": message,
        "code": code,
        "success": ok,
    })
}

/// One redemption of `POST /v2/coupon/redeem` (D.2).
pub fn redemption(r: &Redeemed) -> Value {
    let rules = &r.series.rules;
    let ok = Success::CouponProcessed;
    let mut v = json!({
        "id": r.redemption.id,
        "currencyInput": false,
        "localToBaseCurrencyExchangeRate": 0,
        "warnings": [],
        "appendedErrorMessage": "",
        "code": r.coupon.code,
        "discountCode": rules.discount_code,
        "seriesCode": r.series.id,
        "isAbsolute": rules.is_absolute(),
        "couponValue": float(rules.discount_value),
        "redemptionStatus": status_block(ok.code(), ok.message(), true),
        "discountType": rules.discount_type.as_str(),
        "discountValue": num(rules.discount_value),
        "discountUpto": num(rules.discount_upto),
        "discountAmount": num(r.redemption.amount),
    });
    if let Some(b) = r.coupon.balance {
        v["balance"] = num(b);
    }
    v
}

/// A failed item of a bulk redemption.
pub fn refused(code: &str, err_code: u32, message: &str) -> Value {
    json!({
        "code": code,
        "warnings": [],
        "appendedErrorMessage": message,
        "redemptionStatus": status_block(err_code, message, false),
    })
}

/// One entry of `is_redeemable` (D.3).
pub fn redeemability(r: &Redeemability, err: Option<(u32, String)>) -> Value {
    let (series, by_user) = match &r.found {
        Some((s, _, u)) => (Some(s), u.code_by_customer),
        None => (None, 0),
    };
    let mut v = json!({
        "appendedErrorMessage": err.as_ref().map_or("", |e| e.1.as_str()),
        "code": r.code,
        "isAbsolute": series.is_some_and(|s| s.rules.is_absolute()),
        "isRedeemable": err.is_none(),
        "numberOfRedemptionsByUser": by_user,
        "redemptionsLeft": unlimited(r.redemptions_left),
        "warnings": [],
    });
    if let Some((code, message)) = err {
        v["redemptionStatus"] = json!({"code": code, "message": message, "status": false});
    }
    if let Some((_, c, _)) = &r.found {
        if let Some(b) = c.balance {
            v["balance"] = num(b);
        }
    }
    v
}

fn history(r: &RedemptionRecord, org: &Org) -> Value {
    json!({
        "id": r.id,
        "customerId": r.customer_id,
        "transactionNumber": r.transaction_number,
        "billAmount": num(r.bill_amount),
        "amount": num(r.amount),
        "redeemedOn": iso(r.redeemed_at, org),
        "tillId": r.till_id,
        "storeId": r.store_id,
        "redeemedBy": r.actor,
        "reactivated": r.reversed_at.is_some(),
        "reactivatedOn": when(r.reversed_at, org),
    })
}

/// An incentives search hit.
pub fn found(f: &Found, org: &Org) -> Value {
    let r = &f.series.rules;
    let mut v = json!({
        "code": f.coupon.code,
        "kind": r.kind.search_name(),
        "status": f.status.as_str(),
        "series": {
            "id": f.series.id,
            "seriesCode": f.series.code,
            "description": r.description,
            "discountType": r.discount_type.as_str(),
            "discountValue": num(r.discount_value),
            "discountUpto": num(r.discount_upto),
            "isActive": f.series.is_active,
        },
        "issuedOn": iso(f.coupon.issued_at, org),
        "validFrom": when(r.redemption_valid_from, org),
        "validTill": when(f.coupon.valid_till.or(r.valid_till), org),
        "issuedTo": f.holder.as_ref().map(|c| json!({
            "id": c.id, "firstName": c.first_name, "lastName": c.last_name,
        })),
        "redemptionCount": f.coupon.redemptions,
        "redemptionsLeft": unlimited(f.redemptions_left),
        "redemptions": f.redemptions.iter().map(|h| history(h, org)).collect::<Vec<_>>(),
    });
    if r.kind == IncentiveKind::GiftVoucher {
        v["faceValue"] = num(r.discount_value);
        v["balance"] = f.coupon.balance.map_or(Value::Null, num);
    }
    v
}
