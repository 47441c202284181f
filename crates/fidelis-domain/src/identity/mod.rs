//! The identity context: partner OAuth 2.0 (authorization code with PKCE, refresh-token
//! rotation) and customer sign-in with one-time codes (OTPs).
//!
//! Pure rules only: scope sets, exact redirect matching, PKCE S256, the shape and hashing of
//! codes and tokens, the OTP's HMAC and its sending limits. Randomness and "now" are passed
//! in; storage and transport live in the store and server crates.

pub mod admin;
pub mod authengine;
pub mod config;
mod error;
pub mod otp;

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

pub use admin::{client_id_rule, ClientPatch, ClientSettings, OtpPatch};
pub use authengine::AuthEngineError;
pub use config::{ClientSpec, IdentityConfig, OtpConfig, PointsValidation};
pub use error::IdentityError;

/// The scopes the wrapper API knows.
pub const KNOWN_SCOPES: [&str; 3] = ["profile", "points", "coupons"];

/// Prefixes that make leaked secrets recognisable to secret scanners.
pub const CODE_PREFIX: &str = "fid_ac_";
pub const ACCESS_PREFIX: &str = "fid_at_";
pub const REFRESH_PREFIX: &str = "fid_rt_";
pub const REQUEST_PREFIX: &str = "fid_rq_";
pub const CSRF_PREFIX: &str = "fid_cs_";
pub const CLIENT_SECRET_PREFIX: &str = "fid_sk_";

/// How long an authorization code lives.
pub const CODE_TTL: SignedDuration = SignedDuration::from_secs(60);
/// How long a sign-in (landing page) request lives.
pub const REQUEST_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);

/// A set of scopes, kept sorted; rendered space-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space-separated list (RFC 6749 §3.3 scope-tokens).
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let mut set = BTreeSet::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            let ok = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
            if !ok {
                return Err(IdentityError::InvalidScope(format!(
                    "scope `{}` has characters a scope may not have",
                    token.escape_default()
                )));
            }
            set.insert(token.to_string());
        }
        Ok(Self(set))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_subset(&self, of: &Scopes) -> bool {
        self.0.is_subset(&of.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// `requested` when it is a subset of what is `allowed`; everything allowed when the
    /// request names none.
    pub fn granted(requested: &Scopes, allowed: &Scopes) -> Result<Scopes, IdentityError> {
        if requested.is_empty() {
            return Ok(allowed.clone());
        }
        match requested.0.difference(&allowed.0).next() {
            Some(extra) => Err(IdentityError::InvalidScope(format!(
                "scope `{extra}` is not allowed for this client"
            ))),
            None => Ok(requested.clone()),
        }
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<&str> = self.iter().collect();
        f.write_str(&list.join(" "))
    }
}

/// Redirect URIs are compared byte for byte (RFC 9700 §2.1): no normalisation, prefixes
/// or wildcards.
pub fn redirect_registered(registered: &[String], presented: &str) -> bool {
    registered
        .iter()
        .any(|r| r.as_bytes() == presented.as_bytes())
}

/// Checks the `code_challenge` and its method of an authorization request: S256 only
/// (a missing method would mean `plain`, RFC 7636 §4.3).
pub fn check_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<String, IdentityError> {
    let Some(challenge) = challenge.filter(|c| !c.is_empty()) else {
        return Err(IdentityError::InvalidRequest(
            "code_challenge is required (PKCE with S256)".into(),
        ));
    };
    if method != Some("S256") {
        return Err(IdentityError::InvalidRequest(
            "code_challenge_method must be S256".into(),
        ));
    }
    let ok = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(IdentityError::InvalidRequest(
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)".into(),
        ));
    }
    Ok(challenge.to_string())
}

/// Whether `verifier` (RFC 7636 §4.1: 43-128 unreserved characters) hashes to `challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let shaped = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !shaped {
        return false;
    }
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    bool::from(digest.as_bytes().ct_eq(challenge.as_bytes()))
}

/// A new opaque secret: `prefix` and 256 random bits in base64url.
pub fn new_secret(prefix: &str, random: &[u8; 32]) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random))
}

/// What is stored for a code, token or CSRF token: its SHA-256, hex.
pub fn secret_hash(secret: &str) -> String {
    crate::credentials::sha256_hex(secret)
}

/// A six-digit OTP from a random number below one million.
pub fn otp_code(n: u32) -> String {
    format!("{:06}", n % 1_000_000)
}

/// HMAC-SHA256 under the org's OTP key over (org, identifier, transaction, code), hex.
pub fn otp_hmac(key: &[u8], org_id: i64, identifier: &str, txn: &str, code: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    for part in [org_id.to_string().as_str(), identifier, txn, code] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `code` is the OTP whose HMAC is `stored`, compared in constant time.
pub fn otp_matches(
    key: &[u8],
    org_id: i64,
    identifier: &str,
    txn: &str,
    code: &str,
    stored: &str,
) -> bool {
    let mine = otp_hmac(key, org_id, identifier, txn, code);
    !mine.is_empty() && bool::from(mine.as_bytes().ct_eq(stored.as_bytes()))
}

/// What the database counted before a send.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendCounts {
    /// When the identifier was last sent a code.
    pub last_sent: Option<Timestamp>,
    pub identifier_hour: i64,
    pub identifier_day: i64,
    pub ip_hour: i64,
    pub org_hour: i64,
}

impl OtpConfig {
    /// Whether one more code may be sent now.
    pub fn check_send(&self, counts: &SendCounts, now: Timestamp) -> Result<(), IdentityError> {
        if let Some(last) = counts.last_sent {
            let since = now.duration_since(last).as_secs();
            if since < self.cooldown_seconds {
                return Err(IdentityError::OtpCooldown(self.cooldown_seconds - since));
            }
        }
        if counts.identifier_hour >= self.per_hour
            || counts.identifier_day >= self.per_day
            || counts.ip_hour >= self.ip_per_hour
            || counts.org_hour >= self.org_per_hour
        {
            return Err(IdentityError::OtpLimit);
        }
        Ok(())
    }

    pub fn ttl(&self) -> SignedDuration {
        SignedDuration::from_secs(self.ttl_seconds)
    }
}

/// An identifier a customer signs in with, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInId {
    Mobile(String),
    Email(String),
}

impl SignInId {
    /// An email when it has an `@`, else a mobile number (normalised with `country`).
    pub fn parse(raw: &str, country: &str) -> Result<Self, IdentityError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 254 {
            return Err(IdentityError::InvalidIdentifier);
        }
        if raw.contains('@') {
            crate::customers::identifiers::normalise_email(raw)
                .map(Self::Email)
                .map_err(|_| IdentityError::InvalidIdentifier)
        } else {
            crate::customers::identifiers::normalise_mobile(raw, country)
                .map(Self::Mobile)
                .map_err(|_| IdentityError::InvalidIdentifier)
        }
    }

    /// The identifier type's name in the customers context.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Mobile(_) => "mobile",
            Self::Email(_) => "email",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Self::Mobile(v) | Self::Email(v) => v,
        }
    }
}

/// `uri` with `pairs` appended to its query, percent-encoded (RFC 3986 unreserved kept).
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        sep = '&';
        out.push_str(&percent(k));
        out.push('=');
        out.push_str(&percent(v));
    }
    out
}

/// Decodes `%XX` escapes and `+` (application/x-www-form-urlencoded, as client ids and
/// secrets in Basic credentials are encoded: RFC 6749 §2.3.1). `None` when not UTF-8.
pub fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_round_trips() {
        assert_eq!(form_decode("a%20b+c%3A").as_deref(), Some("a b c:"));
        assert_eq!(form_decode("%zz"), None);
    }

    #[test]
    fn queries_are_appended_encoded() {
        assert_eq!(
            with_query(
                "https://a.example/cb?x=1",
                &[("code", "a b"), ("state", "s&t")]
            ),
            "https://a.example/cb?x=1&code=a%20b&state=s%26t"
        );
    }

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(check_challenge(Some(challenge), Some("S256")).is_ok());
        assert!(check_challenge(Some(challenge), Some("plain")).is_err());
        assert!(check_challenge(Some(challenge), None).is_err());
        assert!(check_challenge(None, Some("S256")).is_err());
    }

    #[test]
    fn redirects_match_byte_for_byte_only() {
        let reg = vec!["http://127.0.0.1:8765/callback".to_string()];
        assert!(redirect_registered(&reg, "http://127.0.0.1:8765/callback"));
        assert!(!redirect_registered(&reg, "http://127.0.0.1:8765/callbacK"));
        assert!(!redirect_registered(
            &reg,
            "http://127.0.0.1:8765/callback/"
        ));
        assert!(!redirect_registered(
            &reg,
            "http://127.0.0.1:8765/callback?x=1"
        ));
    }

    #[test]
    fn scopes_narrow_but_never_widen() {
        let allowed = Scopes::parse("profile points coupons").unwrap();
        let asked = Scopes::parse("points  profile").unwrap();
        assert_eq!(
            Scopes::granted(&asked, &allowed).unwrap().to_string(),
            "points profile"
        );
        assert!(Scopes::granted(&Scopes::parse("admin").unwrap(), &allowed).is_err());
        assert_eq!(
            Scopes::granted(&Scopes::default(), &allowed).unwrap(),
            allowed
        );
        assert!(Scopes::parse("a\"b").is_err());
    }

    #[test]
    fn otp_hmac_binds_every_part() {
        let h = otp_hmac(b"key", 1, "6591230000", "t1", "123456");
        assert!(otp_matches(b"key", 1, "6591230000", "t1", "123456", &h));
        assert!(!otp_matches(b"key", 2, "6591230000", "t1", "123456", &h));
        assert!(!otp_matches(b"key", 1, "6591230000", "t2", "123456", &h));
        assert!(!otp_matches(b"key", 1, "6591230000", "t1", "123457", &h));
        assert!(!otp_matches(b"other", 1, "6591230000", "t1", "123456", &h));
        assert_eq!(otp_code(42), "000042");
    }

    #[test]
    fn sends_are_limited() {
        let c = OtpConfig::default();
        let now: Timestamp = "2026-11-25T04:00:00Z".parse().unwrap();
        let recent = SendCounts {
            last_sent: Some(now - SignedDuration::from_secs(10)),
            ..SendCounts::default()
        };
        assert!(matches!(
            c.check_send(&recent, now),
            Err(IdentityError::OtpCooldown(20))
        ));
        let many = SendCounts {
            identifier_hour: 5,
            ..SendCounts::default()
        };
        assert_eq!(c.check_send(&many, now), Err(IdentityError::OtpLimit));
        assert!(c.check_send(&SendCounts::default(), now).is_ok());
    }
}
