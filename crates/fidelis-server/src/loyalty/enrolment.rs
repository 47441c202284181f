//! `loyaltyProgramEnrollments` on customer registration and update: each element enrols
//! the customer with a starting tier and points, or comes back as a warning. The customer
//! is saved either way; a refused enrolment can be sent again with a corrected element.

use fidelis_domain::loyalty::enrolment::EnrolmentRequest;
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::Ctx;
use crate::ApiError;

/// One `loyaltyProgramEnrollments[]` element as sent; numbers may come as strings.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentBody {
    pub program_id: Option<Value>,
    pub tier_number: Option<Value>,
    pub loyalty_points: Option<Value>,
    pub tier_expiry_date: Option<String>,
    pub points_expiry_date: Option<String>,
}

fn number(field: &str, v: &Option<Value>) -> Result<Option<Decimal>, ApiError> {
    let bad = || ApiError::invalid(format!("Invalid {field} in loyaltyProgramEnrollments"));
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.to_string().parse().map(Some).map_err(|_| bad()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

fn whole<T: TryFrom<i64>>(field: &str, v: &Option<Value>) -> Result<Option<T>, ApiError> {
    let bad = || ApiError::invalid(format!("Invalid {field} in loyaltyProgramEnrollments"));
    match number(field, v)? {
        None => Ok(None),
        Some(d) if d.fract().is_zero() => i64::try_from(d)
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

impl EnrolmentBody {
    fn request(&self, ctx: &Ctx) -> Result<EnrolmentRequest, ApiError> {
        let tz = ctx.tz();
        Ok(EnrolmentRequest {
            program_id: whole("programId", &self.program_id)?
                .map(ProgramId::new)
                .ok_or(LoyaltyError::ProgramNotFound)?,
            tier_number: whole("tierNumber", &self.tier_number)?,
            points: number("loyaltyPoints", &self.loyalty_points)?,
            tier_expiry: super::dates::parse(
                "tierExpiryDate",
                self.tier_expiry_date.as_deref(),
                tz,
            )?,
            points_expiry: super::dates::parse(
                "pointsExpiryDate",
                self.points_expiry_date.as_deref(),
                tz,
            )?,
        })
    }
}

/// The elements as enrolment requests, and the refusals of those that do not parse as
/// warnings (code, message).
pub fn requests(
    ctx: &Ctx,
    bodies: &[EnrolmentBody],
) -> (Vec<EnrolmentRequest>, Vec<(u32, String)>) {
    let mut refused = Vec::new();
    let requests = bodies
        .iter()
        .filter_map(|b| match b.request(ctx) {
            Ok(r) => Some(r),
            Err(e) => {
                refused.extend(e.items.into_iter().map(|i| (i.code, i.message)));
                None
            }
        })
        .collect();
    (requests, refused)
}
