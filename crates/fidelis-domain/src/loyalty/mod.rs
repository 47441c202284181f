//! The loyalty context: programs, points (earn, expiry, the ledger), tiers, returns,
//! transaction rules, goodwill, cards and partner programs. Pure rules only: instants
//! and the org's zone are passed in. Decisions where the spec is silent are recorded in
//! docs/loyalty.md.

pub mod cards;
pub mod config;
pub mod details;
pub mod earner;
pub mod enrolment;
pub mod error;
pub mod goodwill;
pub mod ledger;
pub mod partner;
pub mod program;
pub mod returns;
pub mod tiers;
pub mod time;
pub mod transaction;

pub use earner::EarningEntity;
pub use error::LoyaltyError;
pub use ledger::{allocate_debit, expire_due, Allocation, EntryKind, EntrySource, Lot};
pub use program::{EarnRule, ExpiryPolicy, Program, ProgramId, ProgramKind};
pub use tiers::{TierChange, TierChangeKind, TierSet, TierState};
pub use transaction::{NewBill, ReturnType, TransactionType};

#[cfg(test)]
pub(crate) mod test_util {
    use jiff::Timestamp;
    use rust_decimal::Decimal;

    use super::ledger::{EntrySource, Lot, LotId, SourceKind};
    use super::tiers::{DowngradeRule, Tier, TierBasis, TierSet};

    pub fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    pub fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The demo org's tiers: Bronze 0, Silver 1000, Gold 5000 by lifetime purchases, 12 months.
    pub fn demo_tiers() -> TierSet {
        let t = |serial, name: &str, th: &str| Tier {
            serial,
            name: name.into(),
            threshold: d(th),
        };
        TierSet {
            basis: TierBasis::LifetimePurchases,
            tiers: vec![
                t(1, "Bronze", "0"),
                t(2, "Silver", "1000"),
                t(3, "Gold", "5000"),
            ],
            validity_months: Some(12),
            downgrade: DowngradeRule::OneTier,
        }
    }

    pub fn lot(id: LotId, pts: &str, awarded: &str, expires: Option<&str>) -> Lot {
        Lot {
            lot_id: id,
            points: d(pts),
            remaining: d(pts),
            awarded_at: ts(awarded),
            expires_at: expires.map(ts),
            source: EntrySource::new(SourceKind::Bill, format!("b{id}")),
            rule: None,
            reason: None,
        }
    }
}
