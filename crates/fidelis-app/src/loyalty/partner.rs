//! Partner and supplementary programs (spec §8): link, tier update and delink of one
//! customer's membership, the memberships a customer read shows, and the activity history.
//! A batch runs one operation per program; one failing does not undo the others.

use fidelis_domain::customers::{CustomerError, CustomerId, LoyaltyType};
use fidelis_domain::loyalty::partner::{
    check_history_range, check_program_count, ActivityEntry, HistoryActivityType, LinkRequest,
    Membership, PartnerProgram, PartnerProgramId, PartnerUpdateType,
};
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_store::customers::CustomerRecord;
use jiff::civil::Date;
use jiff::Timestamp;

use super::{Ctx, Ident, Loyalty, V1Identifiers};
use crate::AppError;

/// Customers per partner-program batch (1060 beyond it), as for the other v2 batch APIs.
pub const MAX_PARTNER_CUSTOMERS: usize = 100;

/// Refuses a partner batch of more than `MAX_PARTNER_CUSTOMERS` customers.
pub fn check_partner_batch(customers: usize) -> Result<(), AppError> {
    if customers > MAX_PARTNER_CUSTOMERS {
        return Err(LoyaltyError::CustomerBatchLimit(MAX_PARTNER_CUSTOMERS).into());
    }
    Ok(())
}

/// One program operation of a batch item, naming its program by name.
#[derive(Debug, Clone)]
pub enum PartnerOp {
    Link {
        program: Option<String>,
        /// `None` when the item sent no `customerPartnerReference`.
        request: Option<LinkRequest>,
    },
    Update {
        program: Option<String>,
        kind: PartnerUpdateType,
        tier: Option<String>,
        expiry: Option<Date>,
    },
    Delink {
        program: Option<String>,
    },
}

/// The named partner program (2002 when no name is given, 2006 when unknown).
fn program<'a>(ctx: &'a Ctx, name: Option<&str>) -> Result<&'a PartnerProgram, AppError> {
    let name = name.ok_or(LoyaltyError::PartnerFieldMissing("partnerProgramName"))?;
    Ok(PartnerProgram::find(&ctx.loyalty.partner_programs, name)?)
}

/// A customer's membership of one partner program.
#[derive(Debug, Clone)]
pub struct LinkedProgram {
    pub program: PartnerProgram,
    pub membership: Membership,
}

/// What the activity history asks for.
#[derive(Debug, Clone)]
pub struct HistoryRequest {
    pub customer: Ident,
    pub partner_program_id: Option<String>,
    pub activity_type: Option<String>,
    /// The window; `None` for the whole history.
    pub range: Option<(Timestamp, Timestamp)>,
}

/// A membership with the customer's activities in it.
#[derive(Debug, Clone)]
pub struct PartnerHistory {
    pub linked: LinkedProgram,
    pub active: bool,
    pub activities: Vec<ActivityEntry>,
}

impl Loyalty<'_> {
    /// The customer of a batch item, after the item-level checks (at least one program, at
    /// most the documented number).
    pub async fn partner_customer(
        &self,
        ctx: &Ctx,
        ids: &V1Identifiers,
        programs: usize,
    ) -> Result<CustomerRecord, AppError> {
        if programs == 0 {
            return Err(LoyaltyError::InvalidInput(
                "each customer must list at least one partner program".into(),
            )
            .into());
        }
        check_program_count(programs)?;
        let c = self.find_v1_customer(ctx, ids).await?;
        Ok(self
            .app
            .db
            .customers()
            .get(ctx.loyalty.org.id, c.id)
            .await?
            .ok_or(CustomerError::NotFound)?)
    }

    /// Applies one program operation to a customer's membership.
    pub async fn apply_partner_op(
        &self,
        ctx: &Ctx,
        c: &CustomerRecord,
        op: &PartnerOp,
    ) -> Result<(), AppError> {
        let repo = self.app.db.loyalty();
        let org = &ctx.loyalty.org;
        let now = self.app.now();
        match op {
            PartnerOp::Link {
                program: name,
                request,
            } => {
                let program = program(ctx, name.as_deref())?;
                let req = request.as_ref().ok_or(LoyaltyError::PartnerFieldMissing(
                    "customerPartnerReference",
                ))?;
                let enrolled = c.loyalty_type == LoyaltyType::Loyalty;
                repo.link_partner(org, c.id, program, enrolled, req, now)
                    .await?;
            }
            PartnerOp::Update {
                program: name,
                kind,
                tier,
                expiry,
            } => {
                let program = program(ctx, name.as_deref())?;
                if tier.is_none() && program.tier_based() && *kind != PartnerUpdateType::Renew {
                    return Err(LoyaltyError::PartnerFieldMissing("updatedTierName").into());
                }
                repo.update_partner(org, c.id, program, *kind, tier.as_deref(), *expiry, now)
                    .await?;
            }
            PartnerOp::Delink { program: name } => {
                let program = program(ctx, name.as_deref())?;
                repo.delink_partner(org.id, c.id, program.id, now).await?;
            }
        }
        Ok(())
    }

    /// The partner memberships current now (ended ones are not shown, as in Member Care).
    pub async fn linked_programs(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
    ) -> Result<Vec<LinkedProgram>, AppError> {
        let now = self.app.now();
        let memberships = self
            .app
            .db
            .loyalty()
            .partner_memberships(ctx.loyalty.org.id, customer_id)
            .await?;
        Ok(memberships
            .into_iter()
            .filter(|m| m.is_current(now))
            .filter_map(|m| {
                let p = ctx
                    .loyalty
                    .partner_programs
                    .iter()
                    .find(|p| p.id == m.partner_program_id)?;
                Some(LinkedProgram {
                    program: p.clone(),
                    membership: m,
                })
            })
            .collect())
    }

    /// The membership details and the customer's activities in one partner program.
    pub async fn partner_history(
        &self,
        ctx: &Ctx,
        q: &HistoryRequest,
    ) -> Result<PartnerHistory, AppError> {
        let now = self.app.now();
        let kind = match q.activity_type.as_deref().map(str::trim) {
            None | Some("") => HistoryActivityType::LinkingUpdates,
            Some(s) => HistoryActivityType::parse(s)?,
        };
        if let Some((start, end)) = q.range {
            check_history_range(start, end, ctx.tz())?;
        }
        let program_id = q
            .partner_program_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(LoyaltyError::PartnerFieldMissing("partnerProgramId"))?
            .parse::<PartnerProgramId>()
            .map_err(|_| LoyaltyError::PartnerProgramNotFound)?;
        let program = ctx
            .loyalty
            .partner_programs
            .iter()
            .find(|p| p.id == program_id)
            .ok_or(LoyaltyError::PartnerProgramNotFound)?;
        kind.check_for(program)?;
        let c = self.find_customer(ctx, &q.customer).await?;
        let repo = self.app.db.loyalty();
        let org = ctx.loyalty.org.id;
        let m = repo
            .partner_membership(org, c.id, program.id)
            .await?
            .ok_or(LoyaltyError::PartnerActivityNotFound)?;
        // Fidelis records no partner benefits yet, so a benefits history is empty.
        let activities = match kind {
            HistoryActivityType::LinkingUpdates => {
                let (from, to) = q.range.unzip();
                repo.partner_activities(org, c.id, program.id, from, to)
                    .await?
            }
            HistoryActivityType::BenefitsAvailed => Vec::new(),
        };
        Ok(PartnerHistory {
            active: m.is_current(now),
            linked: LinkedProgram {
                program: program.clone(),
                membership: m,
            },
            activities,
        })
    }
}
