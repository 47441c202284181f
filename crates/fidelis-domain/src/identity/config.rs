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
use std::ops::RangeInclusive;

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
    /// The OTP limits when the file has an `[identity.otp]` section; without one, the
    /// limits stay as they are (the defaults at first, or as the admin API set them).
    pub otp: Option<OtpConfig>,
}

pub const DEFAULT_ACCESS_TTL: i64 = 900;
pub const DEFAULT_REFRESH_TTL: i64 = 30 * 24 * 3600;
pub const ACCESS_TTL_RANGE: RangeInclusive<i64> = 60..=86_400;
pub const REFRESH_TTL_RANGE: RangeInclusive<i64> = 3600..=366 * 86_400;
/// The shortest client secret accepted.
pub const MIN_SECRET_LEN: usize = 16;

impl OtpConfig {
    /// Each limit's name and allowed range, in the order of [`OtpConfig::values`].
    pub const LIMITS: [(&'static str, RangeInclusive<i64>); 7] = [
        ("ttl_seconds", 60..=600),
        ("max_attempts", 1..=10),
        ("cooldown_seconds", 0..=600),
        ("per_hour", 1..=100),
        ("per_day", 1..=1000),
        ("org_per_hour", 1..=10_000_000),
        ("ip_per_hour", 1..=100_000),
    ];

    pub fn values(&self) -> [i64; 7] {
        [
            self.ttl_seconds,
            self.max_attempts,
            self.cooldown_seconds,
            self.per_hour,
            self.per_day,
            self.org_per_hour,
            self.ip_per_hour,
        ]
    }

    /// These limits with the numbers `v` (in [`OtpConfig::values`] order).
    pub fn with_values(self, v: [i64; 7]) -> Self {
        let [ttl_seconds, max_attempts, cooldown_seconds, per_hour, per_day, org_per_hour, ip_per_hour] =
            v;
        Self {
            ttl_seconds,
            max_attempts,
            cooldown_seconds,
            per_hour,
            per_day,
            org_per_hour,
            ip_per_hour,
            ..self
        }
    }

    /// The first limit outside its range, as `(name, message)`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for ((name, range), value) in Self::LIMITS.iter().zip(self.values()) {
            if !range.contains(&value) {
                return Err((
                    name,
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        Ok(())
    }
}

/// A client secret long enough to resist guessing.
pub fn secret_rule(secret: &str) -> Result<(), String> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(format!("must be at least {MIN_SECRET_LEN} characters"));
    }
    Ok(())
}

/// At least one redirect URI, each https (or http on loopback) without a fragment: the
/// URIs are later matched byte for byte, so what is stored is what must come back.
pub fn redirect_uris_rule(uris: &[String]) -> Result<(), String> {
    if uris.is_empty() {
        return Err("must name at least one redirect URI".into());
    }
    for uri in uris {
        let scheme_ok = uri.starts_with("https://")
            || uri.starts_with("http://127.0.0.1")
            || uri.starts_with("http://localhost")
            || uri.starts_with("http://[::1]");
        if !scheme_ok || uri.contains('#') || uri.chars().any(char::is_whitespace) {
            return Err(format!(
                "\"{uri}\" must be an https URL (or http on loopback) without a fragment"
            ));
        }
    }
    Ok(())
}

/// A non-empty space-separated list of known scopes.
pub fn client_scopes(raw: &str) -> Result<Scopes, String> {
    match Scopes::parse(raw) {
        Ok(s) if !s.is_empty() && s.iter().all(|x| KNOWN_SCOPES.contains(&x)) => Ok(s),
        _ => Err(format!(
            "must be a space-separated list of {}",
            KNOWN_SCOPES.join(", ")
        )),
    }
}

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
            if let Err(msg) = secret_rule(c.secret.get_ref()) {
                v.fail(&c.secret, format!("{field}.secret"), msg);
            }
            if let Err(msg) = redirect_uris_rule(c.redirect_uris.get_ref()) {
                v.fail(&c.redirect_uris, format!("{field}.redirect_uris"), msg);
            }
            let scopes = match client_scopes(c.scopes.get_ref()) {
                Ok(s) => s,
                Err(msg) => {
                    v.fail(&c.scopes, format!("{field}.scopes"), msg);
                    Scopes::default()
                }
            };
            let access = ttl(
                v,
                c.access_ttl_seconds,
                DEFAULT_ACCESS_TTL,
                ACCESS_TTL_RANGE,
                &format!("{field}.access_ttl_seconds"),
            );
            let refresh = ttl(
                v,
                c.refresh_ttl_seconds,
                DEFAULT_REFRESH_TTL,
                REFRESH_TTL_RANGE,
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
        let o = self.otp;
        let given = [
            o.ttl_seconds,
            o.max_attempts,
            o.cooldown_seconds,
            o.per_hour,
            o.per_day,
            o.org_per_hour,
            o.ip_per_hour,
        ];
        let points_validation = o.points_validation.map(|x| {
            PointsValidation::parse(x.get_ref()).unwrap_or_else(|| {
                v.fail(
                    &x,
                    "identity.otp.points_validation".to_string(),
                    "must be \"required\" or \"optional\"",
                );
                PointsValidation::default()
            })
        });
        let stated = given.iter().any(Option::is_some) || points_validation.is_some();
        let otp = stated.then(|| {
            let d = OtpConfig::default().values();
            let mut values = [0; 7];
            for (i, raw) in given.into_iter().enumerate() {
                let (name, range) = OtpConfig::LIMITS[i].clone();
                values[i] = ttl(v, raw, d[i], range, &format!("identity.otp.{name}"));
            }
            OtpConfig {
                points_validation: points_validation.unwrap_or_default(),
                ..OtpConfig::default().with_values(values)
            }
        });
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
