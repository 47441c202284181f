//! Goodwill requests: maker/checker with auto-approval up to the org's cap. A request's
//! `reference_id` is unique per org, so a retried request returns the first one and never
//! credits twice.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::goodwill::{
    self as rules, GoodwillBaseType, GoodwillDecision, GoodwillRequest, GoodwillStatus,
};
use fidelis_domain::loyalty::ledger::{
    Actor, ActorKind, EntryId, EntryKind, EntrySource, SourceKind,
};
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, ProgramId};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::balance::{self, entity_key, entity_of, Holder};
use super::fixed::{from_milli, to_milli};
use super::ledger::{post_credit, Why};
use super::{LoyaltyContext, LoyaltyRepo, Tx};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

#[derive(Debug, Clone)]
pub struct NewGoodwill {
    pub customer_id: CustomerId,
    /// `None`: the org's default program.
    pub program_id: Option<ProgramId>,
    pub reference_id: Option<String>,
    pub request: GoodwillRequest,
    /// Who asked (staff user or API client); a checker must be someone else.
    pub maker: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoodwillRecord {
    pub id: i64,
    /// The customer the points are for (0 for a group's request).
    pub customer_id: CustomerId,
    /// Who the points are for: the customer, or a group.
    pub earner: EarningEntity,
    pub program_id: ProgramId,
    pub reference_id: Option<String>,
    pub base_type: GoodwillBaseType,
    pub points: Option<Decimal>,
    pub coupon_series_id: Option<i64>,
    pub reason: String,
    pub comments: Option<String>,
    pub status: GoodwillStatus,
    pub maker: String,
    pub checker: Option<String>,
    /// The ledger entry that credited the points, once approved.
    pub entry_id: Option<EntryId>,
    /// The code of the coupon an approved COUPON request issued.
    pub coupon_code: Option<String>,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

type Row = (
    i64,
    i64,
    i64,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
    i64,
    Option<i64>,
    Option<String>,
);
const COLUMNS: &str = "id, customer_id, program_id, reference_id, base_type, points, \
     coupon_series_id, reason, comments, status, maker, checker, entry_id, created_at, \
     decided_at, (SELECT c.code FROM coupons c WHERE c.org_id = loyalty_goodwill_requests.org_id \
     AND c.id = loyalty_goodwill_requests.coupon_id)";

fn from_row(r: Row) -> Result<GoodwillRecord, StoreError> {
    let status = match r.9.as_str() {
        "PENDING" => GoodwillStatus::Pending,
        "APPROVED" => GoodwillStatus::Approved,
        "REJECTED" => GoodwillStatus::Rejected,
        other => return Err(StoreError::Corrupt(format!("goodwill status {other:?}"))),
    };
    let earner = entity_of(r.1);
    Ok(GoodwillRecord {
        id: r.0,
        customer_id: earner.customer().unwrap_or(CustomerId::new(0)),
        earner,
        program_id: ProgramId::new(r.2),
        reference_id: r.3,
        base_type: GoodwillBaseType::parse(&r.4)
            .map_err(|_| StoreError::Corrupt(format!("goodwill base type {:?}", r.4)))?,
        points: r.5.map(from_milli),
        coupon_series_id: r.6,
        reason: r.7,
        comments: r.8,
        status,
        maker: r.10,
        checker: r.11,
        entry_id: r.12.map(EntryId::new),
        created_at: from_db(r.13)?,
        decided_at: r.14.map(from_db).transpose()?,
        coupon_code: r.15,
    })
}

async fn load(tx: &mut Tx, org_id: OrgId, id: i64) -> Result<Option<GoodwillRecord>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM loyalty_goodwill_requests WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id.get())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(from_row).transpose()
}

/// A request this transaction has just written or read.
async fn reload(tx: &mut Tx, org_id: OrgId, id: i64) -> Result<GoodwillRecord, StoreError> {
    load(tx, org_id, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("goodwill request {id} vanished")))
}

impl LoyaltyRepo<'_> {
    /// Files a goodwill request; points requests within the cap are credited at once.
    /// The same `reference_id` again returns the first request unchanged.
    pub async fn submit_goodwill(
        &self,
        ctx: &LoyaltyContext,
        g: &NewGoodwill,
        now: Timestamp,
    ) -> Result<GoodwillRecord, StoreError> {
        self.submit_goodwill_as(ctx, g, g.customer_id.into(), now)
            .await
    }

    /// `submit_goodwill` with the points for `earner` (a group's goodwill; `g.customer_id`
    /// is then not used).
    pub async fn submit_goodwill_as(
        &self,
        ctx: &LoyaltyContext,
        g: &NewGoodwill,
        earner: EarningEntity,
        now: Timestamp,
    ) -> Result<GoodwillRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let record = self
            .submit_goodwill_in(&mut unit, ctx, g, earner, now)
            .await?;
        unit.commit().await?;
        Ok(record)
    }

    /// `submit_goodwill_as` as one step of `unit`, so what an approval brings with it (a
    /// coupon issued) commits with the request. A retried `reference_id` writes nothing.
    pub async fn submit_goodwill_in(
        &self,
        unit: &mut Unit,
        ctx: &LoyaltyContext,
        g: &NewGoodwill,
        earner: EarningEntity,
        now: Timestamp,
    ) -> Result<GoodwillRecord, StoreError> {
        let decision = ctx.settings.goodwill.submit(&g.request)?;
        let reason = ctx.settings.goodwill.canonical_reason(&g.request.reason)?;
        let program = ctx.program(g.program_id)?;
        unit.begin_step().await?;
        let out = submit(unit, ctx, g, earner, program.id, &reason, decision, now).await;
        unit.end_step(out).await
    }

    /// A checker approves or rejects a pending request (9014 if already decided, 9015 if
    /// the checker is the maker). Approved points requests are credited in the same
    /// transaction.
    pub async fn decide_goodwill(
        &self,
        ctx: &LoyaltyContext,
        id: i64,
        checker: &str,
        approve: bool,
        now: Timestamp,
    ) -> Result<GoodwillRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let record = self
            .decide_goodwill_in(&mut unit, ctx, id, checker, approve, now)
            .await?;
        unit.commit().await?;
        Ok(record)
    }

    /// `decide_goodwill` as one step of `unit`.
    pub async fn decide_goodwill_in(
        &self,
        unit: &mut Unit,
        ctx: &LoyaltyContext,
        id: i64,
        checker: &str,
        approve: bool,
        now: Timestamp,
    ) -> Result<GoodwillRecord, StoreError> {
        unit.begin_step().await?;
        let out = decide_request(unit, ctx, id, checker, approve, now).await;
        unit.end_step(out).await
    }

    /// Records the coupon an approved COUPON request issued.
    pub async fn link_goodwill_coupon_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        id: i64,
        coupon_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE loyalty_goodwill_requests SET coupon_id = $3 \
             WHERE org_id = $1 AND id = $2 AND coupon_id IS NULL",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(coupon_id)
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    pub async fn goodwill_request(
        &self,
        org_id: OrgId,
        id: i64,
    ) -> Result<Option<GoodwillRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM loyalty_goodwill_requests WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(from_row).transpose()
    }

    /// The org's requests waiting for a checker, oldest first, at most `limit`.
    pub async fn pending_goodwill(
        &self,
        org_id: OrgId,
        limit: i64,
    ) -> Result<Vec<GoodwillRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM loyalty_goodwill_requests WHERE org_id = $1 \
             AND status = 'PENDING' ORDER BY created_at, id LIMIT $2"
        ))
        .bind(org_id.get())
        .bind(limit)
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// A customer's requests, newest first.
    pub async fn goodwill_requests(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
    ) -> Result<Vec<GoodwillRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM loyalty_goodwill_requests WHERE org_id = $1 AND customer_id = $2 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(org_id.get())
        .bind(customer_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(from_row).collect()
    }
}

/// Moves a PENDING request to its verdict; the status guard makes two concurrent checkers
/// produce one decision and one 9014.
async fn decide(
    tx: &mut Tx,
    org_id: OrgId,
    id: i64,
    status: GoodwillStatus,
    checker: Option<&str>,
    entry_id: Option<EntryId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE loyalty_goodwill_requests SET status = $3, checker = $4, entry_id = $5, \
         decided_at = $6 WHERE org_id = $1 AND id = $2 AND status = 'PENDING'",
    )
    .bind(org_id.get())
    .bind(id)
    .bind(status.as_str())
    .bind(checker)
    .bind(entry_id.map(EntryId::get))
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(LoyaltyError::RequestAlreadyDecided("decided").into());
    }
    Ok(())
}

async fn approve(
    tx: &mut Tx,
    ctx: &LoyaltyContext,
    id: i64,
    checker: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let r = load(tx, ctx.org.id, id)
        .await?
        .ok_or(LoyaltyError::RequestNotFound)?;
    let mut entry_id = None;
    if let (GoodwillBaseType::Points, Some(points)) = (r.base_type, r.points) {
        let program = ctx.program(Some(r.program_id))?;
        let h = Holder {
            org_id: ctx.org.id,
            entity: r.earner,
            program_id: program.id,
        };
        let source = EntrySource::new(SourceKind::Goodwill, id.to_string());
        let actor = Actor {
            kind: ActorKind::Staff,
            id: Some(checker.unwrap_or(&r.maker).to_string()),
        };
        let why = Why {
            source: &source,
            rule: Some(if checker.is_some() {
                "approved"
            } else {
                "auto-approved"
            }),
            actor: &actor,
            reason: Some(&r.reason),
        };
        let mut bal = balance::lock(tx, h, now).await?;
        let expires_at = program.expiry.expiry_instant(now, &ctx.org.time_zone);
        let (e, _) = post_credit(
            tx,
            h,
            &mut bal,
            EntryKind::Goodwill,
            points,
            expires_at,
            &why,
            now,
        )
        .await?;
        balance::save(tx, h, &bal, now).await?;
        entry_id = Some(e);
    }
    decide(
        tx,
        ctx.org.id,
        id,
        GoodwillStatus::Approved,
        checker,
        entry_id,
        now,
    )
    .await
}

/// Files the request (the body of `submit_goodwill_in`); a retried `reference_id` returns
/// the first request.
#[allow(clippy::too_many_arguments)]
async fn submit(
    tx: &mut Tx,
    ctx: &LoyaltyContext,
    g: &NewGoodwill,
    earner: EarningEntity,
    program: ProgramId,
    reason: &str,
    decision: GoodwillDecision,
    now: Timestamp,
) -> Result<GoodwillRecord, StoreError> {
    let org_id = ctx.org.id;
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO loyalty_goodwill_requests (org_id, customer_id, program_id, reference_id, \
         base_type, points, coupon_series_id, reason, comments, status, maker, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PENDING', $10, $11) \
         ON CONFLICT (org_id, reference_id) DO NOTHING RETURNING id",
    )
    .bind(org_id.get())
    .bind(entity_key(earner))
    .bind(program.get())
    .bind(g.reference_id.as_deref())
    .bind(g.request.base_type.as_str())
    .bind(g.request.points.map(to_milli).transpose()?)
    .bind(g.request.coupon_series_id)
    .bind(reason)
    .bind(g.request.comments.as_deref())
    .bind(&g.maker)
    .bind(to_db(now))
    .fetch_optional(&mut **tx)
    .await?;
    let id = match inserted {
        Some((id,)) => {
            if decision == GoodwillDecision::AutoApproved {
                approve(tx, ctx, id, None, now).await?;
            }
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "SELECT id FROM loyalty_goodwill_requests WHERE org_id = $1 AND reference_id = $2",
            )
            .bind(org_id.get())
            .bind(g.reference_id.as_deref())
            .fetch_one(&mut **tx)
            .await?;
            id
        }
    };
    reload(tx, org_id, id).await
}

/// The body of `decide_goodwill_in`.
async fn decide_request(
    tx: &mut Tx,
    ctx: &LoyaltyContext,
    id: i64,
    checker: &str,
    approved: bool,
    now: Timestamp,
) -> Result<GoodwillRecord, StoreError> {
    let org_id = ctx.org.id;
    let current = load(tx, org_id, id)
        .await?
        .ok_or(LoyaltyError::RequestNotFound)?;
    rules::check(current.status, &current.maker, checker, approved)?;
    if approved {
        approve(tx, ctx, id, Some(checker), now).await?;
    } else {
        decide(
            tx,
            org_id,
            id,
            GoodwillStatus::Rejected,
            Some(checker),
            None,
            now,
        )
        .await?;
    }
    reload(tx, org_id, id).await
}
