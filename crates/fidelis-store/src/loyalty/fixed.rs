//! Points and money are stored as BIGINT thousandths (1 point = 1000, 1,234.56 SGD =
//! 1234560): the sqlx Any driver maps no NUMERIC type, and integers add up exactly.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::StoreError;

/// A value in thousandths. Finer fractions are rounded half away from zero (the org file
/// allows at most 3 decimal places of points, so only money can carry more).
pub fn to_milli(value: Decimal) -> Result<i64, StoreError> {
    let scaled = value
        .round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero)
        .checked_mul(Decimal::ONE_THOUSAND)
        .ok_or_else(|| StoreError::Conflict(format!("{value} is too large")))?;
    i64::try_from(scaled).map_err(|_| StoreError::Conflict(format!("{value} is too large")))
}

pub fn from_milli(value: i64) -> Decimal {
    Decimal::new(value, 3).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_thousandths() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(to_milli(d("1234.56")).unwrap(), 1_234_560);
        assert_eq!(to_milli(d("123")).unwrap(), 123_000);
        assert_eq!(to_milli(d("-0.0005")).unwrap(), -1);
        assert_eq!(from_milli(1_234_560), d("1234.56"));
        assert_eq!(from_milli(-500).to_string(), "-0.5");
        assert!(to_milli(Decimal::MAX).is_err());
    }
}
