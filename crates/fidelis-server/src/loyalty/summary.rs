//! Loyalty reads: the program summary (`loyaltyDetails`, spec §1.2), the light balance,
//! the expiry schedule, expired points and the points ledger ("explain").

use fidelis_domain::loyalty::ledger::{explain, EntryKind, LedgerEntry};
use fidelis_domain::loyalty::time::{end_of_local_day, local_date};
use fidelis_domain::loyalty::{Program, ProgramKind};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::dates::iso;
use super::numbers::{float, num};
use super::Ctx;
use crate::{ApiError, AppState};

fn sum(entries: &[LedgerEntry], kind: EntryKind) -> Decimal {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| -e.points)
        .sum()
}

/// The programs a customer's loyalty details list: the org's own (non-partner) programs.
pub fn member_programs(ctx: &Ctx) -> Vec<&Program> {
    ctx.loyalty
        .programs
        .iter()
        .filter(|p| p.kind == ProgramKind::Default)
        .collect()
}

/// `loyaltyProgramDetails` of a customer read: one summary per program the customer can
/// belong to.
pub async fn program_details(
    state: &AppState,
    p: &crate::auth::Principal,
    customer_id: i64,
) -> Result<Vec<Value>, ApiError> {
    let ctx = Ctx::load(state, p).await?;
    let mut out = Vec::new();
    for program in member_programs(&ctx) {
        out.push(program_summary(state, &ctx, customer_id, program).await?);
    }
    Ok(out)
}

/// One `loyaltyProgramDetails[]` / `loyaltyDetails.data[]` element.
pub async fn program_summary(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    program: &Program,
) -> Result<Value, ApiError> {
    let repo = state.db.loyalty();
    let org = ctx.loyalty.org.id;
    let now = state.now();
    let member = repo.member(org, customer_id, program.id).await?;
    let balance = repo.balance(org, customer_id, program.id, now).await?;
    let entries = repo.entries(org, customer_id, program.id).await?;
    let changes = repo.tier_changes(org, customer_id, program.id).await?;
    let partners = super::partner::linked_programs(state, ctx, customer_id).await?;
    let serial = member.as_ref().map(|m| m.tier.serial).unwrap_or(1);
    let tiers = program.tiers.as_ref();
    let current = tiers.and_then(|t| t.tier(serial));
    let next = tiers.and_then(|t| t.tier(serial + 1));
    let tier_name = |s: u32| tiers.and_then(|t| t.tier(s)).map(|t| t.name.clone());
    let returned = sum(&entries, EntryKind::ReturnReversal);
    Ok(json!({
        "programId": program.id,
        "programTitle": program.name,
        "loyaltyId": if member.is_some() { customer_id } else { -1 },
        "redeemed": float(sum(&entries, EntryKind::Redemption)),
        "expired": float(sum(&entries, EntryKind::Expiry)),
        "returned": float(returned),
        "adjusted": float(-sum(&entries, EntryKind::Adjustment)),
        "lifetimePoints": float(member.as_ref().map(|m| m.lifetime_points).unwrap_or_default()),
        "loyaltyPoints": float(balance.net),
        "cumulativePurchases": float(member.as_ref().map(|m| m.lifetime_purchases).unwrap_or_default()),
        "currentSlab": current.map(|t| t.name.clone()),
        "slabSNo": current.map(|t| t.serial),
        "slabExpiryDate": member.as_ref().and_then(|m| m.tier.valid_until).map(|t| iso(t, ctx.tz())),
        "nextSlab": next.map(|t| t.name.clone()).unwrap_or_default(),
        "nextSlabSerialNumber": next.map(|t| i64::from(t.serial)).unwrap_or(-1),
        "nextSlabDescription": next.map(|t| format!("from {} {}", t.threshold, "lifetime purchases")).unwrap_or_default(),
        "delayedPoints": 0,
        "delayedReturnedPoints": 0,
        "totalAvailablePoints": float(balance.net),
        "totalReturnedPoints": float(returned),
        "linkedPartnerPrograms": partners,
        "tierHistory": changes.iter().map(|c| json!({
            "activity": match c.change.kind {
                fidelis_domain::loyalty::TierChangeKind::Upgrade => "UPGRADED",
                fidelis_domain::loyalty::TierChangeKind::Renew => "RENEWED",
                fidelis_domain::loyalty::TierChangeKind::Downgrade => "DOWNGRADED",
            },
            "fromSlab": tier_name(c.change.from),
            "toSlab": tier_name(c.change.to),
            "date": iso(c.change.effective_at, ctx.tz()),
            "validUntil": c.change.valid_until.map(|t| iso(t, ctx.tz())),
            "source": c.source.kind.as_str(),
            "sourceId": c.source.reference,
        })).collect::<Vec<_>>(),
    }))
}

/// The light balance API's body for one program (or several summed).
pub async fn balance(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    programs: &[&Program],
) -> Result<Value, ApiError> {
    let mut total = Decimal::ZERO;
    for p in programs {
        total += state
            .db
            .loyalty()
            .balance(ctx.loyalty.org.id, customer_id, p.id, state.now())
            .await?
            .net;
    }
    Ok(json!({
        "entityId": customer_id,
        "entityType": "CUSTOMER",
        "programId": programs.first().map(|p| p.id),
        "totalPoints": num(total),
        "mainPoints": num(total),
        "promisedPoints": 0,
        "promisedPointsBreakup": {"delayedAccrualPoints": 0, "externalTriggerBasedPoints": 0},
        "warnings": [],
    }))
}

/// Upcoming expiries, ascending, between local days `from` and `to` (inclusive).
pub async fn expiry_schedule(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    programs: &[&Program],
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<Value>, ApiError> {
    let mut rows = Vec::new();
    for p in programs {
        let items = state
            .db
            .loyalty()
            .expiry_schedule(&ctx.loyalty.org, customer_id, p.id, state.now())
            .await?;
        for i in items {
            if from.is_some_and(|f| i.date < f) || to.is_some_and(|t| i.date > t) {
                continue;
            }
            rows.push((
                i.date,
                json!({
                    "points": num(i.points),
                    "expiryDate": i.date.to_string(),
                    // The instant the points stop being usable: end of that day, org time.
                    "expiryTime": iso(end_of_local_day(i.date, ctx.tz()), ctx.tz()),
                    "programId": p.id,
                    "pointsType": "bill_regular",
                    "expiryType": "fixed",
                }),
            ));
        }
    }
    rows.sort_by_key(|r| r.0);
    Ok(rows.into_iter().map(|r| r.1).collect())
}

/// Points written off by the expiry job, newest first.
pub async fn expired_points(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    programs: &[&Program],
) -> Result<Vec<Value>, ApiError> {
    let mut rows = Vec::new();
    for p in programs {
        let entries = state
            .db
            .loyalty()
            .entries(ctx.loyalty.org.id, customer_id, p.id)
            .await?;
        for e in entries.iter().filter(|e| e.kind == EntryKind::Expiry) {
            rows.push((
                e.at,
                json!({
                    "points": num(-e.points),
                    "expiredOn": iso(e.at, ctx.tz()),
                    "expiryDate": local_date(e.at, ctx.tz()).to_string(),
                    "programId": p.id,
                }),
            ));
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    Ok(rows.into_iter().map(|r| r.1).collect())
}

/// The points ledger entry by entry, with the balance after each.
pub async fn ledger(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    program: &Program,
) -> Result<Value, ApiError> {
    let repo = state.db.loyalty();
    let org = ctx.loyalty.org.id;
    let entries = repo.entries(org, customer_id, program.id).await?;
    let lots = repo.lots(org, customer_id, program.id).await?;
    let balance = repo
        .balance(org, customer_id, program.id, state.now())
        .await?;
    let tz = ctx.tz();
    let lines: Vec<Value> = explain(&entries)
        .into_iter()
        .map(|l| {
            let e = l.entry;
            let lot = e.lot_id.and_then(|id| lots.iter().find(|x| x.lot_id == id));
            json!({
                "entryId": e.entry_id,
                "kind": e.kind.as_str(),
                "points": num(e.points),
                "balanceAfter": num(l.balance_after),
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
    Ok(json!({
        "customerId": customer_id,
        "programId": program.id,
        "balance": {"available": num(balance.available), "debt": num(balance.debt), "net": num(balance.net)},
        "data": lines,
        "warnings": [],
        "errors": [],
    }))
}
