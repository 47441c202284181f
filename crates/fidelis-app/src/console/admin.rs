//! The console's admin pages: partner OAuth clients, OTP limits and Connect+ run reports
//! of the staff user's org. Each needs the Administer permission (Admin, Org Owner) and
//! then runs the identity and connect contexts' own operations.

use fidelis_domain::console::Permission;
use fidelis_domain::identity::{ClientPatch, OtpConfig, OtpPatch};
use fidelis_store::connect::RunRecord;
use fidelis_store::identity::ClientEntry;

use super::{Console, Session};
use crate::connect::RunPage;
use crate::identity::NewSecret;
use crate::AppError;

impl Console<'_> {
    pub async fn clients(&self, s: &Session) -> Result<Vec<ClientEntry>, AppError> {
        s.require(Permission::Administer)?;
        self.app.identity().clients_of(s.org.id).await
    }

    /// Creates a client; its secret is in the answer, this once.
    pub async fn create_client(
        &self,
        s: &Session,
        id: &str,
        patch: &ClientPatch,
    ) -> Result<NewSecret, AppError> {
        s.require(Permission::Administer)?;
        self.app
            .identity()
            .create_client_for(s.org.id, id, patch)
            .await
    }

    /// Enables or disables a client (disabling revokes its tokens).
    pub async fn set_client_active(
        &self,
        s: &Session,
        id: &str,
        active: bool,
    ) -> Result<ClientEntry, AppError> {
        s.require(Permission::Administer)?;
        let patch = ClientPatch {
            active: Some(active),
            ..Default::default()
        };
        self.app
            .identity()
            .update_client_for(s.org.id, id, &patch)
            .await
    }

    /// A new secret for a client; the old one stops working at once.
    pub async fn rotate_client_secret(&self, s: &Session, id: &str) -> Result<NewSecret, AppError> {
        s.require(Permission::Administer)?;
        self.app
            .identity()
            .rotate_client_secret_for(s.org.id, id)
            .await
    }

    pub async fn otp_config(&self, s: &Session) -> Result<OtpConfig, AppError> {
        s.require(Permission::Administer)?;
        self.app.identity().otp_config_of(s.org.id).await
    }

    pub async fn set_otp_config(
        &self,
        s: &Session,
        patch: &OtpPatch,
    ) -> Result<OtpConfig, AppError> {
        s.require(Permission::Administer)?;
        self.app
            .identity()
            .set_otp_config_for(s.org.id, patch)
            .await
    }

    /// The org's dataflow runs, newest first.
    pub async fn runs(&self, s: &Session, limit: i64, offset: i64) -> Result<RunPage, AppError> {
        s.require(Permission::Administer)?;
        self.app.connect().runs(s.org.id, limit, offset).await
    }

    pub async fn run(&self, s: &Session, id: i64) -> Result<RunRecord, AppError> {
        s.require(Permission::Administer)?;
        self.app.connect().run(s.org.id, id).await
    }
}
