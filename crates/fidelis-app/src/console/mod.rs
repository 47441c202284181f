//! The Member Care console's commands and queries: staff sign-in and sessions, the search
//! box, the customer single view, goodwill (maker/checker), the admin pages and "Sign in
//! with Google". The pages (`fidelis-server::console`) only render what
//! these answer; the console has no storage of its own beyond staff and sessions.

mod admin;
mod goodwill;
mod google;
mod panels;
mod search;
mod session;

use fidelis_domain::console::{ConsoleError, Permission, Role};
use fidelis_domain::credentials::secrets_equal;
use fidelis_domain::org::{Org, Permissions};

pub use goodwill::{GoodwillFiling, GoodwillOptions, GoodwillTarget, Queued, MAX_QUEUE};
pub use google::{GoogleCallback, GoogleRedirect, GoogleSettings, GoogleSignIn};
pub use panels::{Panels, PartnerPanel, MAX_COUPONS, MAX_TRANSACTIONS};
pub use search::{CustomerPage, Hit, IdentifierMatch, ProgramLine};
pub use session::SignedIn;

use crate::{App, Caller};

pub struct Console<'a> {
    app: &'a App,
}

impl App {
    pub fn console(&self) -> Console<'_> {
        Console { app: self }
    }
}

/// A signed-in staff user, as every page sees them.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub org: Org,
    /// The token every form of this session carries (derived from the session's secret).
    pub csrf: String,
}

impl Session {
    /// Refuses what the staff user's role does not allow.
    pub fn require(&self, p: Permission) -> Result<(), ConsoleError> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    /// Refuses a form that does not carry this session's CSRF token (compared in constant
    /// time).
    pub fn check_csrf(&self, presented: &str) -> Result<(), ConsoleError> {
        if secrets_equal(self.csrf.as_bytes(), presented.as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }

    /// The caller the console acts as on the other contexts: the org, named after the
    /// staff user (who did it, in records).
    pub fn caller(&self) -> Caller {
        Caller {
            org_id: self.org.id,
            till_id: None,
            till_code: Some(format!("console:{}", self.email)),
            store_id: None,
            client_id: None,
            permissions: Permissions::full(),
        }
    }
}

impl Console<'_> {
    /// The org's staff users (an admin page).
    pub async fn staff(
        &self,
        s: &Session,
    ) -> Result<Vec<fidelis_store::console::StaffRecord>, crate::AppError> {
        s.require(Permission::Administer)?;
        Ok(self.app.db.console().staff(s.org.id).await?)
    }
}

impl Console<'_> {
    /// Incentives search: a coupon, promo or gift-voucher code of the org, or `None` for a
    /// code that is not one (or is another org's).
    pub async fn incentive(
        &self,
        s: &Session,
        code: &str,
    ) -> Result<Option<crate::incentives::Found>, crate::AppError> {
        s.require(Permission::ReadCustomers)?;
        let code = code.trim();
        if code.is_empty() || code.chars().count() > 100 || code.chars().any(char::is_control) {
            return Err(ConsoleError::Invalid(
                "enter a coupon, promo or gift voucher code (at most 100 characters)".into(),
            )
            .into());
        }
        let ctx = self.app.incentives().context(&s.caller()).await?;
        self.app.incentives().search(&ctx, code).await
    }
}
