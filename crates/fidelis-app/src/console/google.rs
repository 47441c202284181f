//! "Sign in with Google" (OpenID Connect, authorization code flow with PKCE, state and
//! nonce) through the `openidconnect` crate.
//!
//! `google_start` keeps the sign-in under way as hashes only: the `state` sent to Google and
//! a browser secret, carried back by the browser's cookie, from which the PKCE verifier and
//! the nonce are derived (`fidelis_domain::console::google`). `google_finish` takes that
//! record (once), exchanges the code, verifies the ID token (RS256 signature against the
//! provider's keys, issuer, audience, expiry at the app's clock, nonce) and then applies the
//! org's rule (`admit`). A signed-in staff user gets a session exactly as a password
//! sign-in does.

use std::sync::Arc;
use std::time::Duration;

use fidelis_domain::console::google::{
    self, admit, Admission, GoogleAccount, GoogleRefusal, Invitee, TokenFault,
};
use fidelis_domain::console::ConsoleError;
use fidelis_domain::credentials::{secrets_equal, sha256_hex, token_from_bytes};
use jiff::{SignedDuration, Timestamp};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    reqwest, AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError,
    Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::session::SignedIn;
use super::Console;
use crate::AppError;

/// The deployment's Google client: `[console.google]` of the server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleSettings {
    pub client_id: String,
    /// Never printed, nor written back out.
    #[serde(skip_serializing)]
    pub client_secret: SecretString,
    /// The OpenID provider: Google's unless said otherwise.
    #[serde(default = "google_issuer")]
    pub issuer: String,
    /// This console's callback, as registered with Google:
    /// `https://HOST/console/login/google/callback`.
    pub redirect_url: String,
}

fn google_issuer() -> String {
    "https://accounts.google.com".into()
}

/// Google's ID token carries the account's Workspace domain as `hd`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct HostedDomain {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hd: Option<String>,
}
impl AdditionalClaims for HostedDomain {}

type GoogleTokenResponse = StandardTokenResponse<
    IdTokenFields<
        HostedDomain,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// `CoreClient` with the `hd` claim, as built from the provider's discovery document.
type GoogleClient = Client<
    HostedDomain,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    GoogleTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long the provider's discovery document and keys are trusted before being fetched
/// again (a token signed with a key not yet known fetches them at once).
const DISCOVERY_TTL: SignedDuration = SignedDuration::from_hours(1);

/// The configured provider: its settings, an HTTP client that follows no redirects (a
/// provider's answer cannot send the server elsewhere), and the discovered client.
pub struct GoogleSignIn {
    client_id: ClientId,
    client_secret: ClientSecret,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    discovered: RwLock<Option<(Timestamp, Arc<GoogleClient>)>>,
}

impl GoogleSignIn {
    /// Checks the settings (at start-up); the provider is contacted at the first sign-in.
    pub fn new(s: &GoogleSettings) -> Result<Self, String> {
        if s.client_id.trim().is_empty() || s.client_secret.expose_secret().trim().is_empty() {
            return Err("console.google needs client_id and client_secret".into());
        }
        let issuer = IssuerUrl::new(s.issuer.clone())
            .map_err(|e| format!("console.google.issuer {:?}: {e}", s.issuer))?;
        let redirect = RedirectUrl::new(s.redirect_url.clone())
            .map_err(|e| format!("console.google.redirect_url {:?}: {e}", s.redirect_url))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("console.google: no HTTP client: {e}"))?;
        Ok(Self {
            client_id: ClientId::new(s.client_id.trim().to_string()),
            client_secret: ClientSecret::new(s.client_secret.expose_secret().to_string()),
            issuer,
            redirect,
            http,
            discovered: RwLock::new(None),
        })
    }

    /// The discovered client, fetched again when older than `DISCOVERY_TTL` or `fresh`.
    async fn client(&self, now: Timestamp, fresh: bool) -> Result<Arc<GoogleClient>, AppError> {
        if !fresh {
            if let Some((at, client)) = self.discovered.read().await.as_ref() {
                if now.duration_since(*at) < DISCOVERY_TTL {
                    return Ok(client.clone());
                }
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, issuer = %self.issuer.as_str(), "OpenID discovery failed");
                refused(GoogleRefusal::Unreachable)
            })?;
        let client = Arc::new(
            GoogleClient::from_provider_metadata(
                metadata,
                self.client_id.clone(),
                Some(self.client_secret.clone()),
            )
            .set_redirect_uri(self.redirect.clone()),
        );
        *self.discovered.write().await = Some((now, client.clone()));
        Ok(client)
    }
}

fn refused(r: GoogleRefusal) -> AppError {
    ConsoleError::Google(r).into()
}

/// Where to send the browser, and the secret its cookie must carry back.
#[derive(Debug, Clone)]
pub struct GoogleRedirect {
    pub url: String,
    pub browser_secret: String,
}

/// What the provider's redirect back carries.
#[derive(Debug, Clone, Default)]
pub struct GoogleCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's `error` (e.g. `access_denied` when the person cancelled).
    pub error: Option<String>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    token_from_bytes(&bytes)
}

impl Console<'_> {
    /// Whether this server offers "Sign in with Google".
    pub fn google_enabled(&self) -> bool {
        self.app.google.is_some()
    }

    fn google(&self) -> Result<&GoogleSignIn, AppError> {
        self.app
            .google
            .as_deref()
            .ok_or_else(|| refused(GoogleRefusal::NotConfigured))
    }

    /// Starts a Google sign-in: where to send the browser, and the secret for its cookie.
    pub async fn google_start(&self) -> Result<GoogleRedirect, AppError> {
        let google = self.google()?;
        let now = self.app.now();
        let client = google.client(now, false).await?;
        let state = random_token();
        let browser_secret = random_token();
        let verifier = PkceCodeVerifier::new(google::pkce_verifier(&browser_secret));
        let nonce = google::nonce(&browser_secret);
        let csrf = CsrfToken::new(state.clone());
        let (url, _, _) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                move || csrf,
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".into()))
            .add_prompt(CoreAuthPrompt::SelectAccount)
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier))
            .url();
        self.app
            .db
            .console()
            .start_google_login(
                &sha256_hex(&state),
                &sha256_hex(&browser_secret),
                now,
                now - google::LOGIN_TTL,
            )
            .await?;
        Ok(GoogleRedirect {
            url: url.to_string(),
            browser_secret,
        })
    }

    /// Finishes a Google sign-in from the provider's redirect and the browser's secret:
    /// a new session, or the refusal that says why not.
    pub async fn google_finish(
        &self,
        callback: &GoogleCallback,
        browser_secret: Option<&str>,
    ) -> Result<SignedIn, AppError> {
        let google = self.google()?;
        let now = self.app.now();
        let state = callback
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .ok_or_else(|| refused(GoogleRefusal::UnknownLogin))?;
        let (browser_hash, started) = self
            .app
            .db
            .console()
            .take_google_login(&sha256_hex(state))
            .await?
            .ok_or_else(|| refused(GoogleRefusal::UnknownLogin))?;
        let secret = browser_secret
            .filter(|b| secrets_equal(sha256_hex(b).as_bytes(), browser_hash.as_bytes()));
        let Some(secret) = secret.filter(|_| google::login_alive(started, now)) else {
            return Err(refused(GoogleRefusal::UnknownLogin));
        };
        if let Some(error) = &callback.error {
            return Err(refused(GoogleRefusal::Provider(provider_code(error))));
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| refused(GoogleRefusal::Provider("no authorization code".into())))?;
        let account = google.verified_account(code, secret, now).await?;
        self.admit_google(&account).await
    }

    /// The org's rule for a verified account, pinning on a first sign-in.
    async fn admit_google(&self, account: &GoogleAccount) -> Result<SignedIn, AppError> {
        let repo = self.app.db.console();
        let staff = match account.lookup_email() {
            Some(email) => repo.staff_by_email(&email).await?,
            None => None,
        };
        let org_domain = match &staff {
            Some(s) => repo.google_domain(s.org_id).await?,
            None => None,
        };
        let invitee = staff.as_ref().map(|s| Invitee {
            active: s.active,
            org_domain: org_domain.as_deref(),
            pinned_sub: s.google_sub.as_deref(),
        });
        let admission = admit(account, invitee).map_err(|r| {
            tracing::info!(refusal = %r, "Google sign-in refused");
            refused(r)
        })?;
        // `admit` admits no one without a staff user.
        let Some(staff) = staff else {
            let email = account.lookup_email().unwrap_or_default();
            return Err(refused(GoogleRefusal::NotInvited(email)));
        };
        if admission == Admission::PinNow && !repo.pin_google_sub(staff.id, &account.sub).await? {
            return Err(refused(GoogleRefusal::OtherAccount));
        }
        self.open(&staff).await
    }
}

/// A provider's error code as shown to the person: its word characters only, short.
fn provider_code(raw: &str) -> String {
    let code: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if code.is_empty() {
        "an error".into()
    } else {
        code
    }
}

impl GoogleSignIn {
    /// Exchanges the code (with the PKCE verifier) and verifies the ID token.
    async fn verified_account(
        &self,
        code: &str,
        browser_secret: &str,
        now: Timestamp,
    ) -> Result<GoogleAccount, AppError> {
        let client = self.client(now, false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| {
                tracing::warn!(error = %e, "the provider has no token endpoint");
                refused(GoogleRefusal::Unreachable)
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(google::pkce_verifier(browser_secret)))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    refused(GoogleRefusal::Provider(provider_code(r.error().as_ref())))
                }
                RequestTokenError::Parse(e, _) => {
                    tracing::info!(error = %e, "the provider's token answer is malformed");
                    refused(GoogleRefusal::Token(TokenFault::Malformed))
                }
                e => {
                    tracing::warn!(error = %e, "the provider's token endpoint failed");
                    refused(GoogleRefusal::Unreachable)
                }
            })?;
        let token = response
            .id_token()
            .ok_or_else(|| refused(GoogleRefusal::Token(TokenFault::Malformed)))?;
        let nonce = Nonce::new(google::nonce(browser_secret));
        let verify = |client: &GoogleClient| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
                .set_time_fn(move || chrono_at(now));
            token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&client) {
            // Keys rotate: a key not yet known is looked for once in a fresh key set.
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => verify(&*self.client(now, true).await?),
            other => other,
        }
        .map_err(|e| {
            tracing::info!(error = %e, "Google ID token refused");
            refused(GoogleRefusal::Token(fault(&e)))
        })?;
        Ok(GoogleAccount {
            sub: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified() == Some(true),
            hosted_domain: claims.additional_claims().hd.clone(),
        })
    }
}

fn fault(e: &ClaimsVerificationError) -> TokenFault {
    match e {
        ClaimsVerificationError::Expired(_) => TokenFault::Expired,
        ClaimsVerificationError::InvalidAudience(_) => TokenFault::Audience,
        ClaimsVerificationError::InvalidIssuer(_) => TokenFault::Issuer,
        ClaimsVerificationError::InvalidNonce(_) => TokenFault::Nonce,
        ClaimsVerificationError::SignatureVerification(_) => TokenFault::Signature,
        _ => TokenFault::Malformed,
    }
}

/// The app's clock as the verifier's time (so expiry is judged at the app's now); an
/// instant chrono cannot hold expires every token.
fn chrono_at(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond().unsigned_abs())
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}
