//! One-time codes: six digits from the OS's CSPRNG, stored as an HMAC under the org's OTP
//! key, sent through the comms outbox in the same unit of work that records the send, and
//! checked with a bounded number of tries. One mechanism serves every purpose (partner
//! OAuth sign-in, Auth Engine sessions, points redemption): a code belongs to (org,
//! purpose, subject), the send limits count per identifier, IP and org across purposes.

use fidelis_domain::comms::{EmailDraft, SmsDraft};
use fidelis_domain::identity::otp::{judge, OtpPurpose, OtpVerdict};
use fidelis_domain::identity::{otp_code, otp_hmac, otp_matches, IdentityError, SignInId};
use fidelis_domain::org::{Org, Permissions};
use fidelis_store::identity::{IdentitySettings, NewOtp, OtpRecord};
use fidelis_store::Unit;
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

/// Whom a code is for: its purpose, its subject, and what else it is bound to (the HMAC
/// covers all three, so a code for one redemption amount fails for another).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeFor<'a> {
    pub purpose: OtpPurpose,
    pub subject: &'a str,
    pub binding: &'a str,
}

impl CodeFor<'_> {
    fn hmac_txn(&self) -> String {
        match self.purpose {
            // As before the other purposes existed: codes in flight stay valid.
            OtpPurpose::OAuth => self.subject.to_string(),
            p => format!("{}\u{1f}{}\u{1f}{}", p.as_str(), self.subject, self.binding),
        }
    }
}

/// The outcome of checking a presented code.
#[derive(Debug)]
pub(crate) enum CodeCheck {
    /// Right: spend it with `spend_code_in` in the unit that acts on it.
    Right(OtpRecord),
    Wrong {
        remaining: i64,
    },
    /// Out of tries (also when this try was right).
    Exhausted,
    /// None was sent, or it was used, superseded or expired.
    Dead {
        sent: bool,
    },
}

impl Identity<'_> {
    pub(crate) async fn settings(&self, org: &Org) -> Result<IdentitySettings, AppError> {
        Ok(self
            .app
            .db
            .identity()
            .settings(org.id)
            .await?
            .ok_or_else(|| IdentityError::Corrupt("the org has no identity settings".into()))?)
    }

    /// Within `unit`: counts the sends under the org's limits, stores a new code for
    /// `for_` (superseding the subject's older ones) and queues the message to `who`.
    pub(crate) async fn send_code_in(
        &self,
        unit: &mut Unit,
        org: &Org,
        settings: &IdentitySettings,
        for_: CodeFor<'_>,
        who: &SignInId,
        ip: &str,
    ) -> Result<(), AppError> {
        let now = self.app.now();
        let code = otp_code(rand::rngs::OsRng.gen_range(0..1_000_000));
        let hmac = otp_hmac(
            &settings.otp_key,
            org.id.get(),
            who.value(),
            &for_.hmac_txn(),
            &code,
        );
        let repo = self.app.db.identity();
        let comms = self.app.comms();
        let ctx = comms.context(&org_caller(org)).await?;
        let minutes = settings.otp.ttl_seconds / 60;
        let noun = for_.purpose.noun();
        let body = format!(
            "{code} is your {} {noun}. It expires in {minutes} minutes. Never share it.",
            org.name
        );
        let counts = repo
            .lock_and_count_sends_in(unit, org.id, who.value(), ip, now)
            .await?;
        settings.otp.check_send(&counts, now)?;
        let otp_id = hex_id();
        repo.insert_otp_in(
            unit,
            org.id,
            &NewOtp {
                id: &otp_id,
                purpose: for_.purpose,
                identifier: who.value(),
                ip,
                txn: for_.subject,
                code_hmac: &hmac,
                expires_at: now.saturating_add(settings.otp.ttl()).unwrap_or(now),
            },
            now,
        )
        .await?;
        match who {
            SignInId::Mobile(m) => {
                let draft = SmsDraft {
                    to: m.clone(),
                    body,
                    requested_sender: None,
                    scheduled_time: None,
                };
                comms.queue_sms_in(unit, &ctx, &draft).await?;
            }
            SignInId::Email(e) => {
                let draft = EmailDraft {
                    to: vec![e.clone()],
                    cc: vec![],
                    bcc: vec![],
                    requested_from: None,
                    subject: format!("Your {} {noun}", org.name),
                    body,
                    attachments: vec![],
                    scheduled_time: None,
                };
                comms.queue_email_in(unit, &ctx, &draft).await?;
            }
        }
        Ok(())
    }

    /// Checks `code` against the subject's newest code; a wrong one costs one of its
    /// tries. A right one is not spent yet.
    pub(crate) async fn check_code(
        &self,
        org: &Org,
        settings: &IdentitySettings,
        for_: CodeFor<'_>,
        code: &str,
    ) -> Result<CodeCheck, AppError> {
        let repo = self.app.db.identity();
        let max = settings.otp.max_attempts;
        let newest = repo.newest_otp(org.id, for_.purpose, for_.subject).await?;
        let otp = match judge(
            newest.as_ref().map(OtpRecord::state).as_ref(),
            max,
            self.app.now(),
        ) {
            OtpVerdict::Exhausted => return Ok(CodeCheck::Exhausted),
            OtpVerdict::Dead => {
                return Ok(CodeCheck::Dead {
                    sent: newest.is_some(),
                })
            }
            OtpVerdict::Compare => match newest {
                Some(o) => o,
                None => return Ok(CodeCheck::Dead { sent: false }),
            },
        };
        let code = code.trim();
        let right = code.len() == 6
            && otp_matches(
                &settings.otp_key,
                org.id.get(),
                &otp.identifier,
                &for_.hmac_txn(),
                code,
                &otp.code_hmac,
            );
        if right {
            return Ok(CodeCheck::Right(otp));
        }
        Ok(match repo.otp_wrong(org.id, &otp.id, max).await? {
            None => CodeCheck::Dead { sent: true },
            Some(tries) if tries >= max => CodeCheck::Exhausted,
            Some(tries) => CodeCheck::Wrong {
                remaining: max - tries,
            },
        })
    }

    /// Spends a right code once, inside `unit`: false when another request spent it
    /// first (or it expired or died meanwhile).
    pub(crate) async fn spend_code_in(
        &self,
        unit: &mut Unit,
        org: &Org,
        settings: &IdentitySettings,
        otp: &OtpRecord,
    ) -> Result<bool, AppError> {
        Ok(self
            .app
            .db
            .identity()
            .otp_use_in(
                unit,
                org.id,
                &otp.id,
                settings.otp.max_attempts,
                self.app.now(),
            )
            .await?)
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
        let customer = self.registered(org, &who).await?;
        let settings = self.settings(org).await?;
        let txn = &s.request.id;
        let mut unit = self.app.db.unit().await?;
        self.send_code_in(
            &mut unit,
            org,
            &settings,
            CodeFor {
                purpose: OtpPurpose::OAuth,
                subject: txn,
                binding: "",
            },
            &who,
            ip,
        )
        .await?;
        self.app
            .db
            .identity()
            .set_request_customer_in(&mut unit, org.id, txn, who.value(), customer)
            .await?;
        unit.commit().await?;
        Ok(masked(&who))
    }

    /// The id of the customer registered with `who`, or `NotRegistered`.
    pub(crate) async fn registered(&self, org: &Org, who: &SignInId) -> Result<i64, AppError> {
        let lookup = crate::customers::Lookup {
            source: Some("ALL".into()),
            identifier_name: Some(who.kind().into()),
            identifier_value: Some(who.value().into()),
            ..Default::default()
        };
        match crate::customers::resolve_brief(self.app, org, &lookup).await {
            Ok(c) => Ok(c.id.get()),
            Err(e) if e.is_internal() => Err(e),
            Err(_) => Err(IdentityError::NotRegistered.into()),
        }
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
        let for_ = CodeFor {
            purpose: OtpPurpose::OAuth,
            subject: &s.request.id,
            binding: "",
        };
        let otp = match self.check_code(org, &settings, for_, code).await? {
            CodeCheck::Right(otp) => otp,
            CodeCheck::Wrong { remaining } => {
                return Err(IdentityError::WrongOtp { remaining }.into())
            }
            CodeCheck::Exhausted | CodeCheck::Dead { .. } => {
                return Err(IdentityError::OtpDead.into())
            }
        };
        let now = self.app.now();
        let mut unit = self.app.db.unit().await?;
        if !self.spend_code_in(&mut unit, org, &settings, &otp).await? {
            return Err(IdentityError::OtpDead.into());
        }
        self.app
            .db
            .identity()
            .authenticate_request_in(&mut unit, org.id, &s.request.id, now)
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
