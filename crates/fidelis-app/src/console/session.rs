//! Staff sign-in, sessions and sign-out. A session is a random token in an `HttpOnly`
//! cookie; the database keeps only its SHA-256. Its CSRF token is derived from the secret
//! token, so it needs no storage and cannot be computed from what is stored.

use std::net::IpAddr;

use fidelis_domain::console::config::email_rule;
use fidelis_domain::console::{ConsoleError, SessionPolicy};
use fidelis_domain::credentials::{sha256_hex, token_from_bytes};
use fidelis_domain::org::OrgError;
use fidelis_store::console::StaffRecord;
use rand::RngCore;

use super::{Console, Session};
use crate::AppError;

/// A new session: the cookie's value (shown once) and what the pages see.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub session: Session,
}

fn csrf_for(token: &str) -> String {
    sha256_hex(&format!("console-csrf\n{token}"))
}

impl Console<'_> {
    /// Signs a staff user in with email and password, from `from`. Every refusal is the same
    /// `BadCredentials`; repeated failures from one address are refused for a while without
    /// locking the staff user out elsewhere.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<SignedIn, AppError> {
        let email = email_rule(email).map_err(|_| ConsoleError::BadCredentials)?;
        if password.is_empty() || password.len() > 1024 {
            return Err(ConsoleError::BadCredentials.into());
        }
        let staff = self
            .app
            .db
            .console()
            .staff_by_email(&email)
            .await?
            .filter(|s| s.active);
        let hash = staff.as_ref().and_then(|s| s.password_hash.clone());
        let ok = self
            .app
            .verify_password(&format!("staff:{email}"), from, password, hash)
            .await
            .map_err(|e| match e {
                AppError::Org(OrgError::TooManyFailures) => ConsoleError::TooManyAttempts.into(),
                e => e,
            })?;
        match staff {
            Some(s) if ok => self.open(&s).await,
            _ => Err(ConsoleError::BadCredentials.into()),
        }
    }

    /// Opens a new session for `staff` (a fresh token at every sign-in: a session id planted
    /// before sign-in is never promoted).
    pub(crate) async fn open(&self, staff: &StaffRecord) -> Result<SignedIn, AppError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = token_from_bytes(&bytes);
        self.app
            .db
            .console()
            .create_session(&sha256_hex(&token), staff, self.app.now())
            .await?;
        let session = self.session_of(staff, &token).await?;
        Ok(SignedIn { token, session })
    }

    async fn session_of(&self, s: &StaffRecord, token: &str) -> Result<Session, AppError> {
        let org = self.app.orgs.get(self.app, s.org_id).await?.org.clone();
        Ok(Session {
            staff_id: s.id,
            email: s.email.clone(),
            name: s.name.clone(),
            role: s.role,
            org,
            csrf: csrf_for(token),
        })
    }

    /// The session behind a cookie's token: unknown, ended, idle too long, too old, or of a
    /// staff user no longer active is `SignedOut`.
    pub async fn session(&self, token: &str) -> Result<Session, AppError> {
        let hash = sha256_hex(token);
        let repo = self.app.db.console();
        let record = repo.session(&hash).await?.ok_or(ConsoleError::SignedOut)?;
        let now = self.app.now();
        let policy = SessionPolicy::default();
        if !record.staff.active || !policy.alive(record.created_at, record.last_seen_at, now) {
            repo.delete_session(&hash).await?;
            return Err(ConsoleError::SignedOut.into());
        }
        if policy.should_touch(record.last_seen_at, now) {
            repo.touch_session(&hash, now).await?;
        }
        self.session_of(&record.staff, token).await
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        Ok(self
            .app
            .db
            .console()
            .delete_session(&sha256_hex(token))
            .await?)
    }
}
