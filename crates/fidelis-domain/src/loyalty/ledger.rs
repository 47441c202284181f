//! The points ledger: append-only entries, credit lots with an expiry, and debits
//! allocated to lots oldest-expiry-first. Balances and expiry schedules are derived here.
//!
//! Invariant kept by storage: Σ entry points = Σ remaining of unexpired-or-unprocessed
//! lots − debt, where debt is points debited with no lot to take them from (a return
//! after the points were spent). New credits pay debt off first.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::time::local_date;

crate::id::id_type!(
    /// A credit lot in the points ledger.
    LotId
);
crate::id::id_type!(
    /// An entry in the points ledger.
    EntryId
);

/// What a ledger entry does to the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryKind {
    /// Points earned (bill, enrolment, group, partner).
    Credit,
    /// Goodwill points granted on an approved request.
    Goodwill,
    Redemption,
    Expiry,
    /// Points taken back because a bill was returned.
    ReturnReversal,
    /// A manual or system correction, either sign.
    Adjustment,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] = [
        Self::Credit,
        Self::Goodwill,
        Self::Redemption,
        Self::Expiry,
        Self::ReturnReversal,
        Self::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "CREDIT",
            Self::Goodwill => "GOODWILL",
            Self::Redemption => "REDEMPTION",
            Self::Expiry => "EXPIRY",
            Self::ReturnReversal => "RETURN_REVERSAL",
            Self::Adjustment => "ADJUSTMENT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// The kinds that create a lot (and add to lifetime points).
    pub const LOT_CREATING: [EntryKind; 2] = [Self::Credit, Self::Goodwill];

    /// Kinds that create a lot.
    pub fn creates_lot(self) -> bool {
        Self::LOT_CREATING.contains(&self)
    }

    /// A credit of `points` of this kind is allowed: a positive amount, of a kind that
    /// adds points (an adjustment may go either way).
    pub fn check_credit(self, points: Decimal) -> Result<(), LoyaltyError> {
        if points > Decimal::ZERO && (self.creates_lot() || self == Self::Adjustment) {
            Ok(())
        } else {
            Err(LoyaltyError::InvalidPoints)
        }
    }

    /// A debit of `points` of this kind is allowed: a positive amount, of a kind that
    /// takes points.
    pub fn check_debit(self, points: Decimal) -> Result<(), LoyaltyError> {
        if points > Decimal::ZERO && !self.creates_lot() {
            Ok(())
        } else {
            Err(LoyaltyError::InvalidPoints)
        }
    }
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SourceKind {
    Bill,
    Goodwill,
    Group,
    Partner,
    ExpiryJob,
    Enrolment,
    Redemption,
    Manual,
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        Self::Bill,
        Self::Goodwill,
        Self::Group,
        Self::Partner,
        Self::ExpiryJob,
        Self::Enrolment,
        Self::Redemption,
        Self::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bill => "BILL",
            Self::Goodwill => "GOODWILL",
            Self::Group => "GROUP",
            Self::Partner => "PARTNER",
            Self::ExpiryJob => "EXPIRY_JOB",
            Self::Enrolment => "ENROLMENT",
            Self::Redemption => "REDEMPTION",
            Self::Manual => "MANUAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

/// The source kind plus the id of the thing (transaction id, request id, group id…),
/// flat so that it maps onto two columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntrySource {
    pub kind: SourceKind,
    pub reference: Option<String>,
}

impl EntrySource {
    pub fn new(kind: SourceKind, reference: impl Into<String>) -> Self {
        Self {
            kind,
            reference: Some(reference.into()),
        }
    }

    pub fn bare(kind: SourceKind) -> Self {
        Self {
            kind,
            reference: None,
        }
    }

    /// A bill (or return) by its transaction id: the source of what the bill earned, so
    /// that a return finds the bill's own lots.
    pub fn bill(transaction_id: i64) -> Self {
        Self::new(SourceKind::Bill, transaction_id.to_string())
    }
}

/// Who caused an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorKind {
    /// A job (expiry, tier evaluation).
    System,
    Till,
    ApiClient,
    Staff,
    Customer,
}

impl ActorKind {
    pub const ALL: [ActorKind; 5] = [
        Self::System,
        Self::Till,
        Self::ApiClient,
        Self::Staff,
        Self::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "SYSTEM",
            Self::Till => "TILL",
            Self::ApiClient => "API_CLIENT",
            Self::Staff => "STAFF",
            Self::Customer => "CUSTOMER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
        }
    }
}

/// A credit lot: points from one award, consumed by later debits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub lot_id: LotId,
    pub points: Decimal,
    pub remaining: Decimal,
    pub awarded_at: Timestamp,
    /// `None`: never expires.
    pub expires_at: Option<Timestamp>,
    pub source: EntrySource,
    /// The rule or strategy that awarded it (e.g. earn rule name).
    pub rule: Option<String>,
    pub reason: Option<String>,
}

impl Lot {
    /// Still spendable at `now`: something left and not past its expiry. Points stay
    /// usable through the expiry instant itself (23:59:59 local).
    pub fn usable(&self, now: Timestamp) -> bool {
        self.remaining > Decimal::ZERO && self.expires_at.is_none_or(|e| now <= e)
    }

    fn order_key(&self) -> (bool, Option<Timestamp>, Timestamp, LotId) {
        // `false < true`, so lots with an expiry sort before never-expiring ones.
        (
            self.expires_at.is_none(),
            self.expires_at,
            self.awarded_at,
            self.lot_id,
        )
    }
}

/// Points taken from (or, for expiry, written off) one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub lot_id: LotId,
    pub points: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("insufficient points: requested {requested}, available {available}")]
pub struct InsufficientPoints {
    pub requested: Decimal,
    pub available: Decimal,
}

impl From<InsufficientPoints> for LoyaltyError {
    fn from(e: InsufficientPoints) -> Self {
        LoyaltyError::InsufficientPoints {
            requested: e.requested,
            available: e.available,
        }
    }
}

/// Usable lots in the order debits consume them: earliest expiry first, never-expiring
/// last, ties by award time then lot id (so the order is total and repeatable).
pub fn consumption_order(lots: &[Lot], now: Timestamp) -> Vec<&Lot> {
    let mut usable: Vec<&Lot> = lots.iter().filter(|l| l.usable(now)).collect();
    usable.sort_by_key(|l| l.order_key());
    usable
}

/// Spendable balance: what is left on lots that have not expired.
pub fn balance(lots: &[Lot], now: Timestamp) -> Decimal {
    lots.iter()
        .filter(|l| l.usable(now))
        .map(|l| l.remaining)
        .sum()
}

/// Splits a debit over the lots. All or nothing: if the usable balance is short, nothing
/// is allocated. A non-positive request allocates nothing.
pub fn allocate_debit(
    lots: &[Lot],
    points: Decimal,
    now: Timestamp,
) -> Result<Vec<Allocation>, InsufficientPoints> {
    let available = balance(lots, now);
    if points > available {
        return Err(InsufficientPoints {
            requested: points,
            available,
        });
    }
    Ok(take_in_order(consumption_order(lots, now), points).0)
}

/// Takes up to `points` from `ordered` lots; returns the allocations and what is left.
pub(crate) fn take_in_order<'a>(
    ordered: impl IntoIterator<Item = &'a Lot>,
    points: Decimal,
) -> (Vec<Allocation>, Decimal) {
    let mut left = points.max(Decimal::ZERO);
    let mut out = Vec::new();
    for lot in ordered {
        if left <= Decimal::ZERO {
            break;
        }
        let take = left.min(lot.remaining);
        if take > Decimal::ZERO {
            out.push(Allocation {
                lot_id: lot.lot_id,
                points: take,
            });
            left -= take;
        }
    }
    (out, left)
}

/// Write-offs for lots whose expiry has passed and that still hold points; one
/// allocation per lot, in consumption order.
pub fn expire_due(lots: &[Lot], now: Timestamp) -> Vec<Allocation> {
    let mut due: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.remaining > Decimal::ZERO && l.expires_at.is_some_and(|e| now > e))
        .collect();
    due.sort_by_key(|l| l.order_key());
    due.into_iter()
        .map(|l| Allocation {
            lot_id: l.lot_id,
            points: l.remaining,
        })
        .collect()
}

/// An allocation a lot cannot give: the lot is not among the member's open lots, or
/// holds less than the allocation takes (or the allocation is negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("lot {lot_id} cannot give {points}")]
pub struct BadAllocation {
    pub lot_id: LotId,
    pub points: Decimal,
}

/// Takes each allocation off its lot: what a debit leaves in the lots it draws from.
/// All or nothing: an allocation a lot cannot give changes no lot.
pub fn apply_allocations(
    lots: &mut [Lot],
    allocations: &[Allocation],
) -> Result<(), BadAllocation> {
    let mut left: Vec<Decimal> = lots.iter().map(|l| l.remaining).collect();
    for a in allocations {
        let bad = BadAllocation {
            lot_id: a.lot_id,
            points: a.points,
        };
        let i = lots.iter().position(|l| l.lot_id == a.lot_id).ok_or(bad)?;
        if a.points < Decimal::ZERO || a.points > left[i] {
            return Err(bad);
        }
        left[i] -= a.points;
    }
    for (lot, remaining) in lots.iter_mut().zip(left) {
        lot.remaining = remaining;
    }
    Ok(())
}

/// Points expiring on one local date (the `pointsExpirySchedule` row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryScheduleItem {
    pub date: Date,
    pub points: Decimal,
}

/// Upcoming expiries grouped by org-local date, ascending.
pub fn expiry_schedule(lots: &[Lot], now: Timestamp, tz: &TimeZone) -> Vec<ExpiryScheduleItem> {
    let mut by_day: std::collections::BTreeMap<Date, Decimal> = Default::default();
    for l in lots.iter().filter(|l| l.usable(now)) {
        if let Some(e) = l.expires_at {
            *by_day.entry(local_date(e, tz)).or_default() += l.remaining;
        }
    }
    by_day
        .into_iter()
        .map(|(date, points)| ExpiryScheduleItem { date, points })
        .collect()
}

/// One row of the append-only ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub entry_id: EntryId,
    pub kind: EntryKind,
    /// Signed: credits positive, debits negative.
    pub points: Decimal,
    pub at: Timestamp,
    pub source: EntrySource,
    pub rule: Option<String>,
    pub actor: Actor,
    pub reason: Option<String>,
    /// The lot a credit created.
    pub lot_id: Option<LotId>,
    /// The lots a debit drew from.
    pub allocations: Vec<Allocation>,
    /// Part of a debit no lot could cover; it becomes debt (positive number).
    pub shortfall: Decimal,
    /// Part of a credit used to pay debt instead of filling its lot (positive number).
    pub debt_settled: Decimal,
}

/// How a new credit splits between outstanding debt and its own lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebtSettlement {
    pub debt_settled: Decimal,
    pub lot_remaining: Decimal,
}

/// A credit pays outstanding debt first; what is left fills its lot.
pub fn settle_debt(credit: Decimal, debt: Decimal) -> DebtSettlement {
    let paid = credit.min(debt.max(Decimal::ZERO)).max(Decimal::ZERO);
    DebtSettlement {
        debt_settled: paid,
        lot_remaining: credit - paid,
    }
}

/// The customer-facing balance: spendable lots, debt, and the net of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub available: Decimal,
    pub debt: Decimal,
    pub net: Decimal,
}

/// The balance from the member's lots and outstanding debt (the sum of shortfalls not yet
/// settled by later credits).
pub fn derive_balance(lots: &[Lot], debt: Decimal, now: Timestamp) -> Balance {
    let available = balance(lots, now);
    Balance {
        available,
        debt,
        net: available - debt,
    }
}

/// One line of the "explain" view: the entry and the balance right after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainLine<'a> {
    pub entry: &'a LedgerEntry,
    pub balance_after: Decimal,
}

/// Entries in ledger order (time, then id) with a running balance.
pub fn explain(entries: &[LedgerEntry]) -> Vec<ExplainLine<'_>> {
    let mut sorted: Vec<&LedgerEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| (e.at, e.entry_id));
    let mut running = Decimal::ZERO;
    sorted
        .into_iter()
        .map(|entry| {
            running += entry.points;
            ExplainLine {
                entry,
                balance_after: running,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::program::ExpiryPolicy;
    use crate::loyalty::test_util::{d, lot, ts};

    #[test]
    fn debits_consume_earliest_expiry_first_never_expiring_last() {
        let lots = vec![
            lot(LotId::new(1), "100", "2024-01-01T00:00:00Z", None),
            lot(
                LotId::new(2),
                "50",
                "2024-02-01T00:00:00Z",
                Some("2025-06-01T00:00:00Z"),
            ),
            lot(
                LotId::new(3),
                "30",
                "2024-03-01T00:00:00Z",
                Some("2025-03-01T00:00:00Z"),
            ),
            // Same expiry as lot 2 but awarded earlier: goes first of the two.
            lot(
                LotId::new(4),
                "20",
                "2024-01-15T00:00:00Z",
                Some("2025-06-01T00:00:00Z"),
            ),
        ];
        let now = ts("2024-06-01T00:00:00Z");
        let a = allocate_debit(&lots, d("120"), now).unwrap();
        let got: Vec<(LotId, Decimal)> = a.iter().map(|a| (a.lot_id, a.points)).collect();
        assert_eq!(
            got,
            vec![
                (LotId::new(3), d("30")),
                (LotId::new(4), d("20")),
                (LotId::new(2), d("50")),
                (LotId::new(1), d("20"))
            ]
        );
    }

    #[test]
    fn ties_fall_back_to_lot_id_and_expired_lots_are_skipped() {
        let lots = vec![
            lot(
                LotId::new(9),
                "10",
                "2024-01-01T00:00:00Z",
                Some("2025-01-01T00:00:00Z"),
            ),
            lot(
                LotId::new(7),
                "10",
                "2024-01-01T00:00:00Z",
                Some("2025-01-01T00:00:00Z"),
            ),
            lot(
                LotId::new(5),
                "10",
                "2023-01-01T00:00:00Z",
                Some("2024-01-01T00:00:00Z"),
            ),
        ];
        let now = ts("2024-06-01T00:00:00Z");
        assert_eq!(balance(&lots, now), d("20"));
        let a = allocate_debit(&lots, d("15"), now).unwrap();
        assert_eq!(a[0].lot_id, LotId::new(7));
        assert_eq!(
            a[1],
            Allocation {
                lot_id: LotId::new(9),
                points: d("5")
            }
        );
        let err = allocate_debit(&lots, d("21"), now).unwrap_err();
        assert_eq!(err.available, d("20"));
        assert_eq!(LoyaltyError::from(err).code(), 813);
        assert!(allocate_debit(&lots, d("0"), now).unwrap().is_empty());
    }

    #[test]
    fn expiry_at_the_instant_is_still_usable_and_due_after() {
        let e = "2025-03-01T15:59:59Z";
        let mut lots = vec![
            lot(LotId::new(1), "40", "2024-03-01T01:00:00Z", Some(e)),
            lot(LotId::new(2), "60", "2024-03-02T01:00:00Z", None),
        ];
        assert!(expire_due(&lots, ts(e)).is_empty());
        assert_eq!(balance(&lots, ts(e)), d("100"));
        let after = ts("2025-03-01T16:00:00Z");
        let due = expire_due(&lots, after);
        assert_eq!(
            due,
            vec![Allocation {
                lot_id: LotId::new(1),
                points: d("40")
            }]
        );
        apply_allocations(&mut lots, &due).unwrap();
        assert!(expire_due(&lots, after).is_empty());
        assert_eq!(balance(&lots, after), d("60"));
    }

    #[test]
    fn allocations_a_lot_cannot_give_change_nothing() {
        let mut lots = vec![
            lot(LotId::new(1), "40", "2024-03-01T01:00:00Z", None),
            lot(LotId::new(2), "60", "2024-03-02T01:00:00Z", None),
        ];
        let take = |lot_id, pts: &str| Allocation {
            lot_id,
            points: d(pts),
        };
        // Lot 1 holds 40: 30 + 20 from it is too much, and lot 2 is left alone too.
        let err = apply_allocations(
            &mut lots,
            &[
                take(LotId::new(2), "10"),
                take(LotId::new(1), "30"),
                take(LotId::new(1), "20"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            BadAllocation {
                lot_id: LotId::new(1),
                points: d("20")
            }
        );
        assert!(apply_allocations(&mut lots, &[take(LotId::new(9), "1")]).is_err());
        assert!(apply_allocations(&mut lots, &[take(LotId::new(2), "-1")]).is_err());
        assert_eq!((lots[0].remaining, lots[1].remaining), (d("40"), d("60")));
        apply_allocations(
            &mut lots,
            &[take(LotId::new(1), "40"), take(LotId::new(2), "0.5")],
        )
        .unwrap();
        assert_eq!((lots[0].remaining, lots[1].remaining), (d("0"), d("59.5")));
    }

    #[test]
    fn credits_and_debits_need_positive_points_of_their_kind() {
        assert!(EntryKind::Credit.check_credit(d("1")).is_ok());
        assert!(EntryKind::Adjustment.check_credit(d("0.5")).is_ok());
        assert!(EntryKind::Goodwill.check_credit(d("0")).is_err());
        assert_eq!(
            EntryKind::Redemption.check_credit(d("5")),
            Err(LoyaltyError::InvalidPoints)
        );
        assert!(EntryKind::Redemption.check_debit(d("5")).is_ok());
        assert!(EntryKind::Adjustment.check_debit(d("5")).is_ok());
        assert!(EntryKind::Credit.check_debit(d("5")).is_err());
        assert!(EntryKind::Expiry.check_debit(d("-5")).is_err());
        assert!(EntryKind::Goodwill.creates_lot() && !EntryKind::Adjustment.creates_lot());
    }

    #[test]
    fn schedule_groups_by_local_date() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let policy = ExpiryPolicy::AfterDays { days: 365 };
        let credit = |id, pts, at: &str| Lot {
            expires_at: policy.expiry_instant(ts(at), &tz),
            ..lot(id, pts, at, None)
        };
        let lots = vec![
            credit(LotId::new(1), "10", "2024-03-01T01:00:00Z"),
            credit(LotId::new(2), "5", "2024-03-01T10:00:00Z"),
            credit(LotId::new(3), "7", "2024-03-01T17:00:00Z"),
        ];
        let s = expiry_schedule(&lots, ts("2024-04-01T00:00:00Z"), &tz);
        assert_eq!(
            s,
            vec![
                ExpiryScheduleItem {
                    date: Date::constant(2025, 3, 1),
                    points: d("15")
                },
                ExpiryScheduleItem {
                    date: Date::constant(2025, 3, 2),
                    points: d("7")
                },
            ]
        );
    }

    fn entry(id: EntryId, kind: EntryKind, pts: &str, at: &str) -> LedgerEntry {
        LedgerEntry {
            entry_id: id,
            kind,
            points: d(pts),
            at: ts(at),
            source: EntrySource::bare(SourceKind::Manual),
            rule: None,
            actor: Actor::system(),
            reason: None,
            lot_id: None,
            allocations: vec![],
            shortfall: Decimal::ZERO,
            debt_settled: Decimal::ZERO,
        }
    }

    #[test]
    fn explain_runs_a_balance_and_debt_is_paid_by_new_credits() {
        let mut reversal = entry(
            EntryId::new(3),
            EntryKind::ReturnReversal,
            "-80",
            "2024-03-01T00:00:00Z",
        );
        reversal.shortfall = d("30");
        let entries = vec![
            entry(
                EntryId::new(2),
                EntryKind::Redemption,
                "-50",
                "2024-02-01T00:00:00Z",
            ),
            entry(
                EntryId::new(1),
                EntryKind::Credit,
                "100",
                "2024-01-01T00:00:00Z",
            ),
            reversal,
        ];
        let lines = explain(&entries);
        let bal: Vec<Decimal> = lines.iter().map(|l| l.balance_after).collect();
        assert_eq!(bal, vec![d("100"), d("50"), d("-30")]);
        let s = settle_debt(d("100"), d("30"));
        assert_eq!((s.debt_settled, s.lot_remaining), (d("30"), d("70")));
        let s = settle_debt(d("10"), d("30"));
        assert_eq!((s.debt_settled, s.lot_remaining), (d("10"), d("0")));
        let s = settle_debt(d("10"), d("0"));
        assert_eq!((s.debt_settled, s.lot_remaining), (d("0"), d("10")));
        let b = derive_balance(&[], d("30"), ts("2024-03-02T00:00:00Z"));
        assert_eq!((b.available, b.debt, b.net), (d("0"), d("30"), d("-30")));
        let lots = [lot(LotId::new(1), "50", "2024-03-01T00:00:00Z", None)];
        let b = derive_balance(&lots, d("30"), ts("2024-03-02T00:00:00Z"));
        assert_eq!((b.available, b.net), (d("50"), d("20")));
        assert_eq!(
            EntryKind::parse("return_reversal"),
            Some(EntryKind::ReturnReversal)
        );
        assert_eq!(SourceKind::parse("EXPIRY_JOB"), Some(SourceKind::ExpiryJob));
    }
}
