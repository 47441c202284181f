//! Loyalty reads rendered: the program summary (`loyaltyDetails`, spec §1.2), the light
//! balance, the expiry schedule, expired points and the points ledger ("explain").

use fidelis_app::loyalty::{ExplainedLedger, ProgramSummary};
use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::ledger::{ExpiryScheduleItem, LedgerEntry};
use fidelis_domain::loyalty::time::{end_of_local_day, local_date};
use fidelis_domain::loyalty::{EarningEntity, Program, ProgramId, TierChangeKind};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::dates::iso;
use super::numbers::{float, num};
use super::partner::linked_json;
use super::Ctx;

/// One `loyaltyProgramDetails[]` / `loyaltyDetails.data[]` element (a customer's), or one
/// `pointsSummaries[]` element's common part (a group's).
/// `pointsSummary` (`embed=points`): the documented fields of a program summary.
pub fn points_summary(program: Option<&Value>) -> Value {
    const FIELDS: [&str; 14] = [
        "adjusted",
        "cumulativePurchases",
        "currentSlab",
        "expired",
        "lifetimePoints",
        "loyaltyId",
        "loyaltyPoints",
        "nextSlab",
        "nextSlabDescription",
        "nextSlabSerialNumber",
        "redeemed",
        "returned",
        "slabExpiryDate",
        "slabSNo",
    ];
    let Some(p) = program else {
        return json!({});
    };
    Value::Object(
        FIELDS
            .iter()
            .map(|f| ((*f).to_string(), p.get(*f).cloned().unwrap_or(Value::Null)))
            .collect(),
    )
}

pub fn program_summary(ctx: &Ctx, entity: impl Into<EarningEntity>, s: &ProgramSummary) -> Value {
    let entity: EarningEntity = entity.into();
    let program = &s.program;
    let member = s.member.as_ref();
    let serial = member.map(|m| m.tier.serial).unwrap_or(1);
    let tiers = program.tiers.as_ref();
    let current = tiers.and_then(|t| t.tier(serial));
    let next = tiers.and_then(|t| t.tier(serial + 1));
    let tier_name = |s: u32| tiers.and_then(|t| t.tier(s)).map(|t| t.name.clone());
    json!({
        "programId": program.id,
        "programTitle": program.name,
        "loyaltyId": if member.is_some() { entity.id() } else { -1 },
        "redeemed": float(s.redeemed),
        "expired": float(s.expired),
        "returned": float(s.returned),
        "adjusted": float(s.adjusted),
        "lifetimePoints": float(member.map(|m| m.lifetime_points).unwrap_or_default()),
        "loyaltyPoints": float(s.balance.net),
        "cumulativePurchases": float(member.map(|m| m.lifetime_purchases).unwrap_or_default()),
        "currentSlab": current.map(|t| t.name.clone()),
        "slabSNo": current.map(|t| t.serial),
        "slabExpiryDate": member.and_then(|m| m.tier.valid_until).map(|t| iso(t, ctx.tz())),
        "nextSlab": next.map(|t| t.name.clone()).unwrap_or_default(),
        "nextSlabSerialNumber": next.map(|t| i64::from(t.serial)).unwrap_or(-1),
        "nextSlabDescription": next.map(|t| format!("from {} {}", t.threshold, "lifetime purchases")).unwrap_or_default(),
        "delayedPoints": 0,
        "delayedReturnedPoints": 0,
        "totalAvailablePoints": float(s.balance.net),
        "totalReturnedPoints": float(s.returned),
        "linkedPartnerPrograms": s.partners.iter().map(|l| linked_json(ctx, l)).collect::<Vec<_>>(),
        "tierHistory": s.tier_changes.iter().map(|c| json!({
            "activity": match c.change.kind {
                TierChangeKind::Upgrade => "UPGRADED",
                TierChangeKind::Renew => "RENEWED",
                TierChangeKind::Downgrade => "DOWNGRADED",
            },
            "fromSlab": tier_name(c.change.from),
            "toSlab": tier_name(c.change.to),
            "date": iso(c.change.effective_at, ctx.tz()),
            "validUntil": c.change.valid_until.map(|t| iso(t, ctx.tz())),
            "source": c.source.kind.as_str(),
            "sourceId": c.source.reference,
        })).collect::<Vec<_>>(),
    })
}

/// The light balance API's body for one program (or several summed).
pub fn balance(customer_id: CustomerId, programs: &[&Program], total: Decimal) -> Value {
    json!({
        "entityId": customer_id,
        "entityType": "CUSTOMER",
        "programId": programs.first().map(|p| p.id),
        "totalPoints": num(total),
        "mainPoints": num(total),
        "promisedPoints": 0,
        "promisedPointsBreakup": {"delayedAccrualPoints": 0, "externalTriggerBasedPoints": 0},
        "warnings": [],
    })
}

/// One upcoming expiry.
pub fn expiry_item(ctx: &Ctx, program: ProgramId, i: &ExpiryScheduleItem) -> Value {
    json!({
        "points": num(i.points),
        "expiryDate": i.date.to_string(),
        // The instant the points stop being usable: end of that day, org time.
        "expiryTime": iso(end_of_local_day(i.date, ctx.tz()), ctx.tz()),
        "programId": program,
        "pointsType": "bill_regular",
        "expiryType": "fixed",
    })
}

/// One write-off by the expiry job.
pub fn expired_item(ctx: &Ctx, program: ProgramId, e: &LedgerEntry) -> Value {
    json!({
        "points": num(-e.points),
        "expiredOn": iso(e.at, ctx.tz()),
        "expiryDate": local_date(e.at, ctx.tz()).to_string(),
        "programId": program,
    })
}

/// The points ledger entry by entry, with the balance after each.
pub fn ledger(ctx: &Ctx, customer_id: CustomerId, program: &Program, l: &ExplainedLedger) -> Value {
    let tz = ctx.tz();
    let lines: Vec<Value> = l
        .lines
        .iter()
        .map(|(e, balance_after)| {
            let lot = e
                .lot_id
                .and_then(|id| l.lots.iter().find(|x| x.lot_id == id));
            json!({
                "entryId": e.entry_id,
                "kind": e.kind.as_str(),
                "points": num(e.points),
                "balanceAfter": num(*balance_after),
                "at": iso(e.at, tz),
                "source": {"kind": e.source.kind.as_str(), "reference": e.source.reference},
                "rule": e.rule,
                "actor": {"kind": e.actor.kind.as_str(), "id": e.actor.id},
                "reason": e.reason,
                "lotId": e.lot_id,
                "expiresAt": lot.and_then(|x| x.expires_at).map(|t| iso(t, tz)),
                "lotRemaining": lot.map(|x| num(x.remaining)),
                "allocations": e.allocations.iter()
                    .map(|a| json!({"lotId": a.lot_id, "points": num(a.points)}))
                    .collect::<Vec<_>>(),
                "shortfall": num(e.shortfall),
                "debtSettled": num(e.debt_settled),
            })
        })
        .collect();
    let b = &l.balance;
    json!({
        "customerId": customer_id,
        "programId": program.id,
        "balance": {"available": num(b.available), "debt": num(b.debt), "net": num(b.net)},
        "data": lines,
        "warnings": [],
        "errors": [],
    })
}

/// `loyaltyProgramDetails` of a customer read: one summary per program the customer can
/// belong to.
pub async fn program_details(
    state: &crate::AppState,
    p: &crate::auth::Principal,
    customer_id: CustomerId,
) -> Result<Vec<Value>, crate::ApiError> {
    let ctx = state.app.loyalty().context(p).await?;
    let all = state
        .app
        .loyalty()
        .program_summaries(&ctx, customer_id)
        .await?;
    Ok(all
        .iter()
        .map(|s| program_summary(&ctx, customer_id, s))
        .collect())
}
