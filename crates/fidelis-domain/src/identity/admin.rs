//! Rules for partner clients and OTP limits set through the admin API: the same rules as
//! the org file's `[identity]` section, applied to partial changes.

use super::config::{
    client_scopes, redirect_uris_rule, ACCESS_TTL_RANGE, DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_TTL,
    REFRESH_TTL_RANGE,
};
use super::{IdentityError, OtpConfig, PointsValidation, Scopes};

/// Everything about a client but its id and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
    pub active: bool,
}

/// A change to a client's settings: only what is given changes.
#[derive(Debug, Clone, Default)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    /// Space-separated.
    pub scopes: Option<String>,
    pub access_ttl_seconds: Option<i64>,
    pub refresh_ttl_seconds: Option<i64>,
    pub active: Option<bool>,
}

fn invalid(field: &str, msg: impl std::fmt::Display) -> IdentityError {
    IdentityError::InvalidRequest(format!("{field} {msg}"))
}

/// A client id: 3 to 64 letters, digits, `.`, `_` or `-` (it appears in URLs and logs).
pub fn client_id_rule(id: &str) -> Result<(), IdentityError> {
    let ok = (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "clientId",
            "must be 3 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

impl ClientPatch {
    /// The settings of a new client `id`: redirect URIs and scopes are required.
    pub fn create(&self, id: &str) -> Result<ClientSettings, IdentityError> {
        if self.redirect_uris.is_none() {
            return Err(invalid("redirectUris", "is required"));
        }
        if self.scopes.is_none() {
            return Err(invalid("scopes", "is required"));
        }
        let blank = ClientSettings {
            name: id.to_string(),
            redirect_uris: Vec::new(),
            scopes: Scopes::default(),
            access_ttl_seconds: DEFAULT_ACCESS_TTL,
            refresh_ttl_seconds: DEFAULT_REFRESH_TTL,
            active: true,
        };
        self.apply_to(blank)
    }

    /// `current` with this change, checked as a whole.
    pub fn apply_to(&self, current: ClientSettings) -> Result<ClientSettings, IdentityError> {
        let mut s = current;
        if let Some(name) = &self.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(invalid("name", "must be 1 to 100 characters"));
            }
            s.name = name.to_string();
        }
        if let Some(uris) = &self.redirect_uris {
            redirect_uris_rule(uris).map_err(|m| invalid("redirectUris", m))?;
            if uris.len() > 20 {
                return Err(invalid("redirectUris", "may name at most 20 URIs"));
            }
            s.redirect_uris = uris.clone();
        }
        if let Some(raw) = &self.scopes {
            s.scopes = client_scopes(raw).map_err(|m| invalid("scopes", m))?;
        }
        if let Some(t) = self.access_ttl_seconds {
            s.access_ttl_seconds = within(t, &ACCESS_TTL_RANGE, "accessTtlSeconds")?;
        }
        if let Some(t) = self.refresh_ttl_seconds {
            s.refresh_ttl_seconds = within(t, &REFRESH_TTL_RANGE, "refreshTtlSeconds")?;
        }
        if let Some(a) = self.active {
            s.active = a;
        }
        Ok(s)
    }
}

fn within(
    v: i64,
    range: &std::ops::RangeInclusive<i64>,
    field: &str,
) -> Result<i64, IdentityError> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(invalid(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// A change to the OTP settings: the limits by [`OtpConfig::LIMITS`] order, and whether
/// points redemptions need a code. Only what is given changes.
#[derive(Debug, Clone, Default)]
pub struct OtpPatch {
    pub limits: [Option<i64>; 7],
    pub points_validation: Option<PointsValidation>,
}

impl OtpPatch {
    pub fn apply_to(&self, current: &OtpConfig) -> Result<OtpConfig, IdentityError> {
        let mut values = current.values();
        for (slot, given) in values.iter_mut().zip(self.limits) {
            if let Some(v) = given {
                *slot = v;
            }
        }
        let mut next = current.with_values(values);
        if let Some(p) = self.points_validation {
            next.points_validation = p;
        }
        next.check().map_err(|(name, msg)| invalid(name, msg))?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch() -> ClientPatch {
        ClientPatch {
            redirect_uris: Some(vec!["https://app.example/cb".into()]),
            scopes: Some("points profile".into()),
            ..ClientPatch::default()
        }
    }

    #[test]
    fn a_new_client_needs_redirect_uris_and_scopes_and_gets_the_default_lifetimes() {
        let s = patch().create("shop-app").unwrap();
        assert_eq!(s.name, "shop-app");
        assert_eq!(s.scopes.to_string(), "points profile");
        assert_eq!(s.access_ttl_seconds, DEFAULT_ACCESS_TTL);
        assert!(s.active);
        let no_uris = ClientPatch {
            redirect_uris: None,
            ..patch()
        };
        assert!(no_uris.create("shop-app").is_err());
        let no_scopes = ClientPatch {
            scopes: None,
            ..patch()
        };
        assert!(no_scopes.create("shop-app").is_err());
    }

    #[test]
    fn changes_follow_the_org_file_rules() {
        let s = patch().create("shop-app").unwrap();
        let bad = [
            ClientPatch {
                redirect_uris: Some(vec!["http://app.example/cb".into()]),
                ..ClientPatch::default()
            },
            ClientPatch {
                redirect_uris: Some(vec!["https://app.example/cb#x".into()]),
                ..ClientPatch::default()
            },
            ClientPatch {
                scopes: Some("points admin".into()),
                ..ClientPatch::default()
            },
            ClientPatch {
                access_ttl_seconds: Some(59),
                ..ClientPatch::default()
            },
            ClientPatch {
                name: Some("  ".into()),
                ..ClientPatch::default()
            },
        ];
        for p in bad {
            assert!(p.apply_to(s.clone()).is_err(), "{p:?}");
        }
        let off = ClientPatch {
            active: Some(false),
            ..ClientPatch::default()
        }
        .apply_to(s.clone())
        .unwrap();
        assert!(!off.active);
        assert_eq!(off.redirect_uris, s.redirect_uris);
    }

    #[test]
    fn client_ids_are_url_safe() {
        assert!(client_id_rule("demo-partner").is_ok());
        for bad in ["ab", "a b c", "x/y", "é-app", &"a".repeat(65)] {
            assert!(client_id_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn otp_limits_change_one_at_a_time_within_their_ranges() {
        let d = OtpConfig::default();
        let mut p = OtpPatch::default();
        p.limits[1] = Some(3);
        assert_eq!(p.apply_to(&d).unwrap().max_attempts, 3);
        assert_eq!(p.apply_to(&d).unwrap().ttl_seconds, d.ttl_seconds);
        p.limits[0] = Some(5);
        assert!(p.apply_to(&d).is_err());
    }
}
