//! The loyalty repository: programs and settings, the points ledger, bills and returns,
//! goodwill requests, partner-program memberships, tier renewal and downgrade.
//!
//! Every write that touches a customer's points first locks that customer's balance row
//! for the program (`balance::lock`), so concurrent writers for one customer queue up on
//! PostgreSQL; SQLite has a single writer anyway. The ledger entries, lots, allocations
//! and the cached balance are written in that same transaction.

pub(crate) mod apply;
mod balance;
mod bill_batch;
mod bill_details;
mod bill_lookup;
mod bills;
pub(crate) mod cards;
mod earner_bills;
mod enrolment;
pub(crate) mod fixed;
mod goodwill;
mod ledger;
mod members;
mod partner;
mod programs;
mod rows;
mod tier_expiry;

pub use bill_batch::BillAnswer;
pub use bills::{BillAward, BillRecord, NewReturn, ReturnResult};
pub use cards::{
    CardChange, CardKey, CardRecord, GenerationLogRecord, NewCard, SeriesRecord, StatusLogRecord,
    MAX_GENERATE,
};
pub use earner_bills::{BillFilter, BillPoints};
pub use goodwill::{GoodwillRecord, NewGoodwill};
pub use ledger::{Credit, Debit, ExpiryRun, PointsOverview, Posted};
pub use members::{MemberState, TierChangeRecord};
pub use programs::LoyaltyContext;
pub use tier_expiry::{TierRun, TIER_JOB_REFERENCE};

/// A bill to be recorded is the domain's type.
pub use fidelis_domain::loyalty::transaction::NewBill;

pub(crate) use apply::apply_config;
pub(crate) use enrolment::open_account;

use crate::Db;

pub(crate) type Tx = crate::Unit;

pub struct LoyaltyRepo<'a>(&'a Db);

impl Db {
    pub fn loyalty(&self) -> LoyaltyRepo<'_> {
        LoyaltyRepo(self)
    }
}
