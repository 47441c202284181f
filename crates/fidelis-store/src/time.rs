//! Instants are stored as microseconds since the Unix epoch (UTC) in a BIGINT column, the one
//! representation both backends sort and compare natively.

use jiff::Timestamp;

use crate::StoreError;

pub fn to_db(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_db(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {micros}: {e}")))
}
