//! Who earns: the ledger's holder of points, tiers and bills. A customer earns for
//! themselves; a user group (`userGroup2`) earns as one entity, with its own balance,
//! lots, expiry schedule and tier, under the same rules.

use crate::customers::CustomerId;
use crate::groups::GroupId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EarningEntity {
    Customer(CustomerId),
    Group(GroupId),
}

impl EarningEntity {
    /// Capillary's name for the kind (`entityType` of side effects and balances).
    pub fn kind(self) -> &'static str {
        match self {
            Self::Customer(_) => "USER",
            Self::Group(_) => "USERGROUP2",
        }
    }

    /// The id within its kind.
    pub fn id(self) -> i64 {
        match self {
            Self::Customer(c) => c.get(),
            Self::Group(g) => g.get(),
        }
    }

    pub fn customer(self) -> Option<CustomerId> {
        match self {
            Self::Customer(c) => Some(c),
            Self::Group(_) => None,
        }
    }
}

impl From<CustomerId> for EarningEntity {
    fn from(c: CustomerId) -> Self {
        Self::Customer(c)
    }
}

impl From<GroupId> for EarningEntity {
    fn from(g: GroupId) -> Self {
        Self::Group(g)
    }
}
