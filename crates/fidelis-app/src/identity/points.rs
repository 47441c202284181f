//! Validation codes for v1.1 points redemption: `GET /v1.1/points/validationcode` sends
//! one to the customer, `POST /v1.1/points/redeem` spends it. The code's subject is the
//! customer and it is bound to the points it was issued for; every failure is 808.

use fidelis_domain::identity::otp::OtpPurpose;
use fidelis_domain::identity::{PointsValidation, SignInId};
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_domain::org::Org;
use fidelis_store::identity::{IdentitySettings, OtpRecord};
use rust_decimal::Decimal;

use super::otp::{CodeCheck, CodeFor};
use super::Identity;
use crate::AppError;

/// A right validation code, not spent yet.
#[derive(Debug)]
pub struct PointsCode {
    otp: OtpRecord,
    settings: IdentitySettings,
}

fn subject(customer_id: i64) -> String {
    format!("customer:{customer_id}")
}

fn binding(points: Decimal) -> String {
    points.normalize().to_string()
}

impl Identity<'_> {
    /// Whether the org requires a code on every points redemption.
    pub async fn points_validation(&self, org: &Org) -> Result<PointsValidation, AppError> {
        Ok(self.settings(org).await?.otp.points_validation)
    }

    /// Sends the customer a code for redeeming `points`: by email when they were named by
    /// email, else to their mobile (email when they have none). Returns where it went.
    pub async fn send_points_code(
        &self,
        org: &Org,
        customer_id: i64,
        by_email: bool,
        points: Decimal,
        ip: &str,
    ) -> Result<SignInId, AppError> {
        let record = self
            .app
            .db
            .customers()
            .get(
                org.id,
                fidelis_domain::customers::CustomerId::new(customer_id),
            )
            .await?
            .ok_or(LoyaltyError::ValidationCodeNotIssued)?;
        let first = |kind: &str| {
            record
                .profiles
                .iter()
                .flat_map(|p| p.identifiers.iter())
                .find(|i| i.kind == kind && !i.value.is_empty())
                .map(|i| i.value.clone())
        };
        let mobile = first("mobile").map(SignInId::Mobile);
        let email = first("email").map(SignInId::Email);
        let who = if by_email {
            email.or(mobile)
        } else {
            mobile.or(email)
        }
        .ok_or(LoyaltyError::ValidationCodeNotIssued)?;
        let settings = self.settings(org).await?;
        let subject = subject(customer_id);
        let binding = binding(points);
        let mut unit = self.app.db.unit().await?;
        self.send_code_in(
            &mut unit,
            org,
            &settings,
            CodeFor {
                purpose: OtpPurpose::Points,
                subject: &subject,
                binding: &binding,
            },
            &who,
            ip,
        )
        .await?;
        unit.commit().await?;
        Ok(who)
    }

    /// Checks the code presented for redeeming `points` (808 when absent, wrong, spent,
    /// superseded, expired, for other points, or out of tries; a wrong one costs a try).
    pub async fn check_points_code(
        &self,
        org: &Org,
        customer_id: i64,
        points: Decimal,
        code: Option<&str>,
    ) -> Result<PointsCode, AppError> {
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        let Some(code) = code else {
            return Err(LoyaltyError::ValidationCodeInvalid.into());
        };
        let settings = self.settings(org).await?;
        let subject = subject(customer_id);
        let binding = binding(points);
        let for_ = CodeFor {
            purpose: OtpPurpose::Points,
            subject: &subject,
            binding: &binding,
        };
        match self.check_code(org, &settings, for_, code).await? {
            CodeCheck::Right(otp) => Ok(PointsCode { otp, settings }),
            _ => Err(LoyaltyError::ValidationCodeInvalid.into()),
        }
    }

    /// Spends a right code once (808 when another request spent it first).
    pub async fn spend_points_code(&self, org: &Org, code: &PointsCode) -> Result<(), AppError> {
        let mut unit = self.app.db.unit().await?;
        if !self
            .spend_code_in(&mut unit, org, &code.settings, &code.otp)
            .await?
        {
            return Err(LoyaltyError::ValidationCodeInvalid.into());
        }
        unit.commit().await?;
        Ok(())
    }
}
