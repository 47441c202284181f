//! "Sign in with Google": who of the people Google vouches for may enter the console.
//!
//! The protocol (discovery, the token exchange, the ID token's signature, issuer, audience,
//! expiry and nonce) is checked in `fidelis-app`; what is left is the org's rule, written
//! here: a verified email of the org's Workspace domain (`hd`), naming an active staff user
//! of that org, from the one Google account (`sub`) that user is pinned to.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::config::email_rule;
use crate::credentials::token_from_bytes;

/// How long a started Google sign-in may take to come back.
pub const LOGIN_TTL: SignedDuration = SignedDuration::from_mins(10);

/// Whether a Google sign-in started at `started` may still finish at `now`.
pub fn login_alive(started: Timestamp, now: Timestamp) -> bool {
    now >= started && now.duration_since(started) < LOGIN_TTL
}

/// The PKCE verifier of a sign-in, derived from the browser's secret (its cookie), so the
/// database keeps only hashes and the verifier never leaves the server.
pub fn pkce_verifier(browser_secret: &str) -> String {
    derive("fidelis-console-pkce", browser_secret)
}

/// The nonce of a sign-in, derived like the PKCE verifier: a token can only finish the
/// sign-in whose browser secret it was issued for.
pub fn nonce(browser_secret: &str) -> String {
    derive("fidelis-console-nonce", browser_secret)
}

fn derive(purpose: &str, secret: &str) -> String {
    let digest: [u8; 32] = Sha256::digest(format!("{purpose}\n{secret}").as_bytes()).into();
    token_from_bytes(&digest)
}

/// What a verified ID token says about the person signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleAccount {
    /// Google's stable id of the account.
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// The Workspace domain of the account (`hd`); none for a personal account.
    pub hosted_domain: Option<String>,
}

impl GoogleAccount {
    /// The email to look the staff user up by (lower case), if it is a plausible address.
    pub fn lookup_email(&self) -> Option<String> {
        self.email.as_deref().and_then(|e| email_rule(e).ok())
    }
}

/// A staff user as the rule needs them.
#[derive(Debug, Clone, Copy)]
pub struct Invitee<'a> {
    pub active: bool,
    /// The Workspace domain of the user's org (`[console] google_domain`), lower case.
    pub org_domain: Option<&'a str>,
    /// The Google account the user is pinned to, after a first Google sign-in.
    pub pinned_sub: Option<&'a str>,
}

/// What to do once the account is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The user is already pinned to this account.
    Pinned,
    /// A first Google sign-in: pin the user to this account.
    PinNow,
}

/// Why the ID token itself was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFault {
    #[error("it has expired")]
    Expired,
    #[error("it was issued for another application")]
    Audience,
    #[error("it was not issued by the configured provider")]
    Issuer,
    #[error("its signature does not verify")]
    Signature,
    #[error("it belongs to another sign-in")]
    Nonce,
    #[error("it is missing or malformed")]
    Malformed,
}

/// Why a Google sign-in was refused. Each says what the person can do about it; none
/// carries a stack trace or a provider's raw answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoogleRefusal {
    #[error("sign-in with Google is not configured on this server")]
    NotConfigured,
    #[error(
        "this Google sign-in has expired or was already used; start again from the sign-in page"
    )]
    UnknownLogin,
    #[error("Google did not sign you in ({0}); start again from the sign-in page")]
    Provider(String),
    #[error("Google could not be reached to finish the sign-in; try again in a moment")]
    Unreachable,
    #[error("Google's sign-in token was refused: {0}")]
    Token(TokenFault),
    #[error("the email address of this Google account is not verified")]
    EmailUnverified,
    #[error(
        "this is not a Google Workspace account; sign in with your organisation's Google account"
    )]
    NotWorkspace,
    #[error("Google accounts of {0} cannot sign in to this console")]
    WrongDomain(String),
    #[error("{0} is not a Member Care user; ask an admin of your organisation to add you")]
    NotInvited(String),
    #[error("this Member Care user signs in with another Google account")]
    OtherAccount,
}

impl GoogleRefusal {
    /// Refusals of the person's account (as opposed to the sign-in's mechanics).
    pub fn is_about_the_account(&self) -> bool {
        matches!(
            self,
            Self::EmailUnverified
                | Self::NotWorkspace
                | Self::WrongDomain(_)
                | Self::NotInvited(_)
                | Self::OtherAccount
        )
    }
}

/// Whether `account` may sign in as the staff user its email names (`None`: no such user).
/// The checks run in an order that never tells a stranger more than their own account's
/// standing: verification and Workspace membership first, then the invitation, then the
/// domain and the pinning.
pub fn admit(
    account: &GoogleAccount,
    staff: Option<Invitee<'_>>,
) -> Result<Admission, GoogleRefusal> {
    let email = match account.lookup_email() {
        Some(e) if account.email_verified => e,
        _ => return Err(GoogleRefusal::EmailUnverified),
    };
    let hd = account
        .hosted_domain
        .as_deref()
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .ok_or(GoogleRefusal::NotWorkspace)?;
    let Some(staff) = staff.filter(|s| s.active) else {
        return Err(GoogleRefusal::NotInvited(email));
    };
    if staff.org_domain != Some(hd.as_str()) {
        return Err(GoogleRefusal::WrongDomain(hd));
    }
    match staff.pinned_sub {
        None => Ok(Admission::PinNow),
        Some(pinned) if pinned == account.sub => Ok(Admission::Pinned),
        Some(_) => Err(GoogleRefusal::OtherAccount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(email: &str, verified: bool, hd: Option<&str>) -> GoogleAccount {
        GoogleAccount {
            sub: "108".into(),
            email: Some(email.into()),
            email_verified: verified,
            hosted_domain: hd.map(Into::into),
        }
    }

    const STAFF: Invitee<'static> = Invitee {
        active: true,
        org_domain: Some("demo.example"),
        pinned_sub: None,
    };

    #[test]
    fn a_verified_workspace_account_of_the_org_is_admitted_and_pinned_once() {
        let a = account("Agent@Demo.Example", true, Some("Demo.Example"));
        assert_eq!(admit(&a, Some(STAFF)), Ok(Admission::PinNow));
        let pinned = Invitee {
            pinned_sub: Some("108"),
            ..STAFF
        };
        assert_eq!(admit(&a, Some(pinned)), Ok(Admission::Pinned));
    }

    #[test]
    fn another_account_with_the_same_email_is_refused_once_pinned() {
        let a = account("agent@demo.example", true, Some("demo.example"));
        let pinned = Invitee {
            pinned_sub: Some("999"),
            ..STAFF
        };
        assert_eq!(admit(&a, Some(pinned)), Err(GoogleRefusal::OtherAccount));
    }

    #[test]
    fn unverified_emails_and_personal_accounts_are_refused_first() {
        let unverified = account("agent@demo.example", false, Some("demo.example"));
        assert_eq!(
            admit(&unverified, Some(STAFF)),
            Err(GoogleRefusal::EmailUnverified)
        );
        let no_email = GoogleAccount {
            email: None,
            ..account("x@demo.example", true, Some("demo.example"))
        };
        assert_eq!(
            admit(&no_email, Some(STAFF)),
            Err(GoogleRefusal::EmailUnverified)
        );
        for hd in [None, Some(""), Some("  ")] {
            let personal = account("agent@demo.example", true, hd);
            assert_eq!(
                admit(&personal, Some(STAFF)),
                Err(GoogleRefusal::NotWorkspace),
                "{hd:?}"
            );
        }
    }

    #[test]
    fn only_active_staff_of_an_org_of_that_domain_are_admitted() {
        let a = account("agent@demo.example", true, Some("demo.example"));
        assert_eq!(
            admit(&a, None),
            Err(GoogleRefusal::NotInvited("agent@demo.example".into()))
        );
        let inactive = Invitee {
            active: false,
            ..STAFF
        };
        assert!(matches!(
            admit(&a, Some(inactive)),
            Err(GoogleRefusal::NotInvited(_))
        ));
        let other = account("agent@demo.example", true, Some("other.example"));
        assert_eq!(
            admit(&other, Some(STAFF)),
            Err(GoogleRefusal::WrongDomain("other.example".into()))
        );
        let no_google = Invitee {
            org_domain: None,
            ..STAFF
        };
        assert!(matches!(
            admit(&a, Some(no_google)),
            Err(GoogleRefusal::WrongDomain(_))
        ));
    }

    #[test]
    fn a_login_lives_ten_minutes() {
        let t: Timestamp = "2026-12-01T08:00:00Z".parse().unwrap_or_default();
        assert!(login_alive(t, t));
        assert!(login_alive(t, t + SignedDuration::from_secs(599)));
        assert!(!login_alive(t, t + SignedDuration::from_secs(600)));
        assert!(!login_alive(t, t - SignedDuration::from_secs(1)));
    }

    #[test]
    fn secrets_derived_from_the_browser_differ_by_purpose_and_browser() {
        let v = pkce_verifier("browser-a");
        // RFC 7636: 43 to 128 unreserved characters.
        assert_eq!(v.len(), 43);
        assert!(v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        assert_ne!(v, nonce("browser-a"));
        assert_ne!(v, pkce_verifier("browser-b"));
        assert_eq!(v, pkce_verifier("browser-a"));
    }
}
