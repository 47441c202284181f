//! Partner client authentication. Secrets are Argon2 hashes; a verified (client, secret)
//! pair is remembered under its SHA-256 for a minute, so the token endpoint pays one slow
//! hash per client and minute rather than one per request.

use std::collections::HashMap;
use std::sync::RwLock;

use fidelis_domain::credentials::sha256_hex;
use fidelis_domain::identity::IdentityError;
use fidelis_domain::org::Org;
use fidelis_store::identity::ClientRecord;
use jiff::{SignedDuration, Timestamp};

use super::Identity;
use crate::AppError;

const REMEMBER: SignedDuration = SignedDuration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

/// Verified client credentials by digest, each until an instant.
#[derive(Default)]
pub struct ClientVerifier {
    verified: RwLock<HashMap<String, Timestamp>>,
}

impl ClientVerifier {
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
