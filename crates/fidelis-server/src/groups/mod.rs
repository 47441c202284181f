//! The groups context on the wire (userGroup2): request bodies and queries parsed into
//! `fidelis_domain::groups` inputs, and groups, members and group transactions rendered in
//! Capillary's shapes. Handlers live in `api::v2::groups`.

use fidelis_app::groups::{GroupTransaction, GroupView};
use fidelis_domain::groups::Join;
use fidelis_domain::loyalty::tiers::TierBasis;
use fidelis_domain::loyalty::time::local_date;
use fidelis_domain::loyalty::EarningEntity;
use fidelis_store::groups::{GroupRecord, MemberRecord};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::loyalty::dates::iso;
use crate::loyalty::numbers::{decimal, float, num};
use crate::loyalty::render::transaction;
use crate::loyalty::summary::program_summary;
use crate::loyalty::Ctx;
use crate::ApiError;

/// A whole number from a number or a numeric string (`"id": "2361"` in the samples);
/// `None` for absent, null or "".
pub fn int(field: &str, v: Option<&Value>) -> Result<Option<i64>, ApiError> {
    let bad = || ApiError::invalid(format!("Invalid input: {field} must be a whole number"));
    match decimal(field, v).map_err(|_| bad())? {
        None => Ok(None),
        Some(d) if d.fract().is_zero() => i64::try_from(d).map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// A query flag: `true` in any case; anything else is false.
pub fn flag(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// One element of a join body, checked (its failure is that element's, not the batch's).
pub fn join_item(v: &Value) -> Result<Join, ApiError> {
    if !v.is_object() {
        return Err(ApiError::invalid(
            "Invalid input: each member must be an object",
        ));
    }
    let primary = match v.get("primaryMember") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => {
            return Err(ApiError::invalid(
                "Invalid input: primaryMember must be a boolean",
            ))
        }
    };
    let permissions = match v.get("permissions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::invalid("Invalid input: permissions must be strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid(
                "Invalid input: permissions must be an array",
            ))
        }
    };
    Ok(Join::check(
        int("userId", v.get("userId"))?,
        primary,
        &permissions,
    )?)
}

/// A member as the join response and `fleetGroupUsers` show it.
pub fn member(m: &MemberRecord) -> Value {
    json!({
        "userId": m.customer_id,
        "groupId": m.group_id,
        "permissions": m.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        // The primary member's group is their default group.
        "defaultGroup": m.primary,
        "active": m.active,
        "primaryMember": m.primary,
    })
}

/// `GET /v2/userGroup2`: the group, its members and its loyalty in every program.
pub fn group(ctx: &Ctx, v: &GroupView) -> Value {
    let g = &v.group;
    let tz = ctx.tz();
    let entity = EarningEntity::Group(g.id);
    let active = v.members.iter().filter(|m| m.active).count();
    let summaries: Vec<Value> =
        v.summaries
            .iter()
            .map(|s| {
                let mut out = program_summary(ctx, entity, s);
                let current =
                    s.program.tiers.as_ref().and_then(|t| {
                        t.tier(s.member.as_ref().map(|m| m.tier.serial).unwrap_or(1))
                    });
                if let Some(o) = out.as_object_mut() {
                    o.insert("userGroup2Id".into(), json!(g.id));
                    o.insert(
                        "currentSlabDescription".into(),
                        json!(current.map(|t| t.name.clone()).unwrap_or_default()),
                    );
                    o.insert("delayedExpiredPoints".into(), json!(0.0));
                    o.insert("programDescription".into(), json!(s.program.name.clone()));
                    o.insert("pointsContributionToGroup".into(), json!(0.0));
                }
                out
            })
            .collect();
    let gap: Vec<Value> = v
        .summaries
        .iter()
        .filter_map(|s| {
            let tiers = s.program.tiers.as_ref()?;
            let m = s.member.as_ref();
            let gap = tiers.gap_to_upgrade(
                m.map(|m| m.tier.serial).unwrap_or(1),
                m.map(|m| m.lifetime_purchases).unwrap_or_default(),
                m.map(|m| m.lifetime_points).unwrap_or_default(),
            )?;
            Some(json!({
                "programId": s.program.id,
                "upgradeBasedOn": match tiers.basis {
                    TierBasis::LifetimePurchases => "CUMULATIVE_PURCHASES",
                    TierBasis::LifetimePoints => "LIFETIME_POINTS",
                },
                "upgradeThreshold": float(gap.threshold),
                "customerUpgradeEntityValues": {
                    "currentValue": float(gap.current),
                    "gapToUpgrade": float(gap.gap),
                },
            }))
        })
        .collect();
    let lifetime: Decimal = v
        .summaries
        .first()
        .and_then(|s| s.member.as_ref())
        .map(|m| m.lifetime_purchases)
        .unwrap_or_default();
    json!({
        "id": g.id,
        "externalId": g.external_id,
        "groupStatus": g.status.as_str(),
        "fleetGroupUsers": v.members.iter().map(member).collect::<Vec<_>>(),
        "createdBy": g.created_by,
        "createdOn": iso(g.created_at, tz),
        "groupName": g.name,
        "maxGroupSize": g.max_size,
        "lifeTimePurchases": num(lifetime),
        "expiredPoints": v.expired.iter().map(|(program, e)| json!({
            "points": float(-e.points),
            "expiredOn": local_date(e.at, tz).to_string(),
            "programId": program,
            "expiredPointsSummary": [],
        })).collect::<Vec<_>>(),
        "expirySchedules": v.expiry_schedule.iter().map(|(program, i)| json!({
            "points": float(i.points),
            "expiryDate": i.date.to_string(),
            "expiryDateISO": iso(fidelis_domain::loyalty::time::end_of_local_day(i.date, tz), tz),
            "programId": program,
        })).collect::<Vec<_>>(),
        "gapToUpgrade": gap,
        "totalActiveMembers": active,
        "totalExitedMembers": v.members.len() - active,
        "pointsSummaries": summaries,
        "extendedFields": {},
        "warnings": [],
    })
}

/// The PUT response.
pub fn updated(g: &GroupRecord) -> Value {
    json!({"id": g.id, "groupName": g.name, "maxGroupSize": g.max_size, "warnings": []})
}

/// What `embed` asks the group transactions API to include besides the bill itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embed {
    pub extended_fields: bool,
    pub custom_fields: bool,
    pub line_items: bool,
    pub payment_details: bool,
}

impl Embed {
    /// The comma list; unknown values are 400.
    pub fn parse(v: Option<&str>) -> Result<Self, ApiError> {
        let mut e = Self::default();
        for part in v
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.to_ascii_uppercase().as_str() {
                "EXTENDEDFIELDS" => e.extended_fields = true,
                "CUSTOMFIELDS" => e.custom_fields = true,
                "LINEITEMS" => e.line_items = true,
                "PAYMENTDETAILS" => e.payment_details = true,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "Invalid embed {part}; use EXTENDEDFIELDS, CUSTOMFIELDS, LINEITEMS or PAYMENTDETAILS"
                    )))
                }
            }
        }
        Ok(e)
    }
}

/// One element of the group transactions API (E.5).
pub fn group_transaction(
    ctx: &Ctx,
    now: jiff::Timestamp,
    g: &GroupRecord,
    primary: Option<i64>,
    t: &GroupTransaction,
    embed: Embed,
) -> Value {
    let tz = ctx.tz();
    let mut out = transaction(ctx, &t.bill, t.store.as_ref(), None);
    let p = &t.points;
    let expired = p.expires_at.is_some_and(|e| e <= now);
    let summary = json!({
        "issuedPoints": float(p.issued),
        "returnedPoints": float(p.returned),
        "redeemedPoints": float(p.redeemed),
        "expiredPoints": float(p.expired),
        "availablePoints": float(if expired { Decimal::ZERO } else { p.remaining }),
        "expiryDate": p.expires_at.map(|e| iso(e, tz)),
        "programId": t.bill.program_id,
        "delayedPoints": 0.0,
        "delayedPointsReturned": 0.0,
        "redeemableFrom": iso(t.bill.billed_at, tz),
    });
    let Some(o) = out.as_object_mut() else {
        return out;
    };
    o.insert("pointSummary".into(), summary);
    o.insert(
        "userGroup2".into(),
        json!({"id": g.id, "groupStatus": g.status.as_str(), "primaryUserId": primary}),
    );
    o.insert(
        "transactionEventStatus".into(),
        json!("PROCESSING_COMPLETE"),
    );
    o.insert("ignorePoints".into(), json!(false));
    let keep = |o: &mut Map<String, Value>, key: &str, wanted: bool, empty: Value| {
        if !wanted {
            o.insert(key.into(), empty);
        }
    };
    keep(o, "extendedFields", embed.extended_fields, json!({}));
    keep(o, "customFields", embed.custom_fields, json!({}));
    keep(o, "lineItems", embed.line_items, json!([]));
    keep(o, "paymentModes", embed.payment_details, json!([]));
    out
}
