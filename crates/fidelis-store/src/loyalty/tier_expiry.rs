//! Tier renewal and downgrade: the storage half of the tier job.
//!
//! Members whose tier validity has ended are found through the partial index on
//! `loyalty_balances (org_id, tier_valid_until, …)` in bounded batches, walked in key order
//! (validity end, customer, program) so that a run always moves forward. Each member is
//! handled in its own transaction under the balance lock that every loyalty write takes:
//! the state is read again under the lock, what the member earned in the validity window
//! is summed from the stored bills (lifetime purchases) or ledger entries (lifetime
//! points), `TierSet::at_validity_end` decides, and the new state and its
//! `loyalty_tier_changes` rows are written together.
//!
//! Idempotence: a renewed or downgraded member's validity ends later than before (or
//! never), so a second run at the same instant finds nothing due. A member renewed into a
//! window that has also passed (the job was down for a year) comes up again later in the
//! same walk and is judged on that next window.

use fidelis_domain::loyalty::ledger::{EntryKind, EntrySource, SourceKind};
use fidelis_domain::loyalty::tiers::TierBasis;
use fidelis_domain::loyalty::transaction::OutlierStatus;
use fidelis_domain::loyalty::{ProgramId, TierChange, TierChangeKind, TierSet, TransactionType};
use fidelis_domain::org::OrgId;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::balance::{self, entity_of, Holder};
use super::bills::record_tier_change;
use super::fixed::from_milli;
use super::{LoyaltyRepo, Tx};
use crate::time::{from_db, to_db};
use crate::StoreError;

/// The reference recorded on the tier changes the job makes (source kind `EXPIRY_JOB`).
pub const TIER_JOB_REFERENCE: &str = "tier-expiry";

/// What one tier-expiry run changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierRun {
    pub renewed: usize,
    pub downgraded: usize,
    /// Upgrades made right after a downgrade because what the member earned after the old
    /// validity end already qualifies again (only when the job runs late).
    pub upgraded: usize,
    /// Members past their validity whose program or tier is no longer configured: left
    /// unchanged.
    pub skipped: usize,
}

/// What happened to one member.
enum Outcome {
    /// No longer due under the lock (a bill upgraded the member, or another run was first).
    NotDue,
    /// Due, but the rules could not judge the tier (it is no longer configured).
    Unchanged,
    Changed(Vec<TierChange>),
}

/// (tier_valid_until, customer_id, program_id): the walk's key.
type DueKey = (i64, i64, i64);

/// What the member earned on the tier basis in (`after`, `until`] (`None`: no upper
/// end), counted at the instants the lifetime metric moved: a bill or return adds to or
/// takes from lifetime purchases when it is recorded (`created_at`), a lot-creating entry
/// adds to lifetime points at its `at`. Returns in the window count against it.
///
/// The sums run in SQL (one aggregate instead of reading every row); which rows count is
/// the domain's, bound as parameters: REGULAR bills add and RETURNs take away, only those
/// whose outlier status earns (NORMAL, as `Program::earn_for_bill` counts them), and the
/// entry kinds that create lots (`EntryKind::LOT_CREATING`) add to lifetime points.
async fn earned(
    tx: &mut Tx,
    h: Holder,
    basis: TierBasis,
    after: Timestamp,
    until: Option<Timestamp>,
) -> Result<Decimal, StoreError> {
    let upper = until.map(to_db).unwrap_or(i64::MAX);
    let (sum,): (i64,) = match basis {
        TierBasis::LifetimePurchases => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN txn_type = $4 THEN amount ELSE -amount END), 0) \
                 AS BIGINT) FROM loyalty_transactions \
                 WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 \
                 AND txn_type IN ($4, $5) AND outlier_status = $6 \
                 AND created_at > $7 AND created_at <= $8",
        )
        .bind(h.org_id.get())
        .bind(h.key())
        .bind(h.program_id.get())
        .bind(TransactionType::Regular.as_str())
        .bind(TransactionType::Return.as_str())
        .bind(OutlierStatus::Normal.as_str())
        .bind(to_db(after))
        .bind(upper)
        .fetch_one(&mut **tx)
        .await?,
        TierBasis::LifetimePoints => {
            let [credit, goodwill] = EntryKind::LOT_CREATING;
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM loyalty_entries \
                 WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 \
                 AND kind IN ($4, $5) AND at > $6 AND at <= $7",
            )
            .bind(h.org_id.get())
            .bind(h.key())
            .bind(h.program_id.get())
            .bind(credit.as_str())
            .bind(goodwill.as_str())
            .bind(to_db(after))
            .bind(upper)
            .fetch_one(&mut **tx)
            .await?
        }
    };
    Ok(from_milli(sum))
}

/// The kind of the change that produced the member's current state (`since`), if recorded.
async fn last_change(
    tx: &mut Tx,
    h: Holder,
    since: Timestamp,
) -> Result<Option<TierChangeKind>, StoreError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT kind, effective_at FROM loyalty_tier_changes \
         WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 \
         ORDER BY effective_at DESC, id DESC LIMIT 1",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .fetch_optional(&mut **tx)
    .await?;
    let Some((kind, at)) = row else {
        return Ok(None);
    };
    if from_db(at)? != since {
        return Ok(None);
    }
    Ok(match kind.as_str() {
        "UPGRADE" => Some(TierChangeKind::Upgrade),
        "RENEW" => Some(TierChangeKind::Renew),
        "DOWNGRADE" => Some(TierChangeKind::Downgrade),
        other => return Err(StoreError::Corrupt(format!("tier change {other:?}"))),
    })
}

impl LoyaltyRepo<'_> {
    /// Renews or downgrades every member of the org whose tier validity ended before
    /// `now`, reading at most `batch` members at a time. Each member is one transaction.
    pub async fn expire_tiers(
        &self,
        org_id: OrgId,
        now: Timestamp,
        batch: u32,
    ) -> Result<TierRun, StoreError> {
        let Some(ctx) = self.context(org_id).await? else {
            return Ok(TierRun::default());
        };
        let batch = batch.max(1);
        let mut run = TierRun::default();
        let mut after: DueKey = (i64::MIN, i64::MIN, i64::MIN);
        loop {
            let due: Vec<DueKey> = sqlx::query_as(
                "SELECT tier_valid_until, customer_id, program_id FROM loyalty_balances \
                 WHERE org_id = $1 AND tier_valid_until IS NOT NULL AND tier_valid_until < $2 \
                 AND (tier_valid_until, customer_id, program_id) > ($3, $4, $5) \
                 ORDER BY tier_valid_until, customer_id, program_id LIMIT $6",
            )
            .bind(org_id.get())
            .bind(to_db(now))
            .bind(after.0)
            .bind(after.1)
            .bind(after.2)
            .bind(i64::from(batch))
            .fetch_all(self.0.reader())
            .await?;
            for key in &due {
                let h = Holder {
                    org_id,
                    entity: entity_of(key.1),
                    program_id: ProgramId::new(key.2),
                };
                let tiers = ctx
                    .program(Some(h.program_id))
                    .ok()
                    .and_then(|p| p.tiers.as_ref());
                let outcome = match tiers {
                    Some(tiers) => {
                        self.expire_member(h, tiers, &ctx.org.time_zone, now)
                            .await?
                    }
                    None => Outcome::Unchanged,
                };
                match outcome {
                    Outcome::NotDue => {}
                    Outcome::Unchanged => run.skipped += 1,
                    Outcome::Changed(changes) => {
                        for c in changes {
                            match c.kind {
                                TierChangeKind::Renew => run.renewed += 1,
                                TierChangeKind::Downgrade => run.downgraded += 1,
                                TierChangeKind::Upgrade => run.upgraded += 1,
                            }
                        }
                    }
                }
            }
            match due.last() {
                // A renewed member's new key is larger than the old one, so one whose next
                // window has also passed comes up again further on.
                Some(last) if due.len() >= batch as usize => after = *last,
                _ => break,
            }
        }
        Ok(run)
    }

    /// One member's renewal or downgrade, under the balance lock.
    async fn expire_member(
        &self,
        h: Holder,
        tiers: &TierSet,
        tz: &TimeZone,
        now: Timestamp,
    ) -> Result<Outcome, StoreError> {
        let mut tx = self.0.begin().await?;
        let mut bal = balance::lock(&mut tx, h, now).await?;
        let Some(until) = bal.tier.valid_until.filter(|u| *u < now) else {
            return Ok(Outcome::NotDue);
        };
        let opens = bal
            .tier
            .window_opens_after(last_change(&mut tx, h, bal.tier.since).await?);
        let window = earned(&mut tx, h, tiers.basis, opens, Some(until)).await?;
        // The lifetime metric now and as it stood at the end of validity: what was earned
        // after it (a late run) must stay available for the next upgrade.
        let lifetime_now = tiers.basis.metric(
            from_milli(bal.lifetime_purchases),
            from_milli(bal.lifetime_points),
        );
        let after_end = earned(&mut tx, h, tiers.basis, until, None).await?;
        let changes = tiers.at_validity_end(
            &bal.tier,
            window,
            lifetime_now - after_end,
            lifetime_now,
            now,
            tz,
        );
        if changes.is_empty() {
            return Ok(Outcome::Unchanged);
        }
        let source = EntrySource::new(SourceKind::ExpiryJob, TIER_JOB_REFERENCE);
        for change in &changes {
            record_tier_change(&mut tx, h, change, &source).await?;
            bal.tier = change.apply();
        }
        balance::save(&mut tx, h, &bal, now).await?;
        tx.commit().await?;
        Ok(Outcome::Changed(changes))
    }
}
