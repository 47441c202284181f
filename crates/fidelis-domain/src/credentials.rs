//! Capillary credential conventions: Basic auth carries `till_code:md5hex(password)`;
//! API tokens are opaque random strings stored only as their SHA-256 digest.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// What a till presents: its code and the MD5 hex of its password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    pub password_md5: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password_md5", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasicParseError {
    #[error("authorization header is not Basic")]
    NotBasic,
    #[error("authorization header is not valid base64")]
    BadBase64,
    #[error("authorization header must be `till:md5hex(password)`")]
    BadShape,
}

/// Parses an `Authorization` header value of the form `Basic base64(code:md5hex)`.
pub fn parse_basic(header: &str) -> Result<BasicCredentials, BasicParseError> {
    let (scheme, rest) = header
        .trim()
        .split_once(' ')
        .ok_or(BasicParseError::NotBasic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(BasicParseError::NotBasic);
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| BasicParseError::BadBase64)?;
    let text = String::from_utf8(decoded).map_err(|_| BasicParseError::BadBase64)?;
    let (user, pass) = text.split_once(':').ok_or(BasicParseError::BadShape)?;
    // Older Capillary samples put a space after the colon; tolerate it.
    let pass = pass.trim();
    if user.is_empty() || pass.is_empty() {
        return Err(BasicParseError::BadShape);
    }
    Ok(BasicCredentials {
        username: user.to_string(),
        password_md5: pass.to_ascii_lowercase(),
    })
}

/// `md5hex(password)`, the form a till sends its password in.
pub fn md5_hex(password: &str) -> String {
    hex::encode(Md5::digest(password.as_bytes()))
}

/// The header value a till with this code and password sends.
pub fn basic_header(till_code: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{till_code}:{}", md5_hex(password)))
    )
}

/// SHA-256 of a secret as lowercase hex: how tokens are stored and looked up.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh opaque token from 32 random bytes supplied by the caller (the domain does no I/O).
pub fn token_from_bytes(bytes: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Constant-time equality for secrets.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capillary_documented_example_round_trips() {
        // capillary-examples.md A.1
        assert_eq!(md5_hex("server123"), "8a16a6b70505eb1f1ff7cdc0cd5559a7");
        let header = basic_header("store.server", "server123");
        assert_eq!(
            header,
            "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
        );
        let creds = parse_basic(&header).unwrap();
        assert_eq!(creds.username, "store.server");
        assert_eq!(creds.password_md5, "8a16a6b70505eb1f1ff7cdc0cd5559a7");
    }

    #[test]
    fn malformed_headers_are_rejected() {
        assert_eq!(parse_basic("Bearer abc"), Err(BasicParseError::NotBasic));
        assert_eq!(parse_basic("Basic"), Err(BasicParseError::NotBasic));
        assert_eq!(parse_basic("Basic !!!"), Err(BasicParseError::BadBase64));
        let no_colon = format!("Basic {}", STANDARD.encode("tillonly"));
        assert_eq!(parse_basic(&no_colon), Err(BasicParseError::BadShape));
        let empty_pass = format!("Basic {}", STANDARD.encode("till:"));
        assert_eq!(parse_basic(&empty_pass), Err(BasicParseError::BadShape));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let creds = parse_basic(&basic_header("t", "secret")).unwrap();
        let shown = format!("{creds:?}");
        assert!(!shown.contains(&md5_hex("secret")));
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
    }
}
