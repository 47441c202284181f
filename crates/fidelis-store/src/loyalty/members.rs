//! A member's standing in a program: tier, lifetime metrics, tier-change history.

use fidelis_domain::loyalty::ledger::{EntrySource, SourceKind};
use fidelis_domain::loyalty::{EarningEntity, ProgramId, TierChange, TierState};
use fidelis_domain::org::OrgId;
use rust_decimal::Decimal;

use super::balance::{self, entity_key, Holder};
use super::fixed::from_milli;
use super::LoyaltyRepo;
use crate::time::from_db;
use crate::StoreError;

type ChangeRow = (
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
    String,
    Option<String>,
);

impl LoyaltyRepo<'_> {
    /// The member's tier, lifetime metrics and cached sums; `None` before any activity.
    pub async fn member(
        &self,
        org_id: OrgId,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
    ) -> Result<Option<MemberState>, StoreError> {
        let h = Holder {
            org_id,
            entity: entity.into(),
            program_id,
        };
        Ok(balance::read(self.0.reader(), h)
            .await?
            .map(|b| MemberState {
                tier: b.tier,
                lifetime_purchases: from_milli(b.lifetime_purchases),
                lifetime_points: from_milli(b.lifetime_points),
                ledger_net: from_milli(b.net),
                debt: from_milli(b.debt),
            }))
    }

    /// Tier upgrades, renewals and downgrades, oldest first.
    pub async fn tier_changes(
        &self,
        org_id: OrgId,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
    ) -> Result<Vec<TierChangeRecord>, StoreError> {
        let rows: Vec<ChangeRow> =
            sqlx::query_as(
                "SELECT kind, from_serial, to_serial, effective_at, valid_until, requalify_base, \
                 source_kind, source_ref FROM loyalty_tier_changes \
                 WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 ORDER BY effective_at, id",
            )
            .bind(org_id.get())
            .bind(entity_key(entity.into()))
            .bind(program_id.get())
            .fetch_all(self.0.reader())
            .await?;
        rows.into_iter()
            .map(|r| {
                use fidelis_domain::loyalty::TierChangeKind as K;
                let kind = match r.0.as_str() {
                    "UPGRADE" => K::Upgrade,
                    "RENEW" => K::Renew,
                    "DOWNGRADE" => K::Downgrade,
                    other => return Err(StoreError::Corrupt(format!("tier change {other:?}"))),
                };
                let serial = |v: i64| {
                    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("tier serial {v}")))
                };
                Ok(TierChangeRecord {
                    change: TierChange {
                        from: serial(r.1)?,
                        to: serial(r.2)?,
                        kind,
                        effective_at: from_db(r.3)?,
                        valid_until: r.4.map(from_db).transpose()?,
                        requalify_base: from_milli(r.5),
                    },
                    source: EntrySource {
                        kind: SourceKind::parse(&r.6)
                            .ok_or_else(|| StoreError::Corrupt(format!("source {:?}", r.6)))?,
                        reference: r.7,
                    },
                })
            })
            .collect()
    }
}

/// A member's standing in one program.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberState {
    pub tier: TierState,
    pub lifetime_purchases: Decimal,
    pub lifetime_points: Decimal,
    /// Sum of the ledger (points not yet written off by the expiry job included).
    pub ledger_net: Decimal,
    pub debt: Decimal,
}

/// A tier change and what caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct TierChangeRecord {
    pub change: TierChange,
    pub source: EntrySource,
}
