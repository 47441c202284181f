//! One-time codes for customer sign-in: six digits from the OS's CSPRNG, stored as an
//! HMAC under the org's OTP key, sent through the comms outbox in the same unit of work
//! that records the send, and checked with a bounded number of tries.

use fidelis_domain::comms::{EmailDraft, SmsDraft};
use fidelis_domain::identity::{otp_code, otp_hmac, otp_matches, IdentityError, SignInId};
use fidelis_domain::org::{Org, Permissions};
use fidelis_store::identity::{IdentitySettings, NewOtp};
use rand::Rng;

use super::{hex_id, Identity, Started};
use crate::{AppError, Caller};

/// Where a code was sent, partly hidden (`+65••••1001`, `a•••@example.com`).
pub fn masked(id: &SignInId) -> String {
    match id {
        SignInId::Mobile(m) => {
            let tail: String = m
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("••••{tail}")
        }
        SignInId::Email(e) => match e.split_once('@') {
            Some((user, domain)) => {
                format!("{}•••@{domain}", user.chars().next().unwrap_or('•'))
            }
            None => "•••".into(),
        },
    }
}

impl Identity<'_> {
    async fn settings(&self, org: &Org) -> Result<IdentitySettings, AppError> {
        Ok(self
            .app
            .db
            .identity()
            .settings(org.id)
            .await?
            .ok_or_else(|| IdentityError::Corrupt("the org has no identity settings".into()))?)
    }

    /// Sends a code to the customer with identifier `raw` for the pending request `s`,
    /// within the org's limits. Returns where it went (masked).
    pub async fn send_otp(
        &self,
        org: &Org,
        s: &Started,
        raw: &str,
        ip: &str,
    ) -> Result<String, AppError> {
        let who = SignInId::parse(raw, &org.country)?;
        let lookup = crate::customers::Lookup {
            source: Some("ALL".into()),
            identifier_name: Some(who.kind().into()),
            identifier_value: Some(who.value().into()),
            ..Default::default()
        };
        let customer = match crate::customers::resolve_brief(self.app, org, &lookup).await {
            Ok(c) => c,
            Err(e) if e.is_internal() => return Err(e),
            Err(_) => return Err(IdentityError::NotRegistered.into()),
        };
        let settings = self.settings(org).await?;
        let now = self.app.now();
        let code = otp_code(rand::rngs::OsRng.gen_range(0..1_000_000));
        let txn = &s.request.id;
        let hmac = otp_hmac(&settings.otp_key, org.id.get(), who.value(), txn, &code);
        let repo = self.app.db.identity();
        let comms = self.app.comms();
        let ctx = comms.context(&org_caller(org)).await?;
        let minutes = settings.otp.ttl_seconds / 60;
        let body = format!(
            "{code} is your {} sign-in code. It expires in {minutes} minutes. Never share it.",
            org.name
        );
        let mut unit = self.app.db.unit().await?;
        let counts = repo
            .lock_and_count_sends_in(&mut unit, org.id, who.value(), ip, now)
            .await?;
        settings.otp.check_send(&counts, now)?;
        repo.set_request_customer_in(&mut unit, org.id, txn, who.value(), customer.id.get())
            .await?;
        let otp_id = hex_id();
        repo.insert_otp_in(
            &mut unit,
            org.id,
            &NewOtp {
                id: &otp_id,
                identifier: who.value(),
                ip,
                txn,
                code_hmac: &hmac,
                expires_at: now.saturating_add(settings.otp.ttl()).unwrap_or(now),
            },
            now,
        )
        .await?;
        match &who {
            SignInId::Mobile(m) => {
                let draft = SmsDraft {
                    to: m.clone(),
                    body,
                    requested_sender: None,
                    scheduled_time: None,
                };
                comms.queue_sms_in(&mut unit, &ctx, &draft).await?;
            }
            SignInId::Email(e) => {
                let draft = EmailDraft {
                    to: vec![e.clone()],
                    cc: vec![],
                    bcc: vec![],
                    requested_from: None,
                    subject: format!("Your {} sign-in code", org.name),
                    body,
                    attachments: vec![],
                    scheduled_time: None,
                };
                comms.queue_email_in(&mut unit, &ctx, &draft).await?;
            }
        }
        unit.commit().await?;
        Ok(masked(&who))
    }

    /// Checks the code entered for the pending request `s`: right, it signs the customer
    /// in on the request; wrong, it costs one of the code's tries.
    pub async fn verify_otp(
        &self,
        org: &Org,
        s: &Started,
        code: &str,
    ) -> Result<Started, AppError> {
        let settings = self.settings(org).await?;
        let repo = self.app.db.identity();
        let otp = repo
            .live_otp(org.id, &s.request.id)
            .await?
            .ok_or(IdentityError::OtpDead)?;
        let now = self.app.now();
        if otp.expires_at <= now || otp.attempts >= settings.otp.max_attempts {
            return Err(IdentityError::OtpDead.into());
        }
        let code = code.trim();
        let right = code.len() == 6
            && otp_matches(
                &settings.otp_key,
                org.id.get(),
                &otp.identifier,
                &otp.txn,
                code,
                &otp.code_hmac,
            );
        if !right {
            let tries = repo
                .otp_wrong(org.id, &otp.id, settings.otp.max_attempts)
                .await?
                .ok_or(IdentityError::OtpDead)?;
            let remaining = settings.otp.max_attempts - tries;
            return Err(if remaining > 0 {
                IdentityError::WrongOtp { remaining }
            } else {
                IdentityError::OtpDead
            }
            .into());
        }
        let mut unit = self.app.db.unit().await?;
        if !repo
            .otp_use_in(&mut unit, org.id, &otp.id, settings.otp.max_attempts, now)
            .await?
        {
            return Err(IdentityError::OtpDead.into());
        }
        repo.authenticate_request_in(&mut unit, org.id, &s.request.id, now)
            .await?;
        unit.commit().await?;
        let mut signed = s.clone();
        signed.request.authenticated_at = Some(now);
        Ok(signed)
    }
}

/// The org acting for itself (OTP messages are the org's own).
pub(crate) fn org_caller(org: &Org) -> Caller {
    Caller {
        org_id: org.id,
        till_id: None,
        till_code: Some("identity".into()),
        store_id: None,
        client_id: None,
        permissions: Permissions::full(),
    }
}
