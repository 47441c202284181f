//! Request bodies of the coupon API.

use fidelis_app::incentives::{CodeAsk, RedeemInput, SeriesInput, Who};
use fidelis_domain::incentives::series::{CODE_LENGTH, DEFAULT_CODE_LENGTH};
use fidelis_domain::incentives::{
    DiscountType, Expiry, IncentiveKind, IncentivesError, KeptFields, RedeemableAt, SeriesRules,
};
use fidelis_domain::loyalty::time::{end_of_local_day, local_date};
use fidelis_domain::org::{EntityId, EntityKind};
use jiff::tz::TimeZone;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::loyalty::dates;
use crate::loyalty::numbers::{decimal, text};
use crate::ApiError;

/// Keys of the series body Fidelis reads; every other key is kept and echoed.
const READ: &[&str] = &[
    "id",
    "orgId",
    "kind",
    "genericCode",
    "description",
    "discountCode",
    "discountType",
    "discountValue",
    "discountUpto",
    "validTillDate",
    "expiryStrategyType",
    "expiryStrategyValue",
    "validDaysFromCreation",
    "maxCreate",
    "maxRedeem",
    "anyUser",
    "sameUserMultipleRedeem",
    "isMultipleUseAllowed",
    "maxRedemptionsInSeriesPerUser",
    "isMultipleVouchersPerUserAllowed",
    "maxVouchersPerUser",
    "minBillAmount",
    "maxBillAmount",
    "redemptionValidFrom",
    "redemptionOrgEntityDetails",
    "randomCodeLength",
    "isActive",
    "seriesCode",
    "numIssued",
    "numRedeemed",
    "createdOn",
    "createdBy",
    "warnings",
];

fn invalid(msg: impl Into<String>) -> ApiError {
    IncentivesError::InvalidSeries(msg.into()).into()
}

fn flag(o: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid(format!("{key} must be true or false"))),
    }
}

/// A count where Capillary writes `-1` (or 0) for "no limit".
fn limit(o: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    match decimal(key, o.get(key))? {
        None => Ok(None),
        Some(d) if d <= Decimal::ZERO => Ok(None),
        Some(d) if d.fract().is_zero() => d
            .to_u32()
            .map(Some)
            .ok_or_else(|| invalid(format!("{key} is too large"))),
        Some(_) => Err(invalid(format!("{key} must be a whole number"))),
    }
}

fn amount(o: &Map<String, Value>, key: &str) -> Result<Option<Decimal>, ApiError> {
    Ok(decimal(key, o.get(key))?.filter(|d| *d > Decimal::ZERO))
}

/// The series object of a create (`{"CouponSeriesV2": {...}}`) or update (flat) body.
pub fn series_object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    let inner = body.get("CouponSeriesV2").unwrap_or(body);
    inner
        .as_object()
        .ok_or_else(|| ApiError::invalid("Invalid input: the body must be a coupon series object"))
}

/// The restrictions of `redemptionOrgEntityDetails`: `[{redemptionOrgEntityType, orgEntityId}]`.
fn places(o: &Map<String, Value>) -> Result<Vec<(EntityKind, EntityId)>, ApiError> {
    let Some(list) = o.get("redemptionOrgEntityDetails").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| invalid("redemptionOrgEntityDetails must be a list"))?;
    list.iter()
        .map(|e| {
            let kind = text("redemptionOrgEntityType", e.get("redemptionOrgEntityType"))?
                .and_then(|k| EntityKind::parse(&k))
                .filter(|k| *k != EntityKind::Till)
                .ok_or_else(|| invalid("redemptionOrgEntityType must be STORE, CONCEPT or ZONE"))?;
            let id = e
                .get("orgEntityId")
                .and_then(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .ok_or_else(|| invalid("orgEntityId must be an entity id"))?;
            Ok((kind, EntityId::new(id)))
        })
        .collect()
}

/// Parses a series body (`current`: the series an update starts from).
pub fn series_input(
    o: &Map<String, Value>,
    tz: &TimeZone,
    current: Option<&SeriesRules>,
) -> Result<(SeriesInput, Vec<(EntityKind, EntityId)>), ApiError> {
    let kind = match text("kind", o.get("kind"))? {
        Some(k) => IncentiveKind::parse(&k)
            .ok_or_else(|| invalid("kind must be COUPON, PROMO or GIFT_VOUCHER"))?,
        None => current.map_or(IncentiveKind::Coupon, |c| c.kind),
    };
    let discount_type = match text("discountType", o.get("discountType"))? {
        Some(t) => {
            DiscountType::parse(&t).ok_or_else(|| invalid("discountType must be ABS or PERC"))?
        }
        None => DiscountType::Abs,
    };
    let value = decimal("discountValue", o.get("discountValue"))?.unwrap_or(Decimal::ZERO);
    let mut r = SeriesRules::new(kind, discount_type, value);
    if let Some(d) = text("description", o.get("description"))? {
        r.description = d;
    }
    if let Some(d) = text("discountCode", o.get("discountCode"))? {
        r.discount_code = d;
    }
    r.discount_upto = decimal("discountUpto", o.get("discountUpto"))?.unwrap_or(Decimal::ZERO);
    // A series runs through the org-local day its validTillDate names.
    r.valid_till = dates::parse(
        "validTillDate",
        text("validTillDate", o.get("validTillDate"))?.as_deref(),
        tz,
    )?
    .map(|t| end_of_local_day(local_date(t, tz), tz));
    let strategy = text("expiryStrategyType", o.get("expiryStrategyType"))?;
    let n = limit(o, "expiryStrategyValue")?;
    r.expiry = match strategy.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("SERIES_EXPIRY") => match limit(o, "validDaysFromCreation")? {
            Some(days) if strategy.is_none() => Expiry::Days(days),
            _ => Expiry::SeriesExpiry,
        },
        Some("DAYS") => {
            Expiry::Days(n.ok_or_else(|| invalid("expiryStrategyValue must give the days"))?)
        }
        Some("MONTHS") => {
            Expiry::Months(n.ok_or_else(|| invalid("expiryStrategyValue must give the months"))?)
        }
        Some(other) => {
            return Err(invalid(format!(
                "expiryStrategyType {other} is not supported: use SERIES_EXPIRY, DAYS or MONTHS"
            )))
        }
    };
    r.redemption_valid_from = dates::parse(
        "redemptionValidFrom",
        text("redemptionValidFrom", o.get("redemptionValidFrom"))?.as_deref(),
        tz,
    )?;
    r.max_create = limit(o, "maxCreate")?;
    r.max_redeem = limit(o, "maxRedeem")?;
    if let Some(b) = flag(o, "anyUser")? {
        r.any_user = b;
    }
    if let Some(b) = flag(o, "sameUserMultipleRedeem")? {
        r.same_user_multiple_redeem = b;
    }
    if let Some(b) = flag(o, "isMultipleUseAllowed")? {
        r.multiple_use = b || kind != IncentiveKind::Coupon;
    }
    r.max_redemptions_per_user = limit(o, "maxRedemptionsInSeriesPerUser")?;
    r.max_vouchers_per_user = match flag(o, "isMultipleVouchersPerUserAllowed")? {
        Some(false) => Some(1),
        _ => limit(o, "maxVouchersPerUser")?,
    };
    r.min_bill_amount = amount(o, "minBillAmount")?;
    r.max_bill_amount = amount(o, "maxBillAmount")?;
    r.code_length = match limit(o, "randomCodeLength")? {
        None => DEFAULT_CODE_LENGTH,
        Some(n) if CODE_LENGTH.contains(&n) => n,
        Some(_) => return Err(invalid("randomCodeLength must be from 6 to 20")),
    };
    let places = places(o)?;
    r.redeemable_at = RedeemableAt::default();
    for (kind, id) in &places {
        match kind {
            EntityKind::Store => r.redeemable_at.stores.push(*id),
            EntityKind::Concept => r.redeemable_at.concepts.push(*id),
            _ => r.redeemable_at.zones.push(*id),
        }
    }
    let extra = KeptFields(
        o.iter()
            .filter(|(k, _)| !READ.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    let input = SeriesInput {
        rules: r,
        extra,
        promo_code: text("genericCode", o.get("genericCode"))?,
        active: flag(o, "isActive")?.unwrap_or(true),
    };
    Ok((input, places))
}

/// The customer of `user` / `customer` objects: `{id | mobile | email | externalId}`.
pub fn who(v: Option<&Value>) -> Result<Who, ApiError> {
    let v =
        v.ok_or_else(|| IncentivesError::InvalidInput("the customer (user) is required".into()))?;
    let field = |k: &str| text(k, v.get(k));
    Ok(Who {
        id: field("id")?,
        mobile: field("mobile")?,
        email: field("email")?,
        external_id: field("externalId")?.or(field("external_id")?),
    })
}

/// A `POST /v2/coupon/redeem` body.
pub fn redeem_input(body: &Value, tz: &TimeZone) -> Result<RedeemInput, ApiError> {
    let list = body
        .get("redemptionRequestList")
        .and_then(Value::as_array)
        .ok_or_else(|| IncentivesError::InvalidInput("redemptionRequestList is required".into()))?;
    let codes = list
        .iter()
        .map(|item| {
            let code = text("code", item.get("code"))?
                .ok_or_else(|| ApiError::from(IncentivesError::InvalidCode))?;
            Ok(CodeAsk {
                code,
                amount: decimal("amount", item.get("amount"))?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let bill = decimal("billAmount", body.get("billAmount"))?.ok_or_else(|| {
        IncentivesError::InvalidBillAmount {
            amount: Decimal::ZERO,
            reason: "billAmount is required".into(),
        }
    })?;
    Ok(RedeemInput {
        codes,
        bill_amount: bill,
        transaction_number: text("transactionNumber", body.get("transactionNumber"))?,
        at: dates::parse(
            "redemptionTime",
            text("redemptionTime", body.get("redemptionTime"))?.as_deref(),
            tz,
        )?,
    })
}

/// The values of `key` in a raw query string, repeated (`ids=1&ids=2`) or comma-separated
/// (`code=A,B`), percent-decoded.
pub fn query_values(raw: Option<&str>, key: &str) -> Vec<String> {
    raw.unwrap_or("")
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k).eq_ignore_ascii_case(key)).then(|| percent_decode(v))
        })
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                    Some(Ok(b)) => {
                        out.push(b);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_values() {
        let q = Some("ids=1&ids=2,3&code=A%2CB&other=x&ids=");
        assert_eq!(query_values(q, "ids"), ["1", "2", "3"]);
        assert_eq!(query_values(q, "code"), ["A", "B"]);
        assert!(query_values(None, "ids").is_empty());
        assert_eq!(percent_decode("a+b%20c%zz"), "a b c%zz");
    }
}
