//! The groups repository (userGroup2): groups, their members, and the group's account in
//! the loyalty ledger opened at creation.
//!
//! Limits hold in the database: a join first locks the group's row (a no-op update, so
//! PostgreSQL queues concurrent joins on it; SQLite has one writer), checks membership and
//! the primary-member rules under that lock, and claims a place with a conditional update
//! (`member_count < max_size`), all in one transaction. Unique indexes back the
//! one-primary rules and the external id. A refusal returns before the commit, and the
//! dropped unit rolls back whatever the transaction wrote.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::groups::{
    GroupChange, GroupError, GroupId, GroupSelector, GroupStatus, Join, NewGroup, Permission,
};
use fidelis_domain::loyalty::EarningEntity;
use fidelis_domain::org::{EntityId, OrgId};
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::loyalty::{open_account, LoyaltyContext};
use crate::time::{from_db, to_db};
use crate::{Db, StoreError, Unit};

/// A group refused by its rules, or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    #[error(transparent)]
    Rule(#[from] GroupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for GroupsError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

type Result<T> = std::result::Result<T, GroupsError>;

/// A stored group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: GroupId,
    pub external_id: String,
    pub name: String,
    pub max_size: u32,
    /// Active members.
    pub member_count: u32,
    pub status: GroupStatus,
    pub created_by: Option<EntityId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A member of a group, past or present.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    pub group_id: GroupId,
    pub customer_id: CustomerId,
    pub primary: bool,
    pub permissions: Vec<Permission>,
    pub active: bool,
    pub joined_at: Timestamp,
    pub left_at: Option<Timestamp>,
}

const GROUP_COLUMNS: &str =
    "id, external_id, name, max_size, member_count, status, created_by, created_at, updated_at";

fn group_from_row(r: &AnyRow) -> std::result::Result<GroupRecord, StoreError> {
    let count = |i: usize| -> std::result::Result<u32, StoreError> {
        let n: i64 = r.try_get(i)?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("group size {n}")))
    };
    let status: String = r.try_get(5)?;
    Ok(GroupRecord {
        id: GroupId::new(r.try_get(0)?),
        external_id: r.try_get(1)?,
        name: r.try_get(2)?,
        max_size: count(3)?,
        member_count: count(4)?,
        status: GroupStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("group status {status:?}")))?,
        created_by: r.try_get::<Option<i64>, _>(6)?.map(EntityId::new),
        created_at: from_db(r.try_get(7)?)?,
        updated_at: from_db(r.try_get(8)?)?,
    })
}

const MEMBER_COLUMNS: &str =
    "group_id, customer_id, is_primary, permissions, is_active, joined_at, left_at";

type MemberRow = (i64, i64, i64, String, i64, i64, Option<i64>);

fn member_from_row(r: MemberRow) -> std::result::Result<MemberRecord, StoreError> {
    Ok(MemberRecord {
        group_id: GroupId::new(r.0),
        customer_id: CustomerId::new(r.1),
        primary: r.2 == 1,
        permissions: Permission::split(&r.3),
        active: r.4 == 1,
        joined_at: from_db(r.5)?,
        left_at: r.6.map(from_db).transpose()?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Locks a live group's row until the transaction ends (a no-op update: PostgreSQL takes
/// the row lock; SQLite has one writer) and returns it; 1619 when there is none.
async fn lock_group(tx: &mut Unit, org_id: OrgId, id: GroupId) -> Result<GroupRecord> {
    let row = sqlx::query(&format!(
        "UPDATE user_groups SET updated_at = updated_at \
         WHERE org_id = $1 AND id = $2 AND status <> 'DELETED' RETURNING {GROUP_COLUMNS}"
    ))
    .bind(org_id.get())
    .bind(id.get())
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        Some(r) => Ok(group_from_row(&r)?),
        None => Err(GroupError::InvalidGroupId(id.to_string()).into()),
    }
}

/// A customer's membership of a group, past or present, read inside a transaction or not.
async fn member_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    org_id: OrgId,
    group: GroupId,
    customer: CustomerId,
) -> Result<Option<MemberRecord>> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM user_group_members \
         WHERE org_id = $1 AND group_id = $2 AND customer_id = $3"
    ))
    .bind(org_id.get())
    .bind(group.get())
    .bind(customer.get())
    .fetch_optional(db)
    .await?;
    Ok(row.map(member_from_row).transpose()?)
}

/// Adds a member to a locked group: 1636 when already an active member, 1637/1642 for a
/// second primary, 1638 when the group is full.
async fn add_member(
    tx: &mut Unit,
    org_id: OrgId,
    g: &GroupRecord,
    j: &Join,
    now: Timestamp,
) -> Result<MemberRecord> {
    if member_in(&mut **tx, org_id, g.id, j.customer_id)
        .await?
        .is_some_and(|m| m.active)
    {
        return Err(GroupError::AlreadyMember.into());
    }
    if j.primary {
        let primaries: Vec<(i64,)> = sqlx::query_as(
            "SELECT group_id FROM user_group_members WHERE org_id = $1 AND is_primary = 1 \
             AND is_active = 1 AND (group_id = $2 OR customer_id = $3)",
        )
        .bind(org_id.get())
        .bind(g.id.get())
        .bind(j.customer_id.get())
        .fetch_all(&mut **tx)
        .await?;
        if primaries.iter().any(|(gid,)| *gid == g.id.get()) {
            return Err(GroupError::PrimaryExists.into());
        }
        if !primaries.is_empty() {
            return Err(GroupError::PrimaryElsewhere.into());
        }
    }
    let claimed = sqlx::query(
        "UPDATE user_groups SET member_count = member_count + 1, updated_at = $3 \
         WHERE org_id = $1 AND id = $2 AND member_count < max_size",
    )
    .bind(org_id.get())
    .bind(g.id.get())
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Err(GroupError::GroupFull(g.max_size).into());
    }
    let row: std::result::Result<MemberRow, sqlx::Error> = sqlx::query_as(&format!(
        "INSERT INTO user_group_members (org_id, group_id, customer_id, is_primary, \
         permissions, is_active, joined_at) VALUES ($1, $2, $3, $4, $5, 1, $6) \
         ON CONFLICT (org_id, group_id, customer_id) DO UPDATE SET is_primary = excluded.is_primary, \
         permissions = excluded.permissions, is_active = 1, joined_at = excluded.joined_at, \
         left_at = NULL RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(org_id.get())
    .bind(g.id.get())
    .bind(j.customer_id.get())
    .bind(i64::from(j.primary))
    .bind(Permission::join(&j.permissions))
    .bind(to_db(now))
    .fetch_one(&mut **tx)
    .await;
    match row {
        Ok(r) => Ok(member_from_row(r)?),
        // A customer made primary of another group at the same moment.
        Err(e) if is_unique_violation(&e) => Err(GroupError::PrimaryElsewhere.into()),
        Err(e) => Err(e.into()),
    }
}

/// Ends an active membership of a locked group; 1620 when there is none.
async fn remove_member(
    tx: &mut Unit,
    org_id: OrgId,
    g: &GroupRecord,
    customer: CustomerId,
    now: Timestamp,
) -> Result<MemberRecord> {
    let m = member_in(&mut **tx, org_id, g.id, customer)
        .await?
        .filter(|m| m.active)
        .ok_or(GroupError::NotInGroup {
            user: customer.get(),
            group: g.id.get(),
        })?;
    sqlx::query(
        "UPDATE user_group_members SET is_active = 0, left_at = $4 \
         WHERE org_id = $1 AND group_id = $2 AND customer_id = $3",
    )
    .bind(org_id.get())
    .bind(g.id.get())
    .bind(customer.get())
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE user_groups SET member_count = member_count - 1, updated_at = $3 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(g.id.get())
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(m)
}

pub struct GroupsRepo<'a>(&'a Db);

impl Db {
    pub fn groups(&self) -> GroupsRepo<'_> {
        GroupsRepo(self)
    }
}

impl GroupsRepo<'_> {
    /// Creates a group and opens its account in the org's default program (if the org has
    /// one), in one transaction (1633 when a live group has the external id).
    pub async fn create(
        &self,
        ctx: &LoyaltyContext,
        g: &NewGroup,
        created_by: Option<EntityId>,
        now: Timestamp,
    ) -> Result<GroupId> {
        let mut tx = self.0.begin().await?;
        let row: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO user_groups (org_id, external_id, name, max_size, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(ctx.org.id.get())
        .bind(&g.external_id)
        .bind(&g.name)
        .bind(i64::from(g.max_size))
        .bind(created_by.map(EntityId::get))
        .bind(to_db(now))
        .fetch_one(&mut *tx)
        .await;
        let id = match row {
            Ok((id,)) => GroupId::new(id),
            Err(e) if is_unique_violation(&e) => {
                return Err(GroupError::ExternalIdExists(g.external_id.clone()).into());
            }
            Err(e) => return Err(e.into()),
        };
        if let Ok(program) = ctx.program(None) {
            let group = EarningEntity::Group(id);
            open_account(&mut tx, ctx.org.id, group, program.id, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The group a selector names: by id in any status; by external id or primary member
    /// only a live one.
    pub async fn find(&self, org_id: OrgId, s: &GroupSelector) -> Result<Option<GroupRecord>> {
        let q = match s {
            GroupSelector::Id(_) => {
                format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE org_id = $1 AND id = $2")
            }
            GroupSelector::ExternalId(_) => format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups WHERE org_id = $1 \
                 AND external_id = $2 AND status <> 'DELETED'"
            ),
            GroupSelector::PrimaryUser(_) => format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups WHERE org_id = $1 AND status <> 'DELETED' \
                 AND id IN (SELECT group_id FROM user_group_members WHERE org_id = $1 \
                 AND customer_id = $2 AND is_primary = 1 AND is_active = 1)"
            ),
        };
        let query = sqlx::query(&q).bind(org_id.get());
        let query = match s {
            GroupSelector::Id(id) => query.bind(id.get()),
            GroupSelector::ExternalId(e) => query.bind(e.clone()),
            GroupSelector::PrimaryUser(c) => query.bind(c.get()),
        };
        let row = query.fetch_optional(self.0.reader()).await?;
        Ok(row.map(|r| group_from_row(&r)).transpose()?)
    }

    /// Renames or resizes a live group; a size below its active members is 1645.
    pub async fn update(
        &self,
        org_id: OrgId,
        id: GroupId,
        c: &GroupChange,
        now: Timestamp,
    ) -> Result<GroupRecord> {
        let mut tx = self.0.begin().await?;
        let g = lock_group(&mut tx, org_id, id).await?;
        let max_size = c.max_size.unwrap_or(g.max_size);
        if max_size < g.member_count {
            return Err(GroupError::DetailsInvalid(format!(
                "maxGroupSize {max_size} is below the group's {} members",
                g.member_count
            ))
            .into());
        }
        let row = sqlx::query(&format!(
            "UPDATE user_groups SET name = $3, max_size = $4, updated_at = $5 \
             WHERE org_id = $1 AND id = $2 RETURNING {GROUP_COLUMNS}"
        ))
        .bind(org_id.get())
        .bind(id.get())
        .bind(c.name.clone().unwrap_or(g.name))
        .bind(i64::from(max_size))
        .bind(to_db(now))
        .fetch_one(&mut *tx)
        .await?;
        let out = group_from_row(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    /// Marks a group deleted and ends its memberships; its ledger stays.
    pub async fn delete(&self, org_id: OrgId, id: GroupId, now: Timestamp) -> Result<()> {
        let mut tx = self.0.begin().await?;
        lock_group(&mut tx, org_id, id).await?;
        sqlx::query(
            "UPDATE user_groups SET status = 'DELETED', member_count = 0, updated_at = $3 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id.get())
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE user_group_members SET is_active = 0, left_at = $3 \
             WHERE org_id = $1 AND group_id = $2 AND is_active = 1",
        )
        .bind(org_id.get())
        .bind(id.get())
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds one member (see `add_member` for the refusals), in its own transaction.
    pub async fn join(
        &self,
        org_id: OrgId,
        id: GroupId,
        j: &Join,
        now: Timestamp,
    ) -> Result<MemberRecord> {
        // A refusal returns before the commit: the dropped unit rolls everything back.
        let mut tx = self.0.begin().await?;
        let g = lock_group(&mut tx, org_id, id).await?;
        let m = add_member(&mut tx, org_id, &g, j, now).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Ends a customer's membership (1620 when not an active member).
    pub async fn leave(
        &self,
        org_id: OrgId,
        id: GroupId,
        customer: CustomerId,
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.0.begin().await?;
        let g = lock_group(&mut tx, org_id, id).await?;
        remove_member(&mut tx, org_id, &g, customer, now).await?;
        Ok(tx.commit().await?)
    }

    /// Moves customers from one group to another, all or none: each must be an active,
    /// non-primary member of `from` (1620, 1624) and not yet of `to` (1623), and `to`
    /// must have room for all (1638). Both rows are locked in id order.
    pub async fn transfer(
        &self,
        org_id: OrgId,
        from: GroupId,
        to: GroupId,
        customers: &[CustomerId],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.0.begin().await?;
        transfer_tx(&mut tx, org_id, from, to, customers, now).await?;
        Ok(tx.commit().await?)
    }

    /// A group's members, active first, in joining order.
    pub async fn members(&self, org_id: OrgId, id: GroupId) -> Result<Vec<MemberRecord>> {
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {MEMBER_COLUMNS} FROM user_group_members WHERE org_id = $1 AND group_id = $2 \
             ORDER BY is_active DESC, joined_at, customer_id"
        ))
        .bind(org_id.get())
        .bind(id.get())
        .fetch_all(self.0.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(member_from_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The live groups a customer is an active member of, with the membership, by group id
    /// (the console's customer page).
    pub async fn groups_of(
        &self,
        org_id: OrgId,
        customer: CustomerId,
    ) -> Result<Vec<(GroupRecord, MemberRecord)>> {
        let mut out = Vec::new();
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups WHERE org_id = $1 AND status <> 'DELETED' \
             AND id IN (SELECT group_id FROM user_group_members WHERE org_id = $1 \
             AND customer_id = $2 AND is_active = 1) ORDER BY id"
        ))
        .bind(org_id.get())
        .bind(customer.get())
        .fetch_all(self.0.reader())
        .await?;
        for r in rows {
            let g = group_from_row(&r)?;
            if let Some(m) = member_in(self.0.reader(), org_id, g.id, customer).await? {
                out.push((g, m));
            }
        }
        Ok(out)
    }

    /// A customer's membership of a group, past or present.
    pub async fn member(
        &self,
        org_id: OrgId,
        id: GroupId,
        customer: CustomerId,
    ) -> Result<Option<MemberRecord>> {
        member_in(self.0.reader(), org_id, id, customer).await
    }
}

async fn transfer_tx(
    tx: &mut Unit,
    org_id: OrgId,
    from: GroupId,
    to: GroupId,
    customers: &[CustomerId],
    now: Timestamp,
) -> Result<()> {
    if from == to {
        return Err(
            GroupError::DetailsInvalid("leaveGroupId and joinGroupId are the same".into()).into(),
        );
    }
    let (first, second) = if from < to { (from, to) } else { (to, from) };
    let a = lock_group(tx, org_id, first).await?;
    let b = lock_group(tx, org_id, second).await?;
    let (source, target) = if from < to { (a, b) } else { (b, a) };
    for c in customers {
        let m = member_in(&mut **tx, org_id, source.id, *c)
            .await?
            .filter(|m| m.active)
            .ok_or(GroupError::NotInGroup {
                user: c.get(),
                group: source.id.get(),
            })?;
        if m.primary {
            return Err(GroupError::PrimaryCannotTransfer(c.get()).into());
        }
        if member_in(&mut **tx, org_id, target.id, *c)
            .await?
            .is_some_and(|m| m.active)
        {
            return Err(GroupError::AlreadyInGroup {
                user: c.get(),
                group: target.id.get(),
            }
            .into());
        }
        remove_member(tx, org_id, &source, *c, now).await?;
        let j = Join {
            customer_id: *c,
            primary: false,
            permissions: m.permissions.clone(),
        };
        add_member(tx, org_id, &target, &j, now).await?;
    }
    Ok(())
}
