//! Returns: how many of a bill's points to take back, and from which lots.
//!
//! * FULL and CANCELLED returns reverse everything not yet reversed.
//! * AMOUNT and LINE_ITEM returns reverse in proportion to the amount returned. The
//!   proportion is computed on the cumulative returned amount and rounded toward zero at
//!   the program's points precision, then the points already reversed are subtracted, so
//!   several partial returns add up to exactly what one return of the same total would
//!   reverse, never more than was earned, and returning the last unit reverses the rest.
//! * Points come out of the bill's own lots first, then the member's other lots in the
//!   usual oldest-expiry-first order. Whatever is still missing (the points were already
//!   redeemed) is recorded as a shortfall: the balance goes negative and later credits
//!   pay it off first. Refusing the return would block a legitimate refund at the till,
//!   and silently forgiving it would let a customer earn, redeem and return for free.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::ledger::{consumption_order, take_in_order, Allocation, EntrySource, Lot};
use super::program::Rounding;
use super::transaction::ReturnType;

/// What a bill earned and what has already been returned from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillEarning {
    pub bill_amount: Decimal,
    pub points_earned: Decimal,
    /// Cumulative amount returned by earlier returns.
    pub amount_returned: Decimal,
    /// Cumulative points reversed by earlier returns.
    pub points_reversed: Decimal,
    /// Whether the bill counted toward lifetime purchases when it was recorded (its
    /// outlier status earns).
    pub counted_as_purchase: bool,
}

/// The effect of one return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnOutcome {
    /// Amount this return takes off the bill.
    pub amount: Decimal,
    pub points_to_reverse: Decimal,
    /// What comes off the member's lifetime purchases: the returned amount, if the bill
    /// counted. Tiers never move down because of it; only when their validity ends.
    pub purchases_reversed: Decimal,
    /// True once the whole bill amount has been returned.
    pub fully_returned: bool,
}

/// Computes a return's reversal. `amount` is the returned amount for AMOUNT returns and
/// the sum of the returned lines' amounts for LINE_ITEM returns; it is ignored for FULL
/// and CANCELLED. With `points_return_enabled` off the return is still accepted (and
/// counted) but reverses nothing.
pub fn reverse_for_return(
    earning: &BillEarning,
    return_type: ReturnType,
    amount: Decimal,
    rounding: Rounding,
    points_return_enabled: bool,
) -> Result<ReturnOutcome, LoyaltyError> {
    let returnable = (earning.bill_amount - earning.amount_returned).max(Decimal::ZERO);
    let points_left = (earning.points_earned - earning.points_reversed).max(Decimal::ZERO);
    if returnable <= Decimal::ZERO {
        return Err(LoyaltyError::BillAlreadyReturned);
    }
    let amount = match return_type {
        ReturnType::Full | ReturnType::Cancelled => returnable,
        ReturnType::Amount | ReturnType::LineItem => {
            if amount <= Decimal::ZERO {
                return Err(LoyaltyError::InvalidReturnAmount);
            }
            if amount > returnable {
                return Err(LoyaltyError::ReturnExceedsBill {
                    requested: amount,
                    returnable,
                });
            }
            amount
        }
    };
    let cumulative = earning.amount_returned + amount;
    let fully_returned = cumulative >= earning.bill_amount;
    let target = if fully_returned {
        earning.points_earned
    } else {
        let share = earning
            .points_earned
            .checked_mul(cumulative)
            .and_then(|p| p.checked_div(earning.bill_amount))
            .unwrap_or(Decimal::ZERO);
        rounding.floor(share)
    };
    let points = if points_return_enabled {
        (target - earning.points_reversed).clamp(Decimal::ZERO, points_left)
    } else {
        Decimal::ZERO
    };
    Ok(ReturnOutcome {
        amount,
        points_to_reverse: points,
        purchases_reversed: if earning.counted_as_purchase {
            amount
        } else {
            Decimal::ZERO
        },
        fully_returned,
    })
}

/// Where reversed points come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalPlan {
    pub allocations: Vec<Allocation>,
    /// Points no lot could cover; recorded as debt.
    pub shortfall: Decimal,
}

/// Takes `points` from the bill's own lots (those whose source is `bill`, i.e.
/// `EntrySource::bill` of the returned bill), then from other usable lots, and reports
/// the rest as shortfall.
pub fn plan_reversal(
    lots: &[Lot],
    bill: &EntrySource,
    points: Decimal,
    now: Timestamp,
) -> ReversalPlan {
    let ordered = consumption_order(lots, now);
    let own = ordered.iter().copied().filter(|l| l.source == *bill);
    let others = ordered.iter().copied().filter(|l| l.source != *bill);
    let (allocations, shortfall) = take_in_order(own.chain(others), points);
    ReversalPlan {
        allocations,
        shortfall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::ledger::{apply_allocations, EntrySource, LotId, SourceKind};
    use crate::loyalty::test_util::{d, lot, ts};

    fn bill(amount: &str, earned: &str) -> BillEarning {
        BillEarning {
            bill_amount: d(amount),
            points_earned: d(earned),
            amount_returned: Decimal::ZERO,
            points_reversed: Decimal::ZERO,
            counted_as_purchase: true,
        }
    }

    fn record(b: &mut BillEarning, o: &ReturnOutcome) {
        b.amount_returned += o.amount;
        b.points_reversed += o.points_to_reverse;
    }

    #[test]
    fn partial_returns_never_exceed_earned_points() {
        let r = Rounding::WHOLE_DOWN;
        let mut b = bill("1234.56", "123");
        let mut total = Decimal::ZERO;
        for amt in ["100", "0.56", "333.33", "400"] {
            let o = reverse_for_return(&b, ReturnType::Amount, d(amt), r, true).unwrap();
            total += o.points_to_reverse;
            record(&mut b, &o);
            assert!(b.points_reversed <= d("123"));
        }
        // 833.89 of 1234.56 returned: floor(123 × 833.89 / 1234.56) = 83.
        assert_eq!(total, d("83"));
        let o = reverse_for_return(&b, ReturnType::LineItem, d("400.67"), r, true).unwrap();
        assert!(o.fully_returned);
        record(&mut b, &o);
        assert_eq!(b.points_reversed, d("123"));
        assert_eq!(
            reverse_for_return(&b, ReturnType::Full, Decimal::ZERO, r, true),
            Err(LoyaltyError::BillAlreadyReturned)
        );
    }

    #[test]
    fn split_returns_match_a_single_return() {
        let r = Rounding::WHOLE_DOWN;
        let mut b = bill("1234.56", "123");
        let a = reverse_for_return(&b, ReturnType::Amount, d("617.28"), r, true).unwrap();
        assert_eq!(a.points_to_reverse, d("61"));
        record(&mut b, &a);
        let c = reverse_for_return(&b, ReturnType::Amount, d("617.28"), r, true).unwrap();
        assert_eq!(c.points_to_reverse, d("62"));
        let single = reverse_for_return(
            &bill("1234.56", "123"),
            ReturnType::Amount,
            d("34.56"),
            r,
            true,
        )
        .unwrap();
        assert_eq!(single.points_to_reverse, d("3"));
    }

    #[test]
    fn full_return_after_partial_reverses_the_rest() {
        let r = Rounding::WHOLE_DOWN;
        let mut b = bill("200", "20");
        let o = reverse_for_return(&b, ReturnType::Amount, d("50"), r, true).unwrap();
        assert_eq!(o.points_to_reverse, d("5"));
        record(&mut b, &o);
        let o = reverse_for_return(&b, ReturnType::Full, Decimal::ZERO, r, true).unwrap();
        assert_eq!((o.amount, o.points_to_reverse), (d("150"), d("15")));
        assert_eq!(o.purchases_reversed, d("150"));
    }

    #[test]
    fn a_bill_that_did_not_count_takes_nothing_off_lifetime_purchases() {
        let mut b = bill("200", "0");
        b.counted_as_purchase = false;
        let o = reverse_for_return(&b, ReturnType::Amount, d("50"), Rounding::WHOLE_DOWN, true)
            .unwrap();
        assert_eq!((o.amount, o.purchases_reversed), (d("50"), d("0")));
    }

    #[test]
    fn invalid_returns_are_rejected_and_disabled_returns_reverse_nothing() {
        let r = Rounding::WHOLE_DOWN;
        let b = bill("200", "20");
        let e = reverse_for_return(&b, ReturnType::Amount, d("250"), r, true).unwrap_err();
        assert!(matches!(e, LoyaltyError::ReturnExceedsBill { .. }));
        assert_eq!(
            reverse_for_return(&b, ReturnType::Amount, d("0"), r, true),
            Err(LoyaltyError::InvalidReturnAmount)
        );
        let o = reverse_for_return(&b, ReturnType::Full, Decimal::ZERO, r, false).unwrap();
        assert_eq!(o.points_to_reverse, Decimal::ZERO);
        assert!(o.fully_returned);
    }

    #[test]
    fn reversal_takes_bill_lots_first_then_others_then_records_shortfall() {
        let now = ts("2024-06-01T00:00:00Z");
        let mut lots = vec![
            lot(
                LotId::new(1),
                "50",
                "2024-01-01T00:00:00Z",
                Some("2024-12-31T00:00:00Z"),
            ),
            lot(
                LotId::new(2),
                "40",
                "2024-05-01T00:00:00Z",
                Some("2025-05-01T00:00:00Z"),
            ),
        ];
        // Lot 2 is the bill's own (test_util names lot n's source bill "bn"), partly
        // redeemed already.
        lots[1].remaining = d("10");
        let bill = EntrySource::new(SourceKind::Bill, "b2");
        assert_eq!(lots[1].source, bill);
        let plan = plan_reversal(&lots, &bill, d("40"), now);
        assert_eq!(
            plan.allocations,
            vec![
                Allocation {
                    lot_id: LotId::new(2),
                    points: d("10")
                },
                Allocation {
                    lot_id: LotId::new(1),
                    points: d("30")
                },
            ]
        );
        assert_eq!(plan.shortfall, Decimal::ZERO);
        apply_allocations(&mut lots, &plan.allocations).unwrap();
        let plan = plan_reversal(&lots, &bill, d("40"), now);
        assert_eq!(
            plan.allocations,
            vec![Allocation {
                lot_id: LotId::new(1),
                points: d("20")
            }]
        );
        assert_eq!(plan.shortfall, d("20"));
    }
}
