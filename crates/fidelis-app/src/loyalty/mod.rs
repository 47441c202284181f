//! The loyalty context: transactions, points, tiers, goodwill, cards and partner programs.
//!
//! Every operation goes through [`Loyalty`] (`app.loyalty()`) and takes a [`Ctx`]: the
//! org's loyalty configuration and the caller, loaded once per request
//! (`app.loyalty().context(&caller)`).

mod cards;
mod customer;
mod enrolment;
mod goodwill;
mod partner;
mod points;
mod transactions;

use fidelis_domain::loyalty::ledger::{Actor, ActorKind};
use fidelis_domain::loyalty::{Program, ProgramId, ProgramKind};
use fidelis_store::loyalty::LoyaltyContext;

pub use cards::*;
pub use customer::{Customer, Ident, V1Identifiers};
pub(crate) use goodwill::new_goodwill;
pub use goodwill::*;
pub use partner::*;
pub use points::*;
pub use transactions::*;

use crate::{App, AppError, Caller};

/// What every loyalty operation needs: the org's loyalty configuration and who calls.
pub struct Ctx {
    pub loyalty: LoyaltyContext,
    pub caller: Caller,
}

/// The loyalty operations of an `App`.
pub struct Loyalty<'a> {
    app: &'a App,
}

impl App {
    pub fn loyalty(&self) -> Loyalty<'_> {
        Loyalty { app: self }
    }
}

impl Loyalty<'_> {
    /// The loyalty context of `caller`'s org.
    pub async fn context(&self, caller: &Caller) -> Result<Ctx, AppError> {
        let loyalty = self.app.config(caller).await?.loyalty.clone();
        Ok(Ctx {
            loyalty,
            caller: caller.clone(),
        })
    }
}

impl Ctx {
    /// The ledger actor: the till, or the API client.
    pub fn actor(&self) -> Actor {
        let kind = if self.caller.till_id.is_some() && self.caller.client_id.is_none() {
            ActorKind::Till
        } else {
            ActorKind::ApiClient
        };
        Actor {
            kind,
            id: Some(self.caller.name()),
        }
    }

    /// A maker/checker name for goodwill requests.
    pub fn user(&self) -> String {
        self.caller.name()
    }

    /// The named program (default when `None`); 1101 when the org has no such program.
    pub fn program_id(&self, id: Option<ProgramId>) -> Result<ProgramId, AppError> {
        Ok(self.loyalty.program(id)?.id)
    }

    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.loyalty.org.time_zone
    }

    /// The programs a customer's loyalty details list: the org's own (non-partner) ones.
    pub fn member_programs(&self) -> Vec<&Program> {
        self.loyalty
            .programs
            .iter()
            .filter(|p| p.kind == ProgramKind::Default)
            .collect()
    }
}
