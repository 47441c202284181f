//! `loyaltyProgramEnrollments` on customer registration and update: each request enrols
//! the customer with a starting tier and points. A refusal is the caller's to report (the
//! customer is saved either way); a refused enrolment can be sent again corrected.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::enrolment::{plan, EnrolmentRequest};

use fidelis_store::Unit;

use super::{Ctx, Loyalty};
use crate::AppError;

impl Loyalty<'_> {
    /// Enrols a customer in a program with the requested starting tier and points, in `unit`
    /// (with the customer's registration or update).
    pub async fn enrol(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        customer_id: CustomerId,
        req: &EnrolmentRequest,
    ) -> Result<(), AppError> {
        let program = ctx.loyalty.program(Some(req.program_id))?;
        let e = plan(program, req, self.app.now(), ctx.tz())?;
        let repo = self.app.db.loyalty();
        let (actor, now) = (ctx.actor(), self.app.now());
        repo.enrol_in(unit, &ctx.loyalty, customer_id, &e, &actor, now)
            .await?;
        Ok(())
    }
}
