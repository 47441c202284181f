//! The groups context (Capillary's `userGroup2`): a group of customers that earns points of
//! its own. A group is an earning entity of the loyalty ledger
//! (`loyalty::EarningEntity::Group`), so its bills go through the same earn, expiry and
//! tier rules as a customer's. This module holds the group's own rules: what a valid
//! group, change, member and query look like. Decisions where the documentation is
//! silent are recorded in docs/groups.md.

mod error;

pub use error::GroupError;

use crate::customers::CustomerId;

crate::id::id_type!(
    /// A user group's id (`userGroup2Id`): an int on the wire.
    GroupId
);

/// The product limit on `maxGroupSize` (Capillary's documented default, 30000).
pub const MAX_GROUP_SIZE: u32 = 30_000;

/// The longest external id and group name accepted.
pub const MAX_TEXT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    Active,
    Inactive,
    Deleted,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::Deleted => "DELETED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Inactive, Self::Deleted]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What a member may not do with the group's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The member cannot redeem the group's points.
    BlockPointsRedemption,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlockPointsRedemption => "block_points_redemption",
        }
    }

    /// The documented permission codes, case-insensitively; others are 1641.
    pub fn parse(s: &str) -> Result<Self, GroupError> {
        if s.trim()
            .eq_ignore_ascii_case(Self::BlockPointsRedemption.as_str())
        {
            Ok(Self::BlockPointsRedemption)
        } else {
            Err(GroupError::InvalidPermission(s.to_string()))
        }
    }

    /// A member's permissions as stored (comma-separated codes).
    pub fn join(ps: &[Permission]) -> String {
        ps.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
    }

    /// The stored form back; unknown codes (none are written) are skipped.
    pub fn split(s: &str) -> Vec<Permission> {
        s.split(',')
            .filter_map(|p| Permission::parse(p).ok())
            .collect()
    }
}

/// `maxGroupSize`: positive (1640) and at most the product limit (1639).
pub fn check_max_size(n: i64) -> Result<u32, GroupError> {
    if n <= 0 {
        return Err(GroupError::MaxSizeNotPositive);
    }
    u32::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_GROUP_SIZE)
        .ok_or(GroupError::MaxSizeAboveLimit)
}

fn check_name(name: Option<String>) -> Result<Option<String>, GroupError> {
    let name = name.map(|n| n.trim().to_string());
    match &name {
        Some(n) if n.chars().count() > MAX_TEXT => Err(GroupError::DetailsInvalid(format!(
            "groupName is longer than {MAX_TEXT} characters"
        ))),
        _ => Ok(name),
    }
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    pub external_id: String,
    pub name: String,
    pub max_size: u32,
}

impl NewGroup {
    /// The create request's fields checked: `externalId` present and not blank (1634),
    /// `maxGroupSize` present (403) and in range (1639, 1640).
    pub fn check(
        external_id: Option<String>,
        name: Option<String>,
        max_size: Option<i64>,
    ) -> Result<Self, GroupError> {
        let external_id = external_id
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .ok_or(GroupError::ExternalIdMissing)?;
        if external_id.chars().count() > MAX_TEXT {
            return Err(GroupError::DetailsInvalid(format!(
                "externalId is longer than {MAX_TEXT} characters"
            )));
        }
        let max_size = check_max_size(max_size.ok_or(GroupError::FieldMandatory("maxGroupSize"))?)?;
        Ok(Self {
            external_id,
            name: check_name(name)?.unwrap_or_default(),
            max_size,
        })
    }
}

/// A change to a group's name or size; at least one of them (1643).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub name: Option<String>,
    pub max_size: Option<u32>,
}

impl GroupChange {
    pub fn check(name: Option<String>, max_size: Option<i64>) -> Result<Self, GroupError> {
        let change = Self {
            name: check_name(name)?,
            max_size: max_size.map(check_max_size).transpose()?,
        };
        if change.name.is_none() && change.max_size.is_none() {
            return Err(GroupError::NothingToUpdate);
        }
        Ok(change)
    }
}

/// One element of a join request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub customer_id: CustomerId,
    pub primary: bool,
    pub permissions: Vec<Permission>,
}

impl Join {
    /// `userId` present and positive (403 / 8015), permissions known (1641).
    pub fn check(
        user_id: Option<i64>,
        primary: Option<bool>,
        permissions: &[String],
    ) -> Result<Self, GroupError> {
        let id = user_id.ok_or(GroupError::FieldMandatory("userId"))?;
        if id <= 0 {
            return Err(GroupError::CustomerNotFound);
        }
        let mut ps = Vec::new();
        for p in permissions {
            let p = Permission::parse(p)?;
            if !ps.contains(&p) {
                ps.push(p);
            }
        }
        Ok(Self {
            customer_id: CustomerId::new(id),
            primary: primary.unwrap_or(false),
            permissions: ps,
        })
    }
}

/// How a request names a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSelector {
    Id(GroupId),
    ExternalId(String),
    /// The group whose primary member this customer is.
    PrimaryUser(CustomerId),
}

impl GroupSelector {
    /// The first of `id`, `externalId`, `primaryUserId` given (blank values are absent);
    /// none is 1635, an id that is not a positive number 1619 (1632 for a primary user).
    pub fn pick(
        id: Option<&str>,
        external_id: Option<&str>,
        primary_user_id: Option<&str>,
    ) -> Result<Option<Self>, GroupError> {
        if let Some(id) = given(id) {
            return id
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Some(Self::Id(GroupId::new(n))))
                .ok_or_else(|| GroupError::InvalidGroupId(id.to_string()));
        }
        if let Some(e) = given(external_id) {
            return Ok(Some(Self::ExternalId(e.to_string())));
        }
        if let Some(p) = given(primary_user_id) {
            return p
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Some(Self::PrimaryUser(CustomerId::new(n))))
                .ok_or_else(|| GroupError::GroupNotFound(p.to_string()));
        }
        Ok(None)
    }

    /// `pick`, with no selector being 1635.
    pub fn required(
        id: Option<&str>,
        external_id: Option<&str>,
        primary_user_id: Option<&str>,
    ) -> Result<Self, GroupError> {
        Self::pick(id, external_id, primary_user_id)?.ok_or(GroupError::GroupSelectorMissing)
    }

    /// The value as the caller gave it, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::ExternalId(e) => e.clone(),
            Self::PrimaryUser(c) => c.to_string(),
        }
    }
}

fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// The group transactions API's page: `offset` below 0 is 0, `limit` of 0 or less is 20,
/// and no page is longer than `MAX_PAGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 500;

impl Page {
    pub fn new(offset: Option<i64>, limit: Option<i64>) -> Self {
        let offset = u32::try_from(offset.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
        let limit = match limit {
            Some(l) if l > 0 => u32::try_from(l.min(i64::from(MAX_PAGE))).unwrap_or(MAX_PAGE),
            _ => DEFAULT_PAGE,
        };
        Self { offset, limit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    #[test]
    fn a_new_group_needs_an_external_id_and_a_size_in_range() {
        let ok = NewGroup::check(Some(" purple ".into()), Some("name".into()), Some(110)).unwrap();
        assert_eq!(ok.external_id, "purple");
        assert_eq!(ok.max_size, 110);
        let code = |r: Result<NewGroup, GroupError>| r.unwrap_err().code();
        assert_eq!(code(NewGroup::check(None, None, Some(1))), 1634);
        assert_eq!(
            code(NewGroup::check(Some("  ".into()), None, Some(1))),
            1634
        );
        assert_eq!(code(NewGroup::check(Some("x".into()), None, None)), 403);
        assert_eq!(code(NewGroup::check(Some("x".into()), None, Some(0))), 1640);
        assert_eq!(
            code(NewGroup::check(Some("x".into()), None, Some(-3))),
            1640
        );
        assert_eq!(
            code(NewGroup::check(Some("x".into()), None, Some(30_001))),
            1639
        );
        assert!(NewGroup::check(Some("x".into()), None, Some(30_000)).is_ok());
        assert_eq!(
            code(NewGroup::check(Some("x".repeat(101)), None, Some(5))),
            1645
        );
    }

    #[test]
    fn a_change_must_change_something() {
        assert_eq!(GroupChange::check(None, None).unwrap_err().code(), 1643);
        assert_eq!(GroupChange::check(None, Some(0)).unwrap_err().code(), 1640);
        let c = GroupChange::check(Some("n".into()), None).unwrap();
        assert_eq!(c.max_size, None);
    }

    #[test]
    fn permissions_are_the_documented_codes() {
        let j = Join::check(
            Some(7),
            None,
            &[
                "block_points_redemption".into(),
                "BLOCK_POINTS_REDEMPTION".into(),
            ],
        )
        .unwrap();
        assert_eq!(j.permissions, vec![Permission::BlockPointsRedemption]);
        assert!(!j.primary);
        assert_eq!(
            Join::check(Some(7), None, &["fly".into()])
                .unwrap_err()
                .code(),
            1641
        );
        assert_eq!(Join::check(None, None, &[]).unwrap_err().code(), 403);
        assert_eq!(
            Permission::split(&Permission::join(&j.permissions)),
            j.permissions
        );
    }

    #[test]
    fn a_selector_takes_the_first_given() {
        assert_eq!(
            GroupSelector::pick(Some("12"), Some("x"), None).unwrap(),
            Some(GroupSelector::Id(GroupId::new(12)))
        );
        assert_eq!(
            GroupSelector::pick(Some(" "), Some("x"), None).unwrap(),
            Some(GroupSelector::ExternalId("x".into()))
        );
        assert_eq!(
            GroupSelector::pick(Some("abc"), None, None)
                .unwrap_err()
                .code(),
            1619
        );
        assert_eq!(
            GroupSelector::pick(None, None, Some("-1"))
                .unwrap_err()
                .code(),
            1632
        );
        assert_eq!(
            GroupSelector::required(None, None, None)
                .unwrap_err()
                .code(),
            1635
        );
    }

    #[test]
    fn pages_follow_the_documented_defaults() {
        assert_eq!(
            Page::new(None, None),
            Page {
                offset: 0,
                limit: 20
            }
        );
        assert_eq!(
            Page::new(Some(-5), Some(0)),
            Page {
                offset: 0,
                limit: 20
            }
        );
        assert_eq!(
            Page::new(Some(3), Some(100)),
            Page {
                offset: 3,
                limit: 100
            }
        );
        assert_eq!(Page::new(None, Some(10_000)).limit, MAX_PAGE);
    }
}
