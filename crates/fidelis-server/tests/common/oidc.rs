//! An OpenID provider on 127.0.0.1 speaking the real protocol, for "Sign in with Google"
//! tests: the discovery document, the JWKS, an authorization endpoint that signs in the
//! account the test chose (as Google would after the person picked it) and redirects back
//! with a code, and a token endpoint that checks the client, the redirect URI and the PKCE
//! verifier before answering with an RS256 ID token signed by a key generated here.
//!
//! A test can make the provider misbehave (`Tamper`) to check that the console refuses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use fidelis_domain::clock::{Clock, FixedClock};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "fidelis-console.apps.example";
pub const CLIENT_SECRET: &str = "provider-client-secret";
const KID: &str = "test-key-1";

/// The account the provider signs in next.
#[derive(Debug, Clone)]
pub struct Account {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub hd: Option<String>,
}

impl Account {
    /// A verified Workspace account: `hd` is the email's domain.
    pub fn workspace(sub: &str, email: &str) -> Self {
        let hd = email.split_once('@').map(|(_, d)| d.to_string());
        Self {
            sub: sub.into(),
            email: email.into(),
            email_verified: true,
            hd,
        }
    }
}

/// How the provider spoils the next ID token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// Issued for another client (`aud`).
    Audience,
    /// Expired a minute before the app's now.
    Expired,
    /// The payload changed after signing (the signature no longer matches).
    Forged,
    /// Issued by another issuer (`iss`).
    Issuer,
    /// Carries the nonce of the previous sign-in instead of this one's.
    PreviousNonce,
}

struct Key {
    encoding: EncodingKey,
    n: String,
    e: String,
}

/// One RSA key per test process (generating one is slow).
fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let der = private.to_pkcs1_der().unwrap();
        Key {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        }
    })
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    account: Account,
    tamper: Tamper,
}

struct Inner {
    issuer: String,
    clock: Option<Arc<FixedClock>>,
    next: Option<(Account, Tamper)>,
    codes: HashMap<String, Grant>,
    last_nonce: Option<String>,
    /// Token requests answered (so a test can tell a refusal came before the exchange).
    token_requests: usize,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<Inner>>);

pub struct Provider {
    pub issuer: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Provider {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let shared = Shared(Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            clock: None,
            next: None,
            codes: HashMap::new(),
            last_nonce: None,
            token_requests: 0,
        })));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        key();
        Self {
            issuer,
            shared,
            stop: Some(stop),
        }
    }

    /// Issue tokens at this clock's time (the app's).
    pub fn use_clock(&self, clock: Arc<FixedClock>) {
        self.shared.0.lock().unwrap().clock = Some(clock);
    }

    /// The account the next authorization signs in, and how its token is spoiled.
    pub fn next(&self, account: Account, tamper: Tamper) {
        self.shared.0.lock().unwrap().next = Some((account, tamper));
    }

    pub fn token_requests(&self) -> usize {
        self.shared.0.lock().unwrap().token_requests
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn discovery(State(s): State<Shared>) -> Json<Value> {
    let issuer = s.0.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "email_verified", "hd", "iss", "aud", "exp", "iat", "nonce"]
    }))
}

async fn jwks() -> Json<Value> {
    let k = key();
    Json(
        json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
        "n": k.n, "e": k.e}]}),
    )
}

fn oauth_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": code}))).into_response()
}

/// Signs the chosen account in at once and redirects back with a code.
async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code"
        || get("client_id") != CLIENT_ID
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
        || get("nonce").is_empty()
        || !get("scope").split(' ').any(|s| s == "openid")
    {
        return oauth_error("invalid_request");
    }
    let mut inner = s.0.lock().unwrap();
    let Some((account, tamper)) = inner.next.take() else {
        return oauth_error("access_denied");
    };
    let code = format!("code-{}", uuid::Uuid::new_v4());
    inner.codes.insert(
        code.clone(),
        Grant {
            redirect_uri: get("redirect_uri"),
            challenge: get("code_challenge"),
            nonce: get("nonce"),
            account,
            tamper,
        },
    );
    let sep = if get("redirect_uri").contains('?') {
        '&'
    } else {
        '?'
    };
    let to = format!(
        "{}{sep}code={code}&state={}&scope=email+openid&authuser=0&prompt=none",
        get("redirect_uri"),
        urlencode(&get("state"))
    );
    Redirect::to(&to).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The client's credentials, from Basic auth or the form.
fn client_of(headers: &HeaderMap, form: &HashMap<String, String>) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
        // Form-encoded before base64 (RFC 6749 2.3.1); the test client's id and secret have
        // nothing to encode.
        let (id, secret) = decoded.split_once(':')?;
        return Some((id.to_string(), secret.to_string()));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut inner = s.0.lock().unwrap();
    inner.token_requests += 1;
    if client_of(&headers, &form) != Some((CLIENT_ID.into(), CLIENT_SECRET.into())) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error("unsupported_grant_type");
    }
    // A code is good once.
    let Some(grant) = form.get("code").and_then(|c| inner.codes.remove(c)) else {
        return oauth_error("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if form.get("redirect_uri") != Some(&grant.redirect_uri) || challenge != grant.challenge {
        return oauth_error("invalid_grant");
    }
    let now = inner
        .clock
        .as_ref()
        .map_or_else(jiff::Timestamp::now, |c| c.now())
        .as_second();
    let nonce = match grant.tamper {
        Tamper::PreviousNonce => inner.last_nonce.clone().unwrap_or_default(),
        _ => grant.nonce.clone(),
    };
    inner.last_nonce = Some(grant.nonce.clone());
    let a = &grant.account;
    let mut claims = json!({
        "iss": if grant.tamper == Tamper::Issuer { "https://evil.example" } else { &inner.issuer },
        "aud": if grant.tamper == Tamper::Audience { "another-app.apps.example" } else { CLIENT_ID },
        "azp": CLIENT_ID,
        "sub": a.sub,
        "email": a.email,
        "email_verified": a.email_verified,
        "iat": now,
        "exp": if grant.tamper == Tamper::Expired { now - 60 } else { now + 3600 },
        "nonce": nonce,
    });
    if let Some(hd) = &a.hd {
        claims["hd"] = json!(hd);
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    let mut id_token = jsonwebtoken::encode(&header, &claims, &key().encoding).unwrap();
    if grant.tamper == Tamper::Forged {
        // Another account's claims under the original signature.
        claims["sub"] = json!("forged-sub");
        claims["email"] = json!("admin@demo-retail.example");
        let parts: Vec<&str> = id_token.split('.').collect();
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        id_token = format!("{}.{payload}.{}", parts[0], parts[2]);
    }
    Json(json!({
        "access_token": format!("at-{}", uuid::Uuid::new_v4()),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid email",
        "id_token": id_token,
    }))
    .into_response()
}
