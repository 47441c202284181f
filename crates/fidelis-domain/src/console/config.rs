//! The `[console]` section of an org file: the staff who sign in to the console and the
//! Google Workspace domain whose accounts may sign in with Google.
//!
//! ```toml
//! [console]
//! google_domain = "demo-retail.example"
//!
//! [[console.staff]]
//! email = "admin@demo-retail.example"
//! name = "Demo Admin"
//! role = "org_owner"           # standard | admin | org_owner
//! password = "demo-admin-pw"   # optional: without one, Google sign-in only
//! ```

use std::collections::HashSet;

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

use super::Role;
use crate::org::config::Validator;

/// The shortest staff password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSection {
    #[serde(default)]
    google_domain: Option<Spanned<String>>,
    #[serde(default)]
    staff: Vec<RawStaff>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    email: Spanned<String>,
    name: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    password: Option<Spanned<String>>,
}

/// A staff user as declared.
#[derive(Debug, Clone)]
pub struct StaffSpec {
    /// Lower case.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<SecretString>,
}

/// The validated section.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// Lower case; `None`: no Google sign-in for this org.
    pub google_domain: Option<String>,
    pub staff: Vec<StaffSpec>,
}

/// A plausible email address, lower-cased: one `@`, something on each side, a dot in the
/// domain, no spaces.
pub fn email_rule(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_ascii_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if ok {
        Ok(email)
    } else {
        Err(format!("\"{raw}\" is not an email address"))
    }
}

pub fn password_rule(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    Ok(())
}

impl ConsoleSection {
    pub fn validate(self, v: &mut Validator<'_>) -> ConsoleConfig {
        let google_domain = self.google_domain.map(|d| {
            let domain = d.get_ref().trim().to_ascii_lowercase();
            if domain.is_empty() || !domain.contains('.') || domain.contains('@') {
                v.fail(&d, "console.google_domain".into(), "must be a domain name");
            }
            domain
        });
        let mut seen = HashSet::new();
        let mut staff = Vec::new();
        for (i, s) in self.staff.into_iter().enumerate() {
            let field = format!("console.staff[{i}]");
            let email = match email_rule(s.email.get_ref()) {
                Ok(e) => e,
                Err(msg) => {
                    v.fail(&s.email, format!("{field}.email"), msg);
                    continue;
                }
            };
            if !seen.insert(email.clone()) {
                v.fail(
                    &s.email,
                    format!("{field}.email"),
                    format!("duplicate staff email \"{email}\""),
                );
            }
            let name = v.text(&s.name, format!("{field}.name"));
            let Some(role) = Role::parse(s.role.get_ref()) else {
                v.fail(
                    &s.role,
                    format!("{field}.role"),
                    "must be standard, admin or org_owner",
                );
                continue;
            };
            if let Some(p) = &s.password {
                if let Err(msg) = password_rule(p.get_ref()) {
                    v.fail(p, format!("{field}.password"), msg);
                }
            }
            staff.push(StaffSpec {
                email,
                name,
                role,
                password: s.password.map(|p| SecretString::from(p.into_inner())),
            });
        }
        ConsoleConfig {
            google_domain,
            staff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            email_rule(" Agent@Demo.Example "),
            Ok("agent@demo.example".into())
        );
        for bad in [
            "agent",
            "@demo.example",
            "agent@demo",
            "a b@demo.example",
            "a@b@c.example",
        ] {
            assert!(email_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(password_rule("short").is_err());
        assert!(password_rule("demo-agent-pw").is_ok());
    }
}
