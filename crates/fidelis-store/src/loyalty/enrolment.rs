//! Enrolling a member with carried-over tier and points, once per program: a member who
//! already has a balance row in the program is enrolled already, and the data is ignored.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::enrolment::Enrolment;
use fidelis_domain::loyalty::ledger::{Actor, EntryKind, EntrySource, SourceKind};
use fidelis_domain::loyalty::LoyaltyError;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::balance::{self, Holder};
use super::bills::record_tier_change;
use super::ledger::{post_credit, Why};
use super::{LoyaltyContext, LoyaltyRepo, Tx};
use crate::time::to_db;
use crate::{StoreError, Unit};

impl LoyaltyRepo<'_> {
    /// Enrols `customer_id` as `e` says, as a step of `unit` (with the customer's
    /// registration, say). 1103 when the customer is already enrolled in the program; a
    /// refused enrolment leaves nothing behind and the unit can go on.
    pub async fn enrol_in(
        &self,
        unit: &mut Unit,
        ctx: &LoyaltyContext,
        customer_id: CustomerId,
        e: &Enrolment,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        unit.begin_step().await?;
        let out = enrol_tx(unit, ctx, customer_id, e, actor, now).await;
        unit.end_step(out).await
    }
}

async fn enrol_tx(
    tx: &mut Tx,
    ctx: &LoyaltyContext,
    customer_id: CustomerId,
    e: &Enrolment,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let h = Holder {
        org_id: ctx.org.id,
        entity: customer_id.into(),
        program_id: ctx.program(Some(e.program_id))?.id,
    };
    let created: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO loyalty_balances (org_id, customer_id, program_id, tier_since, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (org_id, customer_id, program_id) DO NOTHING \
         RETURNING program_id",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(to_db(now))
    .fetch_optional(&mut **tx)
    .await?;
    if created.is_none() {
        return Err(LoyaltyError::AlreadyEnrolled.into());
    }
    let mut bal = balance::lock(tx, h, now).await?;
    let source = EntrySource::new(SourceKind::Enrolment, customer_id.to_string());
    if let Some(change) = &e.tier {
        record_tier_change(tx, h, change, &source).await?;
        bal.tier = change.apply();
    }
    if e.points > Decimal::ZERO {
        let why = Why {
            source: &source,
            rule: Some("enrolment"),
            actor,
            reason: Some("points carried over at enrolment"),
        };
        post_credit(
            tx,
            h,
            &mut bal,
            EntryKind::Credit,
            e.points,
            e.points_expiry,
            &why,
            now,
        )
        .await?;
    }
    balance::save(tx, h, &bal, now).await
}

/// Opens `entity`'s account in a program (its balance row, at the lowest tier) as a step
/// of `tx`, if it has none: what a group gets in the default program at creation.
pub(crate) async fn open_account(
    tx: &mut Tx,
    org_id: fidelis_domain::org::OrgId,
    entity: fidelis_domain::loyalty::EarningEntity,
    program_id: fidelis_domain::loyalty::ProgramId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let h = Holder {
        org_id,
        entity,
        program_id,
    };
    balance::lock(tx, h, now).await.map(|_| ())
}
