//! The `[identity]` section of an org file: partner OAuth clients and the OTP limits.
//!
//! ```toml
//! [[identity.clients]]
//! client_id = "demo-partner"
//! name = "Demo Partner App"
//! secret = "demo-partner-secret"
//! redirect_uris = ["http://127.0.0.1:8765/callback"]
//! scopes = "profile points coupons"
//! access_ttl_seconds = 900
//! refresh_ttl_seconds = 2592000
//!
//! [identity.otp]
//! ttl_seconds = 300
//! max_attempts = 5
//! points_validation = "required"   # or "optional": v1.1 points redemption codes
//! ```

use std::collections::HashSet;

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

use super::{Scopes, KNOWN_SCOPES};
use crate::org::config::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySection {
    #[serde(default)]
    clients: Vec<RawClient>,
    #[serde(default)]
    otp: RawOtp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    client_id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    secret: Spanned<String>,
    redirect_uris: Spanned<Vec<String>>,
    scopes: Spanned<String>,
    #[serde(default)]
    access_ttl_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    refresh_ttl_seconds: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOtp {
    ttl_seconds: Option<Spanned<i64>>,
    max_attempts: Option<Spanned<i64>>,
    cooldown_seconds: Option<Spanned<i64>>,
    per_hour: Option<Spanned<i64>>,
    per_day: Option<Spanned<i64>>,
    org_per_hour: Option<Spanned<i64>>,
    ip_per_hour: Option<Spanned<i64>>,
    points_validation: Option<Spanned<String>>,
}

/// A partner client as declared.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub client_id: String,
    pub name: String,
    pub secret: SecretString,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
}

/// Whether `POST /v1.1/points/redeem` must present a validation code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PointsValidation {
    /// Every redemption needs a valid code (Capillary marks `validation_code` mandatory).
    #[default]
    Required,
    /// Only a redemption that asks for it (`validation_type=SMS`) or brings a code.
    Optional,
}

impl PointsValidation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Optional => "optional",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "required" => Some(Self::Required),
            "optional" => Some(Self::Optional),
            _ => None,
        }
    }
}

/// OTP lifetimes and limits (org-configurable; defaults per the security rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpConfig {
    pub ttl_seconds: i64,
    pub max_attempts: i64,
    pub cooldown_seconds: i64,
    pub per_hour: i64,
    pub per_day: i64,
    pub org_per_hour: i64,
    pub ip_per_hour: i64,
    pub points_validation: PointsValidation,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            ttl_seconds: 300,
            max_attempts: 5,
            cooldown_seconds: 30,
            per_hour: 5,
            per_day: 10,
            org_per_hour: 10_000,
            ip_per_hour: 50,
            points_validation: PointsValidation::Required,
        }
    }
}

/// The validated section.
#[derive(Debug, Clone, Default)]
pub struct IdentityConfig {
    pub clients: Vec<ClientSpec>,
    pub otp: OtpConfig,
}

pub const DEFAULT_ACCESS_TTL: i64 = 900;
pub const DEFAULT_REFRESH_TTL: i64 = 30 * 24 * 3600;

impl IdentitySection {
    pub fn validate(self, v: &mut Validator<'_>) -> IdentityConfig {
        let mut seen = HashSet::new();
        let mut clients = Vec::new();
        for (i, c) in self.clients.into_iter().enumerate() {
            let field = format!("identity.clients[{i}]");
            let client_id = v.code(&c.client_id, format!("{field}.client_id"));
            if !seen.insert(client_id.clone()) {
                v.fail(
                    &c.client_id,
                    format!("{field}.client_id"),
                    format!("duplicate client_id \"{client_id}\""),
                );
            }
            if c.secret.get_ref().len() < 16 {
                v.fail(
                    &c.secret,
                    format!("{field}.secret"),
                    "must be at least 16 characters",
                );
            }
            if c.redirect_uris.get_ref().is_empty() {
                v.fail(
                    &c.redirect_uris,
                    format!("{field}.redirect_uris"),
                    "must name at least one redirect URI",
                );
            }
            for uri in c.redirect_uris.get_ref() {
                let scheme_ok = uri.starts_with("https://")
                    || uri.starts_with("http://127.0.0.1")
                    || uri.starts_with("http://localhost")
                    || uri.starts_with("http://[::1]");
                if !scheme_ok || uri.contains('#') || uri.chars().any(char::is_whitespace) {
                    v.fail(
                        &c.redirect_uris,
                        format!("{field}.redirect_uris"),
                        format!("\"{uri}\" must be an https URL (or http on loopback) without a fragment"),
                    );
                }
            }
            let scopes = match Scopes::parse(c.scopes.get_ref()) {
                Ok(s) if !s.is_empty() && s.iter().all(|x| KNOWN_SCOPES.contains(&x)) => s,
                _ => {
                    v.fail(
                        &c.scopes,
                        format!("{field}.scopes"),
                        format!(
                            "must be a space-separated list of {}",
                            KNOWN_SCOPES.join(", ")
                        ),
                    );
                    Scopes::default()
                }
            };
            let access = ttl(
                v,
                c.access_ttl_seconds,
                DEFAULT_ACCESS_TTL,
                60..=86_400,
                &format!("{field}.access_ttl_seconds"),
            );
            let refresh = ttl(
                v,
                c.refresh_ttl_seconds,
                DEFAULT_REFRESH_TTL,
                3600..=366 * 86_400,
                &format!("{field}.refresh_ttl_seconds"),
            );
            clients.push(ClientSpec {
                name: c.name.unwrap_or_else(|| client_id.clone()),
                client_id,
                secret: SecretString::from(c.secret.into_inner()),
                redirect_uris: c.redirect_uris.into_inner(),
                scopes,
                access_ttl_seconds: access,
                refresh_ttl_seconds: refresh,
            });
        }
        let d = OtpConfig::default();
        let o = self.otp;
        let otp = OtpConfig {
            ttl_seconds: ttl(
                v,
                o.ttl_seconds,
                d.ttl_seconds,
                60..=600,
                "identity.otp.ttl_seconds",
            ),
            max_attempts: ttl(
                v,
                o.max_attempts,
                d.max_attempts,
                1..=10,
                "identity.otp.max_attempts",
            ),
            cooldown_seconds: ttl(
                v,
                o.cooldown_seconds,
                d.cooldown_seconds,
                0..=600,
                "identity.otp.cooldown_seconds",
            ),
            per_hour: ttl(v, o.per_hour, d.per_hour, 1..=100, "identity.otp.per_hour"),
            per_day: ttl(v, o.per_day, d.per_day, 1..=1000, "identity.otp.per_day"),
            org_per_hour: ttl(
                v,
                o.org_per_hour,
                d.org_per_hour,
                1..=10_000_000,
                "identity.otp.org_per_hour",
            ),
            ip_per_hour: ttl(
                v,
                o.ip_per_hour,
                d.ip_per_hour,
                1..=100_000,
                "identity.otp.ip_per_hour",
            ),
            points_validation: match o.points_validation {
                None => d.points_validation,
                Some(x) => PointsValidation::parse(x.get_ref()).unwrap_or_else(|| {
                    v.fail(
                        &x,
                        "identity.otp.points_validation".to_string(),
                        "must be \"required\" or \"optional\"",
                    );
                    d.points_validation
                }),
            },
        };
        IdentityConfig { clients, otp }
    }
}

/// A whole number within `range`, or `default` when not given.
fn ttl(
    v: &mut Validator<'_>,
    at: Option<Spanned<i64>>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    field: &str,
) -> i64 {
    match at {
        None => default,
        Some(x) if range.contains(x.get_ref()) => *x.get_ref(),
        Some(x) => {
            let msg = format!("must be between {} and {}", range.start(), range.end());
            v.fail(&x, field.to_string(), msg);
            default
        }
    }
}
