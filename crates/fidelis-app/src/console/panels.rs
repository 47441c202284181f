//! The customer page's panels beyond the profile: the partner programs the customer is
//! linked to with their activity, cards, coupons, user groups, recent transactions and
//! goodwill requests. Each is read through the owning context's queries.

use fidelis_domain::customers::IdentifierType;
use fidelis_domain::loyalty::partner::ActivityEntry;
use fidelis_domain::loyalty::EarningEntity;
use fidelis_store::groups::{GroupRecord, MemberRecord};
use fidelis_store::incentives::{CouponFilter, CouponRecord, SeriesRecord};
use fidelis_store::loyalty::{BillFilter, BillRecord, CardRecord, GoodwillRecord};

use super::Console;
use crate::customers::CustomerView;
use crate::loyalty::{CardRef, LinkedProgram};
use crate::{AppError, Caller};

/// Transactions the page lists (newest first).
pub const MAX_TRANSACTIONS: u32 = 20;
/// Coupons the page lists.
pub const MAX_COUPONS: usize = 50;

/// A current partner membership with its whole activity history, oldest first.
#[derive(Debug, Clone)]
pub struct PartnerPanel {
    pub linked: LinkedProgram,
    /// Linked and not past its expiry now.
    pub active: bool,
    pub activities: Vec<ActivityEntry>,
}

/// What the single view shows besides profile, programs and interactions.
#[derive(Debug, Clone, Default)]
pub struct Panels {
    pub partners: Vec<PartnerPanel>,
    pub cards: Vec<CardRecord>,
    pub coupons: Vec<(CouponRecord, SeriesRecord)>,
    pub groups: Vec<(GroupRecord, MemberRecord)>,
    pub transactions: Vec<BillRecord>,
    pub goodwill: Vec<GoodwillRecord>,
}

impl Console<'_> {
    pub(super) async fn panels(
        &self,
        caller: &Caller,
        view: &CustomerView,
    ) -> Result<Panels, AppError> {
        let id = view.customer.id;
        let loyalty = self.app.loyalty();
        let lctx = loyalty.context(caller).await?;
        let org = lctx.loyalty.org.id;
        let repo = self.app.db.loyalty();

        let mut partners = Vec::new();
        for linked in loyalty.linked_programs(&lctx, id).await? {
            let activities = repo
                .partner_activities(org, id, linked.program.id, None, None)
                .await?;
            let active = linked.membership.is_current(self.app.now());
            partners.push(PartnerPanel {
                linked,
                active,
                activities,
            });
        }

        // The customer's cards are their `cardnumber` identifiers the org knows as cards
        // (another issuer's card numbers stay plain identifiers).
        let mut cards = Vec::new();
        let numbers = view
            .customer
            .profiles
            .iter()
            .flat_map(|p| p.identifiers.iter())
            .filter(|i| i.kind == IdentifierType::CardNumber.as_str());
        for n in numbers {
            let card = CardRef {
                number: Some(&n.value),
                external_id: None,
            };
            match loyalty.card(&lctx, card).await {
                Ok(c) if !cards.iter().any(|k: &CardRecord| k.id == c.id) => cards.push(c),
                Ok(_) => {}
                Err(e) if e.is_internal() => return Err(e),
                Err(_) => {}
            }
        }

        let ictx = self.app.incentives().context(caller).await?;
        let filter = CouponFilter {
            customers: vec![id],
            ..Default::default()
        };
        let mut coupons = self.app.incentives().coupons(&ictx, &filter).await?;
        coupons.truncate(MAX_COUPONS);

        let groups = self.app.db.groups().groups_of(org, id).await?;
        let bills = BillFilter {
            limit: MAX_TRANSACTIONS,
            ..Default::default()
        };
        let transactions = repo
            .earner_bills(org, EarningEntity::Customer(id), &bills)
            .await?;
        let goodwill = loyalty.goodwill_requests(&lctx, id).await?;
        Ok(Panels {
            partners,
            cards,
            coupons,
            groups,
            transactions,
            goodwill,
        })
    }
}
