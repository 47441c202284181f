//! Identifier types and how their values are normalised before they are stored or looked up.
//! Normalising on the way in is what makes `+65 9123 4567` and `91234567` the same customer.

use serde::{Deserialize, Serialize};

use super::error::{CustomerError, MAX_NAME_LEN};

/// Longest identifier value (other than email, which follows RFC 5321's 254).
pub const MAX_IDENTIFIER_LEN: usize = 100;
const MAX_EMAIL_LEN: usize = 254;

/// The kinds of customer identifier Capillary documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IdentifierType {
    #[serde(rename = "mobile")]
    Mobile,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "externalId")]
    ExternalId,
    #[serde(rename = "wechat")]
    Wechat,
    #[serde(rename = "martjackId")]
    MartjackId,
    #[serde(rename = "fbId")]
    FbId,
    #[serde(rename = "tmall_uname")]
    TmallUname,
    #[serde(rename = "cuid")]
    Cuid,
    #[serde(rename = "ali_uname")]
    AliUname,
    #[serde(rename = "jd_uname")]
    JdUname,
    #[serde(rename = "vip_uname")]
    VipUname,
    #[serde(rename = "line")]
    Line,
    #[serde(rename = "unionId")]
    UnionId,
    #[serde(rename = "cardnumber", alias = "card", alias = "cardNumber")]
    CardNumber,
    /// Only a lookup key: the external id of a card, which rides on a `cardnumber` identifier.
    #[serde(rename = "cardExternalId")]
    CardExternalId,
}

impl IdentifierType {
    pub const ALL: [IdentifierType; 15] = [
        Self::Mobile,
        Self::Email,
        Self::ExternalId,
        Self::Wechat,
        Self::MartjackId,
        Self::FbId,
        Self::TmallUname,
        Self::Cuid,
        Self::AliUname,
        Self::JdUname,
        Self::VipUname,
        Self::Line,
        Self::UnionId,
        Self::CardNumber,
        Self::CardExternalId,
    ];

    /// The wire name, as Capillary writes it in responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::ExternalId => "externalId",
            Self::Wechat => "wechat",
            Self::MartjackId => "martjackId",
            Self::FbId => "fbId",
            Self::TmallUname => "tmall_uname",
            Self::Cuid => "cuid",
            Self::AliUname => "ali_uname",
            Self::JdUname => "jd_uname",
            Self::VipUname => "vip_uname",
            Self::Line => "line",
            Self::UnionId => "unionId",
            Self::CardNumber => "cardnumber",
            Self::CardExternalId => "cardExternalId",
        }
    }

    /// Case-insensitive parse (`identifierName` is spelled `cardNumber` on some endpoints and
    /// `card` in some doc text); unknown → 8013.
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("card") {
            return Ok(Self::CardNumber);
        }
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| CustomerError::InvalidIdentifierName(s.to_string()))
    }

    /// Whether a profile may carry this identifier (cardExternalId is only a lookup key).
    pub fn is_registrable(self) -> bool {
        self != Self::CardExternalId
    }

    /// Identifiers an account holds at most one of; a customer may hold several cards.
    pub fn is_single_valued(self) -> bool {
        !matches!(self, Self::CardNumber | Self::CardExternalId)
    }

    /// The order Fidelis tries identifiers in when it needs one to anchor on.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Mobile => 0,
            Self::Email => 1,
            Self::ExternalId => 2,
            Self::CardNumber => 3,
            _ => 4,
        }
    }

    /// The "already exists for another customer" error for this type.
    pub fn exists_error(self) -> CustomerError {
        match self {
            Self::Mobile => CustomerError::MobileExists,
            Self::Email => CustomerError::EmailExists,
            Self::ExternalId => CustomerError::ExternalIdExists,
            other => CustomerError::IdentifierExists(other.as_str().to_string()),
        }
    }
}

impl std::fmt::Display for IdentifierType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalised identifier. Build it with [`Identifier::new`] so the value is always in the
/// stored form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: IdentifierType,
    pub value: String,
}

impl Identifier {
    /// Normalises `raw` for `kind`; `country` is the org's ISO alpha-2 code (mobiles only).
    pub fn new(kind: IdentifierType, raw: &str, country: &str) -> Result<Self, CustomerError> {
        Ok(Self {
            kind,
            value: normalise_identifier(kind, raw, country)?,
        })
    }
}

/// The stored form of an identifier value.
pub fn normalise_identifier(
    kind: IdentifierType,
    raw: &str,
    country: &str,
) -> Result<String, CustomerError> {
    match kind {
        IdentifierType::Mobile => normalise_mobile(raw, country),
        IdentifierType::Email => normalise_email(raw),
        IdentifierType::ExternalId => normalise_external_id(raw),
        other => {
            let v = raw.trim();
            if v.is_empty() {
                return Err(CustomerError::InvalidInput(format!(
                    "{} must not be empty",
                    other.as_str()
                )));
            }
            if v.chars().count() > MAX_IDENTIFIER_LEN {
                return Err(CustomerError::InvalidInput(format!(
                    "{} is longer than {MAX_IDENTIFIER_LEN} characters",
                    other.as_str()
                )));
            }
            Ok(v.to_string())
        }
    }
}

/// Capillary's mobile form: country calling code + national number, digits only, no `+`.
///
/// A number written with `+` or `00` is international. A bare number is first read as a
/// national number of the org's country (`91234567` in SG, also `6591234567` since the
/// parser strips a leading country code), and only if that is not a valid number, as an
/// international number without its `+` (`919999000001` in an SG org is an Indian mobile).
/// Validity (length and number ranges) comes from libphonenumber's metadata.
pub fn normalise_mobile(raw: &str, country: &str) -> Result<String, CustomerError> {
    let invalid = || CustomerError::InvalidMobile(raw.trim().to_string());
    let trimmed = raw.trim();
    // Separators people type; anything else (letters, extensions) is refused.
    let compact: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}'))
        .collect();
    let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix("00") {
        (true, rest)
    } else {
        (false, compact.as_str())
    };
    if digits.is_empty() || digits.len() > 17 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let region = country
        .trim()
        .to_ascii_uppercase()
        .parse::<phonenumber::country::Id>()
        .ok();
    if !international {
        if let Some(region) = region {
            if let Some(n) = valid_number(Some(region), digits) {
                return Ok(n);
            }
        }
    }
    valid_number(None, &format!("+{digits}")).ok_or_else(invalid)
}

fn valid_number(region: Option<phonenumber::country::Id>, text: &str) -> Option<String> {
    let number = phonenumber::parse(region, text).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    Some(e164.trim_start_matches('+').to_string())
}

/// Trimmed and lowercased, then checked for a plausible `local@domain.tld` shape.
pub fn normalise_email(raw: &str) -> Result<String, CustomerError> {
    let v = raw.trim().to_lowercase();
    let invalid = || CustomerError::InvalidEmail(raw.trim().to_string());
    if v.is_empty() || v.len() > MAX_EMAIL_LEN {
        return Err(invalid());
    }
    let (local, domain) = v.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.len() >= 2);
    if local_ok && domain_ok {
        Ok(v)
    } else {
        Err(invalid())
    }
}

/// Trimmed, non-empty, at most [`MAX_IDENTIFIER_LEN`] characters, no control characters.
/// Case is kept: external ids come from other systems that may be case-sensitive.
pub fn normalise_external_id(raw: &str) -> Result<String, CustomerError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(CustomerError::InvalidExternalId("must not be empty".into()));
    }
    if v.chars().count() > MAX_IDENTIFIER_LEN {
        return Err(CustomerError::InvalidExternalId(format!(
            "longer than {MAX_IDENTIFIER_LEN} characters"
        )));
    }
    if v.chars().any(char::is_control) {
        return Err(CustomerError::InvalidExternalId(
            "contains control characters".into(),
        ));
    }
    Ok(v.to_string())
}

/// Trims a free-text field (names, reasons) and enforces `max` characters; empty → `None`.
pub fn normalise_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, CustomerError> {
    let Some(v) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(CustomerError::TooLong { field, max });
    }
    Ok(Some(v.to_string()))
}

/// A first or last name: trimmed (as Capillary does), at most [`MAX_NAME_LEN`] characters.
pub fn normalise_name(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<String>, CustomerError> {
    normalise_text(field, raw, MAX_NAME_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    #[test]
    fn identifier_types_round_trip_and_aliases() {
        for t in IdentifierType::ALL {
            assert_eq!(IdentifierType::parse(t.as_str()).unwrap(), t);
        }
        assert_eq!(
            IdentifierType::parse("card").unwrap(),
            IdentifierType::CardNumber
        );
        assert_eq!(
            IdentifierType::parse("cardNumber").unwrap(),
            IdentifierType::CardNumber
        );
        assert_eq!(
            IdentifierType::parse("EXTERNALID").unwrap(),
            IdentifierType::ExternalId
        );
        assert_eq!(IdentifierType::parse("phone").unwrap_err().code(), 8013);
        assert!(!IdentifierType::CardExternalId.is_registrable());
        assert!(IdentifierType::Mobile.is_registrable());
        let t: IdentifierType = serde_json::from_str("\"tmall_uname\"").unwrap();
        assert_eq!(t, IdentifierType::TmallUname);
        let t: IdentifierType = serde_json::from_str("\"card\"").unwrap();
        assert_eq!(t, IdentifierType::CardNumber);
        assert_eq!(
            serde_json::to_string(&IdentifierType::UnionId).unwrap(),
            "\"unionId\""
        );
    }

    #[test]
    fn mobile_normalised_by_org_country() {
        assert_eq!(
            normalise_mobile("+65 9123 4567", "SG").unwrap(),
            "6591234567"
        );
        assert_eq!(normalise_mobile("91234567", "SG").unwrap(), "6591234567");
        assert_eq!(normalise_mobile("6591234567", "SG").unwrap(), "6591234567");
        assert_eq!(
            normalise_mobile("0065-9123-4567", "SG").unwrap(),
            "6591234567"
        );
    }

    #[test]
    fn mobile_with_country_code_stays_as_is() {
        assert_eq!(
            normalise_mobile("919999000001", "SG").unwrap(),
            "919999000001"
        );
        assert_eq!(
            normalise_mobile("919999000001", "IN").unwrap(),
            "919999000001"
        );
        assert_eq!(
            normalise_mobile("9999000001", "IN").unwrap(),
            "919999000001"
        );
        assert_eq!(
            normalise_mobile("+91 99990 00001", "US").unwrap(),
            "919999000001"
        );
    }

    #[test]
    fn mobile_other_countries() {
        assert_eq!(
            normalise_mobile("(201) 555-0123", "US").unwrap(),
            "12015550123"
        );
        assert_eq!(
            normalise_mobile("07400 123456", "GB").unwrap(),
            "447400123456"
        );
        assert_eq!(
            normalise_mobile("+44 7400 123456", "SG").unwrap(),
            "447400123456"
        );
        assert_eq!(
            normalise_mobile("0412 345 678", "AU").unwrap(),
            "61412345678"
        );
        // Italian numbers keep their leading zero after the country code.
        assert_eq!(
            normalise_mobile("06 6982 1234", "IT").unwrap(),
            "390669821234"
        );
    }

    #[test]
    fn invalid_mobiles_are_1001() {
        for bad in [
            "",
            "abc",
            "12",
            "+65 1234",
            "9123456x",
            "91234567890123456789",
            "+",
        ] {
            let e = normalise_mobile(bad, "SG").unwrap_err();
            assert_eq!(e.code(), 1001, "{bad}");
        }
        // Not an SG number and not a valid international one either.
        assert_eq!(normalise_mobile("12345678", "SG").unwrap_err().code(), 1001);
    }

    #[test]
    fn mobile_with_unknown_country_needs_country_code() {
        assert_eq!(normalise_mobile("6591234567", "??").unwrap(), "6591234567");
        assert!(normalise_mobile("91234567", "").is_err());
    }

    #[test]
    fn emails_trimmed_lowercased_validated() {
        assert_eq!(
            normalise_email("  Tom.Sawyer+x@Example.COM ").unwrap(),
            "tom.sawyer+x@example.com"
        );
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a@@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@-example.com",
            "a..b@example.com",
            "a@example.c0m",
        ] {
            assert_eq!(normalise_email(bad).unwrap_err().code(), 1002, "{bad}");
        }
    }

    #[test]
    fn external_id_rules() {
        assert_eq!(normalise_external_id("  ext-1 ").unwrap(), "ext-1");
        assert_eq!(normalise_external_id("AbC").unwrap(), "AbC");
        assert_eq!(normalise_external_id("   ").unwrap_err().code(), 1003);
        assert_eq!(
            normalise_external_id(&"x".repeat(101)).unwrap_err().code(),
            1003
        );
        assert!(normalise_external_id(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn generic_identifiers_trimmed_and_bounded() {
        let id = Identifier::new(IdentifierType::Cuid, " cuid_1 ", "SG").unwrap();
        assert_eq!(id.value, "cuid_1");
        assert_eq!(
            Identifier::new(IdentifierType::Wechat, "", "SG")
                .unwrap_err()
                .code(),
            400
        );
        assert!(Identifier::new(IdentifierType::CardNumber, &"9".repeat(101), "SG").is_err());
        let m = Identifier::new(IdentifierType::Mobile, "9123 4567", "SG").unwrap();
        assert_eq!(m.value, "6591234567");
    }

    #[test]
    fn names_trimmed_and_limited() {
        assert_eq!(
            normalise_name("firstName", Some("  Tom "))
                .unwrap()
                .as_deref(),
            Some("Tom")
        );
        assert_eq!(normalise_name("firstName", Some("   ")).unwrap(), None);
        let e = normalise_name("lastName", Some(&"é".repeat(101))).unwrap_err();
        assert_eq!(
            e,
            CustomerError::TooLong {
                field: "lastName",
                max: 100
            }
        );
        assert!(normalise_name("lastName", Some(&"é".repeat(100))).is_ok());
    }
}
