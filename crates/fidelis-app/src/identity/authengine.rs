//! The Auth Engine for a brand's own apps (Capillary's `/auth/v1/...`): sessions, OTPs and
//! USER tokens. A USER token is an ordinary access token of the identity context (stored
//! as its SHA-256, client `auth-engine` or `auth-engine-web`, scopes profile points
//! coupons), so it is a bearer for the wrapper API `/mobile/v2/me…` of its customer. The
//! session id, VIEW token and mobile key are stored only as SHA-256 hashes too.

use fidelis_domain::identity::authengine::{
    AeIdentifierType, AuthEngineError, KEY_KIND, KEY_PREFIX, KEY_TTL, MOBILE_CLIENT,
    SESSION_PREFIX, SESSION_TTL, USER_SCOPES, USER_TOKEN_TTL, VIEW_PREFIX, WEB_CLIENT,
    WEB_FAMILY_TTL,
};
use fidelis_domain::identity::otp::OtpPurpose;
use fidelis_domain::identity::{new_secret, secret_hash, IdentityError, SignInId, ACCESS_PREFIX};
use fidelis_domain::org::Org;
use fidelis_store::identity::{AeSessionRecord, TokenRecord, ACCESS};
use fidelis_store::Unit;
use jiff::Timestamp;

use super::otp::{CodeCheck, CodeFor};
use super::{hex_id, random32, Identity};
use crate::AppError;

/// The body fields of an Auth Engine call, as sent (`web` from the path).
#[derive(Debug, Clone, Default)]
pub struct AeRequest {
    pub web: bool,
    pub identifier_type: Option<String>,
    pub identifier_value: Option<String>,
    pub device_id: Option<String>,
    pub brand: Option<String>,
    pub session_id: Option<String>,
    pub otp: Option<String>,
    pub key: Option<String>,
    pub expired_token: Option<String>,
}

/// What a successful call answers in `auth` and `user`.
#[derive(Debug, Clone)]
pub struct AeAnswer {
    pub token: String,
    pub key: Option<String>,
    pub session_id: Option<String>,
    /// `VIEW` before the OTP, `USER` after.
    pub role: &'static str,
    pub app_registered: bool,
}

fn details(m: &str) -> AppError {
    AuthEngineError::InvalidDetails(m.to_string()).into()
}

fn field(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The identifier a request names: its type and normalised value.
struct Named {
    kind: AeIdentifierType,
    value: String,
}

impl Named {
    fn sign_in_id(&self) -> SignInId {
        match self.kind {
            AeIdentifierType::Mobile => SignInId::Mobile(self.value.clone()),
            AeIdentifierType::Email => SignInId::Email(self.value.clone()),
        }
    }

    fn is(&self, s: &AeSessionRecord) -> bool {
        s.identifier_type == self.kind.as_str() && s.identifier == self.value
    }
}

impl Identity<'_> {
    /// The org a `brand` names (its code, in any case).
    async fn brand(&self, r: &AeRequest) -> Result<Org, AppError> {
        let brand = field(&r.brand).ok_or_else(|| details("brand is required"))?;
        let orgs = self.app.db.orgs();
        if let Some(o) = orgs.by_code(brand).await? {
            return Ok(o);
        }
        let lower = brand.to_ascii_lowercase();
        orgs.by_code(&lower)
            .await?
            .ok_or_else(|| details("unknown brand"))
    }

    fn named(&self, org: &Org, r: &AeRequest) -> Result<Named, AppError> {
        let kind = AeIdentifierType::parse(
            field(&r.identifier_type).ok_or(AuthEngineError::InvalidIdentifierType)?,
        )?;
        let raw =
            field(&r.identifier_value).ok_or_else(|| details("identifierValue is required"))?;
        Ok(Named {
            kind,
            value: kind.normalise(raw, &org.country)?,
        })
    }

    /// The device of a mobile call (required, at most 200 characters); web calls have none.
    fn device<'r>(&self, r: &'r AeRequest) -> Result<&'r str, AppError> {
        if r.web {
            return Ok("");
        }
        match field(&r.device_id) {
            Some(d) if d.chars().count() <= 200 => Ok(d),
            Some(_) => Err(details("deviceId is longer than 200 characters")),
            None => Err(details("deviceId is required for mobile apps")),
        }
    }

    /// The live, unvalidated session a call names, for the same identifier and device.
    async fn live_session(
        &self,
        org: &Org,
        r: &AeRequest,
        who: &Named,
    ) -> Result<AeSessionRecord, AppError> {
        let id = field(&r.session_id).ok_or(AuthEngineError::InvalidSession)?;
        let s = self
            .app
            .db
            .identity()
            .ae_session(org.id, &secret_hash(id))
            .await?
            .ok_or(AuthEngineError::InvalidSession)?;
        if s.web != r.web || s.validated || s.expires_at <= self.app.now() {
            return Err(AuthEngineError::InvalidSession.into());
        }
        if !who.is(&s) {
            return Err(AuthEngineError::IdentifierMismatch.into());
        }
        if s.device_id != self.device(r)? {
            return Err(AuthEngineError::DeviceMismatch.into());
        }
        Ok(s)
    }

    /// `token/generate`: a 15-minute session and a VIEW token (which opens nothing else).
    pub async fn ae_token_generate(&self, r: &AeRequest) -> Result<AeAnswer, AppError> {
        let org = self.brand(r).await?;
        let who = self.named(&org, r)?;
        let device = self.device(r)?;
        let now = self.app.now();
        let session_id = new_secret(SESSION_PREFIX, &random32());
        let view = new_secret(VIEW_PREFIX, &random32());
        let record = AeSessionRecord {
            session_hash: secret_hash(&session_id),
            web: r.web,
            identifier_type: who.kind.as_str().to_string(),
            identifier: who.value,
            device_id: device.to_string(),
            view_token_hash: secret_hash(&view),
            customer_id: None,
            family: None,
            expires_at: now.saturating_add(SESSION_TTL).unwrap_or(now),
            validated: false,
        };
        self.app
            .db
            .identity()
            .insert_ae_session(org.id, &record, now)
            .await?;
        Ok(AeAnswer {
            token: view,
            key: None,
            session_id: Some(session_id),
            role: "VIEW",
            app_registered: false,
        })
    }

    /// `otp/generate`: sends a code for the session to its identifier, within the org's
    /// OTP limits (1534 past them), superseding the session's earlier code.
    pub async fn ae_otp_generate(&self, r: &AeRequest, ip: &str) -> Result<(), AppError> {
        let org = self.brand(r).await?;
        let who = self.named(&org, r)?;
        let session = self.live_session(&org, r, &who).await?;
        let sign_in = who.sign_in_id();
        let customer = match self.registered(&org, &sign_in).await {
            Err(AppError::Identity(IdentityError::NotRegistered)) => {
                return Err(AuthEngineError::UserNotFound.into())
            }
            other => other?,
        };
        let settings = self.settings(&org).await?;
        let mut unit = self.app.db.unit().await?;
        let sent = self
            .send_code_in(
                &mut unit,
                &org,
                &settings,
                CodeFor {
                    purpose: OtpPurpose::AuthEngine,
                    subject: &session.session_hash,
                    binding: "",
                },
                &sign_in,
                ip,
            )
            .await;
        match sent {
            Err(AppError::Identity(IdentityError::OtpLimit)) => {
                return Err(AuthEngineError::MaxOtps.into())
            }
            Err(AppError::Identity(e @ IdentityError::OtpCooldown(_))) => {
                return Err(AuthEngineError::OtpNotGenerated(e.to_string()).into())
            }
            other => other?,
        }
        self.app
            .db
            .identity()
            .set_ae_customer_in(&mut unit, org.id, &session.session_hash, customer)
            .await?;
        unit.commit().await?;
        Ok(())
    }

    /// `otp/validate`: a right code ends the session with a USER token (and a `key` for
    /// mobile apps). Wrong: 1506 and one try fewer; out of tries: 1518.
    pub async fn ae_otp_validate(&self, r: &AeRequest) -> Result<AeAnswer, AppError> {
        let org = self.brand(r).await?;
        let who = self.named(&org, r)?;
        let session = self.live_session(&org, r, &who).await?;
        let code = field(&r.otp).ok_or(AuthEngineError::InvalidOtp)?;
        let settings = self.settings(&org).await?;
        let for_ = CodeFor {
            purpose: OtpPurpose::AuthEngine,
            subject: &session.session_hash,
            binding: "",
        };
        let otp = match self.check_code(&org, &settings, for_, code).await? {
            CodeCheck::Right(otp) => otp,
            CodeCheck::Wrong { .. } | CodeCheck::Dead { sent: true } => {
                return Err(AuthEngineError::InvalidOtp.into())
            }
            CodeCheck::Exhausted => return Err(AuthEngineError::MaxRetries.into()),
            CodeCheck::Dead { sent: false } => return Err(AuthEngineError::NoOtp.into()),
        };
        let customer = session.customer_id.ok_or(AuthEngineError::NoOtp)?;
        let now = self.app.now();
        let family = hex_id();
        let repo = self.app.db.identity();
        let mut unit = self.app.db.unit().await?;
        if !self.spend_code_in(&mut unit, &org, &settings, &otp).await? {
            return Err(AuthEngineError::InvalidOtp.into());
        }
        if !repo
            .validate_ae_session_in(&mut unit, org.id, &session.session_hash, &family, now)
            .await?
        {
            return Err(AuthEngineError::InvalidSession.into());
        }
        let (client, family_ttl) = if r.web {
            (WEB_CLIENT, WEB_FAMILY_TTL)
        } else {
            (MOBILE_CLIENT, KEY_TTL)
        };
        let family_expires = now.saturating_add(family_ttl).unwrap_or(now);
        let grant = AeGrant {
            org: &org,
            client,
            customer,
            family: &family,
            family_expires,
        };
        let token = self.ae_token_in(&mut unit, &grant, ACCESS).await?;
        let key = if r.web {
            None
        } else {
            Some(self.ae_token_in(&mut unit, &grant, KEY_KIND).await?)
        };
        unit.commit().await?;
        Ok(AeAnswer {
            token,
            key,
            session_id: None,
            role: "USER",
            app_registered: true,
        })
    }

    /// `token/regenerate`: a new USER token from the mobile `key` (same device and
    /// identifier as the sign-in) or, on the web, from the last USER token (`expiredToken`,
    /// spent by the regeneration: presenting it again revokes the sign-in's tokens).
    pub async fn ae_token_regenerate(&self, r: &AeRequest) -> Result<AeAnswer, AppError> {
        let org = self.brand(r).await?;
        let who = self.named(&org, r)?;
        let device = self.device(r)?;
        let (presented, kind, client) = if r.web {
            let t = field(&r.expired_token).ok_or_else(|| details("expiredToken is required"))?;
            (t, ACCESS, WEB_CLIENT)
        } else {
            let k = field(&r.key).ok_or_else(|| details("key is required"))?;
            (k, KEY_KIND, MOBILE_CLIENT)
        };
        let repo = self.app.db.identity();
        let hash = secret_hash(presented);
        let now = self.app.now();
        let t = match repo.token(&hash).await? {
            Some(t) if t.org_id == org.id && t.kind == kind && t.client_id == client => t,
            _ => return Err(AuthEngineError::CannotRegenerate.into()),
        };
        if r.web && t.spent {
            repo.revoke_family(org.id, &t.family, now).await?;
            return Err(AuthEngineError::CannotRegenerate.into());
        }
        if t.revoked {
            return Err(AuthEngineError::CannotRegenerate.into());
        }
        if t.family_expires_at <= now || (!r.web && t.expires_at <= now) {
            return Err(AuthEngineError::TokenExpired.into());
        }
        let session = repo
            .ae_session_of_family(org.id, &t.family)
            .await?
            .ok_or(AuthEngineError::CannotRegenerate)?;
        if !who.is(&session) {
            return Err(AuthEngineError::CannotRegenerate.into());
        }
        if session.device_id != device {
            return Err(AuthEngineError::DeviceMismatch.into());
        }
        let mut unit = self.app.db.unit().await?;
        if r.web
            && !repo
                .spend_token_in(&mut unit, org.id, &hash, ACCESS, now)
                .await?
        {
            drop(unit);
            repo.revoke_family(org.id, &t.family, now).await?;
            return Err(AuthEngineError::CannotRegenerate.into());
        }
        let grant = AeGrant {
            org: &org,
            client,
            customer: t.customer_id,
            family: &t.family,
            family_expires: t.family_expires_at,
        };
        let token = self.ae_token_in(&mut unit, &grant, ACCESS).await?;
        unit.commit().await?;
        if r.web {
            // The spent token opens nothing more.
            repo.revoke_token(org.id, &hash, now).await?;
        }
        Ok(AeAnswer {
            token,
            key: None,
            session_id: None,
            role: "USER",
            app_registered: true,
        })
    }

    /// Stores a new USER token (`access`) or mobile key of the grant; returns it.
    async fn ae_token_in(
        &self,
        unit: &mut Unit,
        g: &AeGrant<'_>,
        kind: &str,
    ) -> Result<String, AppError> {
        let now = self.app.now();
        let (prefix, expires_at) = if kind == ACCESS {
            let until = now.saturating_add(USER_TOKEN_TTL).unwrap_or(now);
            (ACCESS_PREFIX, until.min(g.family_expires))
        } else {
            (KEY_PREFIX, g.family_expires)
        };
        let secret = new_secret(prefix, &random32());
        let record = TokenRecord {
            org_id: g.org.id,
            token_hash: secret_hash(&secret),
            kind: kind.to_string(),
            family: g.family.to_string(),
            client_id: g.client.to_string(),
            customer_id: g.customer,
            scope: USER_SCOPES.to_string(),
            created_at: now,
            expires_at,
            family_expires_at: g.family_expires,
            spent: false,
            revoked: false,
        };
        self.app
            .db
            .identity()
            .insert_token_in(unit, g.org.id, &record)
            .await?;
        Ok(secret)
    }
}

/// Whom Auth Engine tokens are issued to, and for how long their sign-in lasts.
struct AeGrant<'a> {
    org: &'a Org,
    client: &'a str,
    customer: i64,
    family: &'a str,
    family_expires: Timestamp,
}
