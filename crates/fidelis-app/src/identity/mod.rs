//! The identity context: partner OAuth 2.0 for one end customer, signed in with an OTP.
//!
//! The landing page's steps (`begin` → `send_otp` → `verify_otp` → `consent`) move one
//! pending request along; each step's form carries the request id and a CSRF token whose
//! hash the request holds. The token endpoint's grants (`exchange_code`, `refresh`),
//! `revoke` and `introspect` act on codes and tokens stored only as SHA-256 hashes, and
//! `bearer` turns a presented access token into the customer and scopes it may act for.

mod admin;
mod authengine;
mod clients;
mod me;
mod otp;
mod points;
mod wallet;

use fidelis_domain::identity::{
    check_challenge, new_secret, redirect_registered, secret_hash, verifier_matches, with_query,
    IdentityError, Scopes, ACCESS_PREFIX, CODE_PREFIX, CODE_TTL, CSRF_PREFIX, REFRESH_PREFIX,
    REQUEST_PREFIX, REQUEST_TTL,
};
use fidelis_domain::org::{Org, OrgId, Permissions};
use fidelis_store::identity::{
    ClientRecord, CodeRecord, RequestRecord, TokenRecord, ACCESS, REFRESH,
};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;

pub use admin::NewSecret;
pub use authengine::{AeAnswer, AeRequest};
pub use clients::ClientVerifier;
pub use me::{MeSubscription, MeUpdate};
pub use points::PointsCode;
pub use wallet::Spent;

use crate::{App, AppError, Caller};

/// 256 random bits from the OS.
pub(crate) fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// The parameters of `GET …/oauth2/authorize`, as sent.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request was refused.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect.
    Page(AppError),
    /// Tell the client, at its verified redirect URI (`location`).
    Redirect { location: String },
}

impl From<AppError> for AuthorizeRefusal {
    fn from(e: AppError) -> Self {
        Self::Page(e)
    }
}

/// A started sign-in: the pending request, the raw CSRF token for its forms, the client.
#[derive(Debug, Clone)]
pub struct Started {
    pub request: RequestRecord,
    pub csrf: String,
    pub client: ClientRecord,
}

/// What follows a correct OTP.
#[derive(Debug, Clone)]
pub enum AfterSignIn {
    /// Ask the customer to grant these scopes.
    Consent(Box<Started>),
    /// Consent was given before: go back to the client with a code.
    Redirect(String),
}

/// Tokens issued by the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// A valid access token's grant, as the wrapper API sees it.
#[derive(Debug, Clone)]
pub struct Grant {
    pub org_id: OrgId,
    pub customer_id: i64,
    pub client_id: String,
    pub scopes: Scopes,
}

impl Grant {
    /// Refuses a call needing `scope` the token does not carry.
    pub fn require(&self, scope: &str) -> Result<(), IdentityError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(IdentityError::InsufficientScope(scope.to_string()))
        }
    }

    /// The caller the wrapper API acts as on the app's other contexts: the org itself,
    /// for this one customer only (the handlers never name another).
    pub fn caller(&self) -> Caller {
        Caller {
            org_id: self.org_id,
            till_id: None,
            till_code: Some(format!("oauth:{}", self.client_id)),
            store_id: None,
            client_id: None,
            permissions: Permissions::full(),
        }
    }
}

pub struct Identity<'a> {
    app: &'a App,
}

impl App {
    pub fn identity(&self) -> Identity<'_> {
        Identity { app: self }
    }
}

impl Identity<'_> {
    /// The org an issuer path names.
    pub async fn org(&self, code: &str) -> Result<Org, AppError> {
        Ok(self
            .app
            .orgs
            .by_code(self.app, code)
            .await?
            .ok_or(IdentityError::UnknownOrg)?
            .org
            .clone())
    }

    /// An active partner client of the org, or `InvalidClient`.
    pub async fn client(&self, org: &Org, client_id: &str) -> Result<ClientRecord, AppError> {
        let now = self.app.now();
        let found = match self.app.clients.record(org.id, client_id, now) {
            Some(c) => Some(c),
            None => {
                let c = self.app.db.identity().client(org.id, client_id).await?;
                if let Some(c) = &c {
                    self.app.clients.keep(org.id, c.clone(), now);
                }
                c
            }
        };
        match found {
            Some(c) if c.active => Ok(c),
            _ => Err(IdentityError::InvalidClient.into()),
        }
    }

    /// Checks an authorization request and stores it as a pending sign-in.
    pub async fn begin(&self, org: &Org, p: &AuthorizeParams) -> Result<Started, AuthorizeRefusal> {
        let client_id = p.client_id.as_deref().ok_or_else(|| {
            AppError::from(IdentityError::InvalidRequest(
                "client_id is required".into(),
            ))
        })?;
        let client = self.client(org, client_id).await?;
        let redirect_uri = match p.redirect_uri.as_deref() {
            Some(r) if redirect_registered(&client.redirect_uris, r) => r.to_string(),
            Some(_) => {
                return Err(AppError::from(IdentityError::InvalidRequest(
                    "redirect_uri is not registered for this client".into(),
                ))
                .into())
            }
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => {
                return Err(AppError::from(IdentityError::InvalidRequest(
                    "redirect_uri is required".into(),
                ))
                .into())
            }
        };
        let refuse = |e: IdentityError| AuthorizeRefusal::Redirect {
            location: error_location(&redirect_uri, &e, p.state.as_deref()),
        };
        if p.response_type.as_deref() != Some("code") {
            return Err(refuse(IdentityError::UnsupportedResponseType));
        }
        let challenge = check_challenge(
            p.code_challenge.as_deref(),
            p.code_challenge_method.as_deref(),
        )
        .map_err(refuse)?;
        let requested = Scopes::parse(p.scope.as_deref().unwrap_or_default()).map_err(refuse)?;
        let scopes = Scopes::granted(&requested, &client.scopes).map_err(refuse)?;
        let now = self.app.now();
        let csrf = new_secret(CSRF_PREFIX, &random32());
        let request = RequestRecord {
            id: new_secret(REQUEST_PREFIX, &random32()),
            client_id: client.client_id.clone(),
            redirect_uri,
            scope: scopes.to_string(),
            state: p.state.clone(),
            code_challenge: challenge,
            csrf_hash: secret_hash(&csrf),
            identifier: None,
            customer_id: None,
            authenticated_at: None,
            expires_at: now.saturating_add(REQUEST_TTL).unwrap_or(now),
            done: false,
        };
        self.app
            .db
            .identity()
            .create_request(org.id, &request, now)
            .await
            .map_err(AppError::from)?;
        Ok(Started {
            request,
            csrf,
            client,
        })
    }

    /// The pending request a landing-page form names, when its CSRF token is the one
    /// issued for it, with its client.
    pub async fn pending(
        &self,
        org: &Org,
        request_id: &str,
        csrf: &str,
    ) -> Result<Started, AppError> {
        let request = self
            .app
            .db
            .identity()
            .request(org.id, request_id)
            .await?
            .ok_or(IdentityError::RequestExpired)?;
        if !fidelis_domain::credentials::secrets_equal(
            secret_hash(csrf).as_bytes(),
            request.csrf_hash.as_bytes(),
        ) {
            return Err(IdentityError::Csrf.into());
        }
        if request.done || request.expires_at <= self.app.now() {
            return Err(IdentityError::RequestExpired.into());
        }
        let client = self.client(org, &request.client_id).await?;
        Ok(Started {
            request,
            csrf: csrf.to_string(),
            client,
        })
    }

    /// After a correct OTP: the consent step, or straight back to the client with a code
    /// when the customer granted these scopes before.
    pub async fn after_sign_in(&self, org: &Org, s: Started) -> Result<AfterSignIn, AppError> {
        let customer = s.request.customer_id.ok_or(IdentityError::RequestExpired)?;
        let before = self
            .app
            .db
            .identity()
            .consent(org.id, customer, &s.client.client_id)
            .await?;
        let wanted = Scopes::parse(&s.request.scope)?;
        let granted = before.as_deref().map(Scopes::parse).transpose()?;
        if granted.is_some_and(|g| wanted.is_subset(&g)) {
            return Ok(AfterSignIn::Redirect(
                self.issue_code(org, &s.request, None).await?,
            ));
        }
        Ok(AfterSignIn::Consent(Box::new(s)))
    }

    /// The consent answer: a code when allowed, `access_denied` when not; both end the
    /// request and return where to send the browser.
    pub async fn consent(&self, org: &Org, s: &Started, allow: bool) -> Result<String, AppError> {
        if s.request.authenticated_at.is_none() {
            return Err(IdentityError::RequestExpired.into());
        }
        if allow {
            return self
                .issue_code(org, &s.request, Some(&s.request.scope))
                .await;
        }
        let mut unit = self.app.db.unit().await?;
        if !self
            .app
            .db
            .identity()
            .finish_request_in(&mut unit, org.id, &s.request.id, self.app.now())
            .await?
        {
            return Err(IdentityError::RequestExpired.into());
        }
        unit.commit().await?;
        let denied = IdentityError::InvalidRequest("the customer declined".into());
        let mut location =
            error_location(&s.request.redirect_uri, &denied, s.request.state.as_deref());
        location = location.replacen("error=invalid_request", "error=access_denied", 1);
        Ok(location)
    }

    /// Ends the request with a new code (recording consent when `consent` is given).
    async fn issue_code(
        &self,
        org: &Org,
        r: &RequestRecord,
        consent: Option<&str>,
    ) -> Result<String, AppError> {
        let customer = match (r.customer_id, r.authenticated_at) {
            (Some(c), Some(_)) => c,
            _ => return Err(IdentityError::RequestExpired.into()),
        };
        let now = self.app.now();
        let code = new_secret(CODE_PREFIX, &random32());
        let repo = self.app.db.identity();
        let mut unit = self.app.db.unit().await?;
        if !repo
            .finish_request_in(&mut unit, org.id, &r.id, now)
            .await?
        {
            return Err(IdentityError::RequestExpired.into());
        }
        if let Some(scope) = consent {
            repo.put_consent_in(&mut unit, org.id, customer, &r.client_id, scope, now)
                .await?;
        }
        let record = CodeRecord {
            code_hash: secret_hash(&code),
            client_id: r.client_id.clone(),
            redirect_uri: r.redirect_uri.clone(),
            code_challenge: r.code_challenge.clone(),
            customer_id: customer,
            scope: r.scope.clone(),
            family: hex_id(),
            expires_at: now.saturating_add(CODE_TTL).unwrap_or(now),
        };
        repo.insert_code_in(&mut unit, org.id, &record, now).await?;
        unit.commit().await?;
        let mut pairs = vec![("code", code.as_str())];
        if let Some(state) = r.state.as_deref() {
            pairs.push(("state", state));
        }
        Ok(with_query(&r.redirect_uri, &pairs))
    }

    /// `grant_type=authorization_code`: a code, once, for the client it was issued to, with
    /// the same redirect URI and the PKCE verifier. A replayed code revokes what it issued.
    pub async fn exchange_code(
        &self,
        org: &Org,
        client: &ClientRecord,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<TokenSet, AppError> {
        let now = self.app.now();
        let repo = self.app.db.identity();
        let invalid = |m: &str| AppError::from(IdentityError::InvalidGrant(m.to_string()));
        let mut unit = self.app.db.unit().await?;
        let taken = repo
            .take_code_in(&mut unit, org.id, &secret_hash(code), now)
            .await?;
        let record = match taken {
            Ok(Some(r)) => r,
            Ok(None) => return Err(invalid("the code is invalid")),
            Err(family) => {
                drop(unit);
                repo.revoke_family(org.id, &family, now).await?;
                return Err(invalid(
                    "the code was already used; the tokens issued from it are revoked",
                ));
            }
        };
        // The code is spent whatever happens next.
        unit.commit().await?;
        if record.client_id != client.client_id {
            return Err(invalid("the code was issued to another client"));
        }
        if record.expires_at <= now {
            return Err(invalid("the code has expired"));
        }
        if redirect_uri != Some(record.redirect_uri.as_str()) {
            return Err(invalid(
                "redirect_uri does not match the authorization request",
            ));
        }
        let Some(verifier) = verifier else {
            return Err(IdentityError::InvalidRequest("code_verifier is required".into()).into());
        };
        if !verifier_matches(verifier, &record.code_challenge) {
            return Err(invalid("code_verifier does not match the code_challenge"));
        }
        let family_expires = now
            .saturating_add(SignedDuration::from_secs(client.refresh_ttl_seconds))
            .unwrap_or(now);
        let mut unit = self.app.db.unit().await?;
        let set = self
            .issue_tokens(
                &mut unit,
                org,
                client,
                record.customer_id,
                &record.scope,
                &record.family,
                family_expires,
            )
            .await?;
        unit.commit().await?;
        Ok(set)
    }

    /// A fresh token pair for `customer_id` as `client_id` would get it after sign-in,
    /// without the sign-in: for `fidelis bench oauth`, which measures the token endpoints
    /// and the wrapper API, not the OTP page. No HTTP route reaches it.
    pub async fn issue_for_bench(
        &self,
        org: &Org,
        client_id: &str,
        customer_id: i64,
        scope: &str,
    ) -> Result<TokenSet, AppError> {
        let client = self.client(org, client_id).await?;
        let now = self.app.now();
        let family_expires = now
            .saturating_add(SignedDuration::from_secs(client.refresh_ttl_seconds))
            .unwrap_or(now);
        let family = hex_id();
        let mut unit = self.app.db.unit().await?;
        let set = self
            .issue_tokens(
                &mut unit,
                org,
                &client,
                customer_id,
                scope,
                &family,
                family_expires,
            )
            .await?;
        unit.commit().await?;
        Ok(set)
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue_tokens(
        &self,
        unit: &mut fidelis_store::Unit,
        org: &Org,
        client: &ClientRecord,
        customer_id: i64,
        scope: &str,
        family: &str,
        family_expires_at: Timestamp,
    ) -> Result<TokenSet, AppError> {
        let now = self.app.now();
        let access = new_secret(ACCESS_PREFIX, &random32());
        let refresh = new_secret(REFRESH_PREFIX, &random32());
        let access_until = now
            .saturating_add(SignedDuration::from_secs(client.access_ttl_seconds))
            .unwrap_or(now)
            .min(family_expires_at);
        let base = TokenRecord {
            org_id: org.id,
            token_hash: secret_hash(&access),
            kind: ACCESS.into(),
            family: family.to_string(),
            client_id: client.client_id.clone(),
            customer_id,
            scope: scope.to_string(),
            created_at: now,
            expires_at: access_until,
            family_expires_at,
            spent: false,
            revoked: false,
        };
        let repo = self.app.db.identity();
        repo.insert_token_in(unit, org.id, &base).await?;
        let refresh_record = TokenRecord {
            token_hash: secret_hash(&refresh),
            kind: REFRESH.into(),
            expires_at: family_expires_at,
            ..base
        };
        repo.insert_token_in(unit, org.id, &refresh_record).await?;
        Ok(TokenSet {
            access_token: access,
            refresh_token: refresh,
            expires_in: access_until.duration_since(now).as_secs(),
            scope: scope.to_string(),
        })
    }

    /// `grant_type=refresh_token`: rotates the refresh token (the old one is spent), with
    /// the same or fewer scopes. A spent refresh token revokes its whole family.
    pub async fn refresh(
        &self,
        org: &Org,
        client: &ClientRecord,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenSet, AppError> {
        let now = self.app.now();
        let repo = self.app.db.identity();
        let hash = secret_hash(refresh_token);
        let invalid = || {
            AppError::from(IdentityError::InvalidGrant(
                "the refresh token is invalid".into(),
            ))
        };
        let record = match repo.token(&hash).await? {
            Some(t)
                if t.org_id == org.id && t.kind == REFRESH && t.client_id == client.client_id =>
            {
                t
            }
            _ => return Err(invalid()),
        };
        if record.revoked || record.expires_at <= now {
            return Err(invalid());
        }
        let scopes = match scope.filter(|s| !s.trim().is_empty()) {
            None => Scopes::parse(&record.scope)?,
            Some(s) => {
                let asked = Scopes::parse(s)?;
                if !asked.is_subset(&Scopes::parse(&record.scope)?) {
                    return Err(IdentityError::InvalidScope(
                        "a refresh may not widen the scopes".into(),
                    )
                    .into());
                }
                asked
            }
        };
        let mut unit = self.app.db.unit().await?;
        if !repo.spend_refresh_in(&mut unit, org.id, &hash, now).await? {
            drop(unit);
            repo.revoke_family(org.id, &record.family, now).await?;
            return Err(IdentityError::InvalidGrant(
                "the refresh token was already used; every token of its grant is revoked".into(),
            )
            .into());
        }
        let set = self
            .issue_tokens(
                &mut unit,
                org,
                client,
                record.customer_id,
                &scopes.to_string(),
                &record.family,
                record.family_expires_at,
            )
            .await?;
        unit.commit().await?;
        Ok(set)
    }

    /// RFC 7009: revokes a token of this client (a refresh token takes its family with
    /// it); unknown tokens and other clients' tokens are ignored.
    pub async fn revoke(
        &self,
        org: &Org,
        client: &ClientRecord,
        token: &str,
    ) -> Result<(), AppError> {
        let repo = self.app.db.identity();
        let hash = secret_hash(token);
        let Some(t) = repo.token(&hash).await? else {
            return Ok(());
        };
        if t.org_id != org.id || t.client_id != client.client_id {
            return Ok(());
        }
        let now = self.app.now();
        if t.kind == REFRESH {
            repo.revoke_family(org.id, &t.family, now).await?;
        } else {
            repo.revoke_token(org.id, &hash, now).await?;
        }
        Ok(())
    }

    /// RFC 7662: the token's record when it is active for this org, else `None`.
    pub async fn introspect(
        &self,
        org: &Org,
        token: &str,
    ) -> Result<Option<TokenRecord>, AppError> {
        let t = self.app.db.identity().token(&secret_hash(token)).await?;
        let now = self.app.now();
        Ok(t.filter(|t| t.org_id == org.id && !t.revoked && !t.spent && t.expires_at > now))
    }

    /// The grant of a presented access token, or `InvalidToken`.
    pub async fn bearer(&self, token: &str) -> Result<Grant, AppError> {
        if !token.starts_with(ACCESS_PREFIX) {
            return Err(IdentityError::InvalidToken.into());
        }
        let t = self
            .app
            .db
            .identity()
            .token(&secret_hash(token))
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        if t.kind != ACCESS || t.revoked || t.expires_at <= self.app.now() {
            return Err(IdentityError::InvalidToken.into());
        }
        Ok(Grant {
            org_id: t.org_id,
            customer_id: t.customer_id,
            client_id: t.client_id,
            scopes: Scopes::parse(&t.scope)?,
        })
    }
}

/// A random 128-bit id, hex.
pub(crate) fn hex_id() -> String {
    random32()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `redirect_uri?error=…&error_description=…&state=…`.
fn error_location(redirect_uri: &str, e: &IdentityError, state: Option<&str>) -> String {
    let description = e.to_string();
    let mut pairs = vec![
        ("error", e.oauth_error()),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    with_query(redirect_uri, &pairs)
}
