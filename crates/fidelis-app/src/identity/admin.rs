//! Administration of partner clients and OTP limits (the admin API and the console):
//! list, create, change, disable, rotate a secret (shown once), set OTP limits. Only API
//! clients granted the `identity` resource get here; clients the org file declares are
//! read-only (the file is their source).

use fidelis_domain::identity::{
    client_id_rule, new_secret, ClientPatch, ClientSettings, IdentityError, OtpConfig, OtpPatch,
    CLIENT_SECRET_PREFIX,
};
use fidelis_domain::org::OrgId;
use fidelis_store::identity::{ClientEntry, NewClient};

use super::{random32, Identity};
use crate::{AppError, Caller};

const RESOURCE: &str = "identity";

/// A client with its freshly made secret, which is never stored and never shown again.
pub struct NewSecret {
    pub client: ClientEntry,
    pub secret: String,
}

fn settings_of(e: &ClientEntry) -> ClientSettings {
    let c = &e.client;
    ClientSettings {
        name: c.name.clone(),
        redirect_uris: c.redirect_uris.clone(),
        scopes: c.scopes.clone(),
        access_ttl_seconds: c.access_ttl_seconds,
        refresh_ttl_seconds: c.refresh_ttl_seconds,
        active: c.active,
    }
}

/// A new random secret and its Argon2 hash (hashed off the async threads).
async fn fresh_secret() -> Result<(String, String), AppError> {
    let secret = new_secret(CLIENT_SECRET_PREFIX, &random32());
    let plain = secret.clone();
    let hash = tokio::task::spawn_blocking(move || fidelis_store::hash_secret(&plain))
        .await
        .map_err(|e| IdentityError::Corrupt(format!("hashing a secret: {e}")))??;
    Ok((secret, hash))
}

impl Identity<'_> {
    /// Every partner client of the caller's org.
    pub async fn clients(&self, caller: &Caller) -> Result<Vec<ClientEntry>, AppError> {
        caller.check_access(RESOURCE, false)?;
        self.clients_of(caller.org_id).await
    }

    /// One partner client of the caller's org.
    pub async fn client_entry(&self, caller: &Caller, id: &str) -> Result<ClientEntry, AppError> {
        caller.check_access(RESOURCE, false)?;
        self.entry(caller.org_id, id).await
    }

    /// Creates client `id` with a new secret, returned this once.
    pub async fn create_client(
        &self,
        caller: &Caller,
        id: &str,
        patch: &ClientPatch,
    ) -> Result<NewSecret, AppError> {
        caller.check_access(RESOURCE, true)?;
        self.create_client_for(caller.org_id, id, patch).await
    }

    /// Changes what `patch` gives. Disabling a client also revokes every token it holds.
    pub async fn update_client(
        &self,
        caller: &Caller,
        id: &str,
        patch: &ClientPatch,
    ) -> Result<ClientEntry, AppError> {
        caller.check_access(RESOURCE, true)?;
        self.update_client_for(caller.org_id, id, patch).await
    }

    /// Replaces the client's secret; the old one stops working at once. The new secret is
    /// returned this once.
    pub async fn rotate_client_secret(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<NewSecret, AppError> {
        caller.check_access(RESOURCE, true)?;
        self.rotate_client_secret_for(caller.org_id, id).await
    }

    /// The org's OTP limits.
    pub async fn otp_config(&self, caller: &Caller) -> Result<OtpConfig, AppError> {
        caller.check_access(RESOURCE, false)?;
        self.otp_config_of(caller.org_id).await
    }

    /// Changes the OTP limits `patch` gives; they hold until changed again (an org file
    /// with an `[identity.otp]` section sets them when applied).
    pub async fn set_otp_config(
        &self,
        caller: &Caller,
        patch: &OtpPatch,
    ) -> Result<OtpConfig, AppError> {
        caller.check_access(RESOURCE, true)?;
        self.set_otp_config_for(caller.org_id, patch).await
    }
}

/// The same operations for an org, once the caller's right to them has been checked (by
/// the API's resource access above, or by the console's Administer permission).
impl Identity<'_> {
    pub(crate) async fn clients_of(&self, org: OrgId) -> Result<Vec<ClientEntry>, AppError> {
        Ok(self.app.db.identity().clients(org).await?)
    }

    async fn entry(&self, org: OrgId, id: &str) -> Result<ClientEntry, AppError> {
        Ok(self
            .app
            .db
            .identity()
            .client_entry(org, id)
            .await?
            .ok_or_else(|| IdentityError::UnknownClient(id.to_string()))?)
    }

    /// An API-managed client to change: refused for one of the org file's.
    async fn api_entry(&self, org: OrgId, id: &str) -> Result<ClientEntry, AppError> {
        let e = self.entry(org, id).await?;
        if e.from_file {
            return Err(IdentityError::ManagedByFile(id.to_string()).into());
        }
        Ok(e)
    }

    pub(crate) async fn create_client_for(
        &self,
        org: OrgId,
        id: &str,
        patch: &ClientPatch,
    ) -> Result<NewSecret, AppError> {
        client_id_rule(id)?;
        let s = patch.create(id)?;
        let (secret, secret_hash) = fresh_secret().await?;
        let new = NewClient {
            client_id: id.to_string(),
            name: s.name,
            secret_hash,
            redirect_uris: s.redirect_uris,
            scopes: s.scopes,
            access_ttl_seconds: s.access_ttl_seconds,
            refresh_ttl_seconds: s.refresh_ttl_seconds,
        };
        let db = self.app.db.identity();
        if !db.create_client(org, &new, self.app.now()).await? {
            return Err(IdentityError::ClientExists(id.to_string()).into());
        }
        Ok(NewSecret {
            client: self.entry(org, id).await?,
            secret,
        })
    }

    pub(crate) async fn update_client_for(
        &self,
        org: OrgId,
        id: &str,
        patch: &ClientPatch,
    ) -> Result<ClientEntry, AppError> {
        let current = self.api_entry(org, id).await?;
        let change = patch.apply_to(settings_of(&current))?;
        let db = self.app.db.identity();
        let now = self.app.now();
        let updated = db.update_client(org, id, &change, now).await?;
        self.app.clients.forget(org, id);
        if !updated {
            return Err(IdentityError::UnknownClient(id.to_string()).into());
        }
        if !change.active {
            db.revoke_client_tokens(org, id, now).await?;
        }
        self.entry(org, id).await
    }

    pub(crate) async fn rotate_client_secret_for(
        &self,
        org: OrgId,
        id: &str,
    ) -> Result<NewSecret, AppError> {
        self.api_entry(org, id).await?;
        let (secret, hash) = fresh_secret().await?;
        let db = self.app.db.identity();
        let changed = db.set_client_secret(org, id, &hash, self.app.now()).await?;
        self.app.clients.forget(org, id);
        if !changed {
            return Err(IdentityError::UnknownClient(id.to_string()).into());
        }
        Ok(NewSecret {
            client: self.entry(org, id).await?,
            secret,
        })
    }

    pub(crate) async fn otp_config_of(&self, org: OrgId) -> Result<OtpConfig, AppError> {
        let settings = self.app.db.identity().settings(org).await?;
        Ok(settings
            .ok_or_else(|| IdentityError::Corrupt("the org has no identity settings".into()))?
            .otp)
    }

    pub(crate) async fn set_otp_config_for(
        &self,
        org: OrgId,
        patch: &OtpPatch,
    ) -> Result<OtpConfig, AppError> {
        let current = self.otp_config_of(org).await?;
        let next = patch.apply_to(&current)?;
        self.app.db.identity().set_otp_config(org, &next).await?;
        Ok(next)
    }
}
