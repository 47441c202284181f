//! `loyaltyProgramEnrollments` on customer registration and update: each request enrols
//! the customer with a starting tier and points. A refusal is the caller's to report (the
//! customer is saved either way); a refused enrolment can be sent again corrected.

use fidelis_domain::loyalty::enrolment::{plan, EnrolmentRequest};

use super::Ctx;
use crate::{App, AppError};

/// Enrols a customer in a program with the requested starting tier and points.
pub async fn enrol(
    app: &App,
    ctx: &Ctx,
    customer_id: i64,
    req: &EnrolmentRequest,
) -> Result<(), AppError> {
    let program = ctx.loyalty.program(Some(req.program_id))?;
    let e = plan(program, req, app.now(), ctx.tz())?;
    app.db
        .loyalty()
        .enrol(&ctx.loyalty, customer_id, &e, &ctx.actor(), app.now())
        .await?;
    Ok(())
}
