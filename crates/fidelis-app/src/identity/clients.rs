//! Partner client authentication. Secrets are Argon2 hashes; a verified (client, secret)
//! pair is remembered under its SHA-256 for a minute, so the token endpoint pays one slow
//! hash per client and minute rather than one per request. Client records are kept for
//! [`RECORD_TTL`] like the org's configuration (a change through the admin API of this
//! process forgets them at once; one made elsewhere shows within that time).

use std::collections::HashMap;
use std::sync::RwLock;

use fidelis_domain::credentials::sha256_hex;
use fidelis_domain::identity::IdentityError;
use fidelis_domain::org::{Org, OrgId};
use fidelis_store::identity::ClientRecord;
use jiff::{SignedDuration, Timestamp};

use super::Identity;
use crate::AppError;

const REMEMBER: SignedDuration = SignedDuration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;
pub const RECORD_TTL: SignedDuration = crate::org::TTL;

/// Verified client credentials by digest, each until an instant; client records by org
/// and id, each until an instant.
#[derive(Default)]
pub struct ClientVerifier {
    verified: RwLock<HashMap<String, Timestamp>>,
    records: RwLock<HashMap<(OrgId, String), (Timestamp, ClientRecord)>>,
}

impl ClientVerifier {
    /// The client as read less than [`RECORD_TTL`] ago.
    pub(super) fn record(&self, org: OrgId, id: &str, now: Timestamp) -> Option<ClientRecord> {
        let map = self.records.read().unwrap_or_else(|e| e.into_inner());
        map.get(&(org, id.to_string()))
            .filter(|(until, _)| *until > now)
            .map(|(_, c)| c.clone())
    }

    pub(super) fn keep(&self, org: OrgId, c: ClientRecord, now: Timestamp) {
        let mut map = self.records.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (until, _)| *until > now);
        }
        let until = now.saturating_add(RECORD_TTL).unwrap_or(now);
        map.insert((org, c.client_id.clone()), (until, c));
    }

    /// Forgets a client's record after a change to it.
    pub(super) fn forget(&self, org: OrgId, id: &str) {
        self.records
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(org, id.to_string()));
    }

    fn known(&self, key: &str, now: Timestamp) -> bool {
        let map = self.verified.read().unwrap_or_else(|e| e.into_inner());
        map.get(key).is_some_and(|until| *until > now)
    }

    fn remember(&self, key: String, now: Timestamp) {
        let mut map = self.verified.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, until| *until > now);
        }
        map.insert(key, now.saturating_add(REMEMBER).unwrap_or(now));
    }

    pub fn clear(&self) {
        self.verified
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.records
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl Identity<'_> {
    /// The active client whose id and secret these are, or `InvalidClient`.
    pub async fn authenticate_client(
        &self,
        org: &Org,
        client_id: &str,
        secret: &str,
    ) -> Result<ClientRecord, AppError> {
        let client = self.client(org, client_id).await?;
        let now = self.app.now();
        let key = sha256_hex(&format!(
            "{}\u{0}{client_id}\u{0}{secret}\u{0}{}",
            org.id.get(),
            client.secret_hash
        ));
        if self.app.clients.known(&key, now) {
            return Ok(client);
        }
        let stored = client.secret_hash.clone();
        let presented = secret.to_string();
        let ok =
            tokio::task::spawn_blocking(move || fidelis_store::verify_secret(&presented, &stored))
                .await
                .unwrap_or(false);
        if !ok {
            return Err(IdentityError::InvalidClient.into());
        }
        self.app.clients.remember(key, now);
        Ok(client)
    }
}
