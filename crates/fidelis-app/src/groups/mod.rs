//! The groups context (userGroup2): create, read, update and delete groups, their
//! members (join, leave, transfer), and the group's loyalty: the group is an earning entity
//! of the ledger, so its points, expiry schedule, expired points and tier are the loyalty
//! context's reads for `EarningEntity::Group`, and its bills are the transactions recorded
//! for it (`Loyalty::record_transaction` with `BillInput::group`).
//!
//! Operations take the loyalty `Ctx` (`app.loyalty().context(&caller)`): the org's programs
//! and the caller.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::groups::{
    GroupChange, GroupError, GroupId, GroupSelector, GroupStatus, Join, NewGroup, Page,
};
use fidelis_domain::loyalty::goodwill::GoodwillBaseType;
use fidelis_domain::loyalty::ledger::{ExpiryScheduleItem, LedgerEntry};
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, ProgramId};
use fidelis_domain::org::Entity;
use fidelis_store::groups::{GroupRecord, MemberRecord};
use fidelis_store::loyalty::{BillFilter, BillPoints, BillRecord, GoodwillRecord};

use crate::loyalty::{new_goodwill, Ctx, GoodwillInput, Ident, ProgramSummary};
use crate::{App, AppError};

/// How a transaction names the group it is made for.
#[derive(Debug, Clone)]
pub enum GroupRef {
    /// `userGroup2Id`, `userGroup2ExternalId` or `userGroup2PrimaryUserId`.
    Selector(GroupSelector),
    /// The bulk API's `userGroup2PrimaryUserIdentifierType/Value/Source/AccountId`.
    PrimaryUser(Ident),
}

/// A group with its members and its standing in each program.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: GroupRecord,
    pub members: Vec<MemberRecord>,
    pub summaries: Vec<ProgramSummary>,
    pub expiry_schedule: Vec<(ProgramId, ExpiryScheduleItem)>,
    pub expired: Vec<(ProgramId, LedgerEntry)>,
}

/// One of the group's transactions: the bill, what became of its points, its store.
#[derive(Debug, Clone)]
pub struct GroupTransaction {
    pub bill: BillRecord,
    pub points: BillPoints,
    pub store: Option<Entity>,
}

/// The groups operations of an `App`.
pub struct Groups<'a> {
    app: &'a App,
}

impl App {
    pub fn groups(&self) -> Groups<'_> {
        Groups { app: self }
    }
}

impl Groups<'_> {
    /// Creates a group, enrolled in the org's default program at once.
    pub async fn create(&self, ctx: &Ctx, g: &NewGroup) -> Result<GroupId, AppError> {
        let created_by = ctx.caller.till_id.or(ctx.caller.store_id);
        Ok(self
            .app
            .db
            .groups()
            .create(&ctx.loyalty, g, created_by, self.app.now())
            .await?)
    }

    /// The group a selector names: 1619 for an unknown id, 1632 for an unknown external id
    /// or primary member.
    pub async fn group(&self, ctx: &Ctx, s: &GroupSelector) -> Result<GroupRecord, AppError> {
        self.app
            .db
            .groups()
            .find(ctx.loyalty.org.id, s)
            .await?
            .ok_or_else(|| match s {
                GroupSelector::Id(id) => GroupError::InvalidGroupId(id.to_string()).into(),
                other => GroupError::GroupNotFound(other.describe()).into(),
            })
    }

    /// `group`, refusing deleted groups (1619).
    async fn live_group(&self, ctx: &Ctx, s: &GroupSelector) -> Result<GroupRecord, AppError> {
        let g = self.group(ctx, s).await?;
        if g.status == GroupStatus::Deleted {
            return Err(GroupError::InvalidGroupId(g.id.to_string()).into());
        }
        Ok(g)
    }

    /// A group with its members and loyalty: every program summary, and the expiry
    /// schedule and expired points when asked.
    pub async fn view(
        &self,
        ctx: &Ctx,
        s: &GroupSelector,
        expiry_schedule: bool,
        expired: bool,
    ) -> Result<GroupView, AppError> {
        let group = self.group(ctx, s).await?;
        let entity = EarningEntity::Group(group.id);
        let loyalty = self.app.loyalty();
        let programs = ctx.member_programs();
        Ok(GroupView {
            members: self
                .app
                .db
                .groups()
                .members(ctx.loyalty.org.id, group.id)
                .await?,
            summaries: loyalty.program_summaries(ctx, entity).await?,
            expiry_schedule: if expiry_schedule {
                loyalty
                    .expiry_schedule(ctx, entity, &programs, None, None)
                    .await?
            } else {
                Vec::new()
            },
            expired: if expired {
                loyalty.expired_points(ctx, entity, &programs).await?
            } else {
                Vec::new()
            },
            group,
        })
    }

    pub async fn update(
        &self,
        ctx: &Ctx,
        s: &GroupSelector,
        c: &GroupChange,
    ) -> Result<GroupRecord, AppError> {
        let g = self.live_group(ctx, s).await?;
        Ok(self
            .app
            .db
            .groups()
            .update(ctx.loyalty.org.id, g.id, c, self.app.now())
            .await?)
    }

    pub async fn delete(&self, ctx: &Ctx, s: &GroupSelector) -> Result<(), AppError> {
        let g = self.live_group(ctx, s).await?;
        Ok(self
            .app
            .db
            .groups()
            .delete(ctx.loyalty.org.id, g.id, self.app.now())
            .await?)
    }

    /// Adds members one by one; each succeeds or fails on its own (the customer must
    /// exist: 8015). The group must exist and be live (1619/1632 for the request).
    pub async fn join(
        &self,
        ctx: &Ctx,
        s: &GroupSelector,
        items: Vec<Join>,
    ) -> Result<(GroupRecord, Vec<Result<MemberRecord, AppError>>), AppError> {
        let g = self.live_group(ctx, s).await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.join_one(ctx, g.id, item).await);
        }
        Ok((g, out))
    }

    async fn join_one(&self, ctx: &Ctx, group: GroupId, j: Join) -> Result<MemberRecord, AppError> {
        self.app
            .loyalty()
            .customer_by_id(ctx, j.customer_id)
            .await
            .map_err(|e| match e {
                AppError::Customers(_) => GroupError::CustomerNotFound.into(),
                e => e,
            })?;
        Ok(self
            .app
            .db
            .groups()
            .join(ctx.loyalty.org.id, group, &j, self.app.now())
            .await?)
    }

    /// Ends the membership of the customer `who` names (8015 unknown, 1620 not a member).
    pub async fn leave(&self, ctx: &Ctx, group: GroupId, who: &Ident) -> Result<(), AppError> {
        let g = self.live_group(ctx, &GroupSelector::Id(group)).await?;
        let c = self.app.loyalty().find_customer(ctx, who).await?;
        Ok(self
            .app
            .db
            .groups()
            .leave(ctx.loyalty.org.id, g.id, c.id, self.app.now())
            .await?)
    }

    /// Moves members between groups, all or none.
    pub async fn transfer(
        &self,
        ctx: &Ctx,
        from: GroupId,
        to: GroupId,
        customers: &[CustomerId],
    ) -> Result<(), AppError> {
        if customers.is_empty() {
            return Err(GroupError::FieldMandatory("userIds").into());
        }
        let from = self.live_group(ctx, &GroupSelector::Id(from)).await?;
        let to = self.live_group(ctx, &GroupSelector::Id(to)).await?;
        Ok(self
            .app
            .db
            .groups()
            .transfer(
                ctx.loyalty.org.id,
                from.id,
                to.id,
                customers,
                self.app.now(),
            )
            .await?)
    }

    /// Files a goodwill request for a group's points (`POST /v2/requests` with
    /// `earningEntityType: USERGROUP2`): the same maker/checker rules and auto-approval
    /// cap as a customer's, credited to the group. An unknown or deleted group is 93026.
    pub async fn submit_goodwill(
        &self,
        ctx: &Ctx,
        group: &GroupSelector,
        input: &GoodwillInput,
    ) -> Result<GoodwillRecord, AppError> {
        let g = new_goodwill(ctx, input)?;
        if g.request.base_type == GoodwillBaseType::Coupon {
            // Coupons are issued to customers; a group earns points only.
            return Err(LoyaltyError::InvalidBaseType("COUPON for a group".into()).into());
        }
        let found = match self.live_group(ctx, group).await {
            Ok(found) => found,
            Err(AppError::Groups(_)) => {
                return Err(GroupError::RequestGroupInvalid(group.describe()).into())
            }
            Err(e) => return Err(e),
        };
        Ok(self
            .app
            .db
            .loyalty()
            .submit_goodwill_as(&ctx.loyalty, &g, found.id.into(), self.app.now())
            .await?)
    }

    /// The group a transaction is made for, with its customer an active member of it
    /// (1620 otherwise).
    pub async fn bill_group(
        &self,
        ctx: &Ctx,
        r: &GroupRef,
        customer: CustomerId,
    ) -> Result<GroupId, AppError> {
        let selector = match r {
            GroupRef::Selector(s) => s.clone(),
            GroupRef::PrimaryUser(who) => {
                let primary = self.app.loyalty().find_customer(ctx, who).await?;
                GroupSelector::PrimaryUser(primary.id)
            }
        };
        let g = self.live_group(ctx, &selector).await?;
        let member = self
            .app
            .db
            .groups()
            .member(ctx.loyalty.org.id, g.id, customer)
            .await?;
        if !member.is_some_and(|m| m.active) {
            return Err(GroupError::NotInGroup {
                user: customer.get(),
                group: g.id.get(),
            }
            .into());
        }
        Ok(g.id)
    }

    /// The transactions made as part of the group (never its members' own) that match
    /// `filter`, on the page `offset`/`limit` name (`Page`), with what became of each
    /// bill's points, and the group's primary member.
    pub async fn transactions(
        &self,
        ctx: &Ctx,
        r: &GroupRef,
        mut filter: BillFilter,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<(GroupRecord, Option<CustomerId>, Vec<GroupTransaction>), AppError> {
        let selector = match r {
            GroupRef::Selector(s) => s.clone(),
            GroupRef::PrimaryUser(who) => {
                let primary = self.app.loyalty().find_customer(ctx, who).await?;
                GroupSelector::PrimaryUser(primary.id)
            }
        };
        let g = self.group(ctx, &selector).await?;
        let page = Page::new(offset, limit);
        filter.offset = page.offset;
        filter.limit = page.limit;
        let org = ctx.loyalty.org.id;
        let repo = self.app.db.loyalty();
        let bills = repo
            .earner_bills(org, EarningEntity::Group(g.id), &filter)
            .await?;
        let mut out = Vec::with_capacity(bills.len());
        for bill in bills {
            let store = match bill.store_id {
                Some(id) => self.app.db.orgs().entity(org, id).await?,
                None => None,
            };
            out.push(GroupTransaction {
                points: repo.bill_points(org, &bill).await?,
                bill,
                store,
            });
        }
        let primary = self
            .app
            .db
            .groups()
            .members(org, g.id)
            .await?
            .into_iter()
            .find(|m| m.active && m.primary)
            .map(|m| m.customer_id);
        Ok((g, primary, out))
    }
}
