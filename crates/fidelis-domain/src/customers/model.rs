//! Core customer types: ids, sources and source accounts, loyalty type.

use serde::{Deserialize, Serialize};

use super::error::CustomerError;

crate::id::id_type!(
    /// Capillary's customer (user) id: a long on the wire.
    CustomerId
);

/// Where a customer profile comes from. A customer has one profile per (source, account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    Facebook,
    WebEngage,
    Wechat,
    Instore,
    Martjack,
    Tmall,
    Taobao,
    Jd,
    Ecommerce,
    Website,
    Line,
    MobileApp,
}

impl Source {
    pub const ALL: [Source; 12] = [
        Self::Facebook,
        Self::WebEngage,
        Self::Wechat,
        Self::Instore,
        Self::Martjack,
        Self::Tmall,
        Self::Taobao,
        Self::Jd,
        Self::Ecommerce,
        Self::Website,
        Self::Line,
        Self::MobileApp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "FACEBOOK",
            Self::WebEngage => "WEB_ENGAGE",
            Self::Wechat => "WECHAT",
            Self::Instore => "INSTORE",
            Self::Martjack => "MARTJACK",
            Self::Tmall => "TMALL",
            Self::Taobao => "TAOBAO",
            Self::Jd => "JD",
            Self::Ecommerce => "ECOMMERCE",
            Self::Website => "WEBSITE",
            Self::Line => "LINE",
            Self::MobileApp => "MOBILE_APP",
        }
    }

    /// Case-insensitive parse of the wire name; unknown → 8012.
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| CustomerError::InvalidSource(s.to_string()))
    }

    /// Lookups also accept `ALL` (search every source): `Ok(None)` means all.
    pub fn parse_filter(s: &str) -> Result<Option<Self>, CustomerError> {
        if s.trim().eq_ignore_ascii_case("ALL") {
            Ok(None)
        } else {
            Self::parse(s).map(Some)
        }
    }

    /// Sources where one org has several accounts (e.g. several WeChat official accounts),
    /// so every request must name the `accountId`.
    pub fn is_multi_account(self) -> bool {
        matches!(
            self,
            Self::Facebook | Self::WebEngage | Self::Wechat | Self::MobileApp | Self::Line
        )
    }

    /// Whether a `mobilePush` comm channel may be registered from this source.
    pub fn supports_mobile_push(self) -> bool {
        matches!(
            self,
            Self::MobileApp | Self::Instore | Self::Martjack | Self::Ecommerce | Self::Website
        )
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scope identifiers are unique in: a source, plus the account for multi-account sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceAccount {
    pub source: Source,
    /// Always `None` for single-account sources, always `Some` for multi-account ones.
    pub account_id: Option<String>,
}

impl SourceAccount {
    /// Builds the scope from request parameters: multi-account sources need a non-empty
    /// `accountId` (8045); single-account sources ignore one, as Capillary does.
    pub fn new(source: Source, account_id: Option<&str>) -> Result<Self, CustomerError> {
        let account = account_id.map(str::trim).filter(|a| !a.is_empty());
        if !source.is_multi_account() {
            return Ok(Self {
                source,
                account_id: None,
            });
        }
        match account {
            Some(a) if a.chars().count() > super::error::MAX_NAME_LEN => {
                Err(CustomerError::InvalidSourceAccount(a.to_string()))
            }
            Some(a) => Ok(Self {
                source,
                account_id: Some(a.to_string()),
            }),
            None => Err(CustomerError::AccountIdRequired(source.as_str().into())),
        }
    }
}

/// Whether the customer is a loyalty member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoyaltyType {
    /// Capillary documents no default when `loyaltyType` is absent; Fidelis enrols, since
    /// registering through a loyalty API is what almost every caller means.
    #[default]
    Loyalty,
    NonLoyalty,
}

impl LoyaltyType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loyalty => "loyalty",
            Self::NonLoyalty => "non_loyalty",
        }
    }

    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "loyalty" => Ok(Self::Loyalty),
            "non_loyalty" | "nonloyalty" => Ok(Self::NonLoyalty),
            _ => Err(CustomerError::InvalidInput(format!("loyaltyType {s}"))),
        }
    }

    /// An update may enrol a non-loyalty customer but never the reverse (1046).
    pub fn change_to(self, to: LoyaltyType) -> Result<LoyaltyType, CustomerError> {
        match (self, to) {
            (Self::Loyalty, Self::NonLoyalty) => Err(CustomerError::LoyaltyDowngrade),
            _ => Ok(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    #[test]
    fn source_parses_case_insensitively() {
        assert_eq!(Source::parse("instore").unwrap(), Source::Instore);
        assert_eq!(Source::parse(" Mobile_App ").unwrap(), Source::MobileApp);
        assert_eq!(Source::parse("WEB_ENGAGE").unwrap(), Source::WebEngage);
        assert_eq!(Source::parse("POS").unwrap_err().code(), 8012);
        assert_eq!(Source::parse_filter("all").unwrap(), None);
        assert_eq!(Source::parse_filter("jd").unwrap(), Some(Source::Jd));
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn multi_account_sources() {
        let multi: Vec<_> = Source::ALL
            .into_iter()
            .filter(|s| s.is_multi_account())
            .collect();
        assert_eq!(
            multi,
            vec![
                Source::Facebook,
                Source::WebEngage,
                Source::Wechat,
                Source::Line,
                Source::MobileApp
            ]
        );
    }

    #[test]
    fn source_account_requires_account_for_multi_account() {
        let e = SourceAccount::new(Source::Wechat, None).unwrap_err();
        assert_eq!(e.code(), 8045);
        assert_eq!(
            SourceAccount::new(Source::Wechat, Some("  "))
                .unwrap_err()
                .code(),
            8045
        );
        let ok = SourceAccount::new(Source::Wechat, Some(" wx1 ")).unwrap();
        assert_eq!(ok.account_id.as_deref(), Some("wx1"));
        let single = SourceAccount::new(Source::Instore, Some("ignored")).unwrap();
        assert_eq!(single.account_id, None);
    }

    #[test]
    fn loyalty_type_cannot_downgrade() {
        assert_eq!(
            LoyaltyType::parse("NON_LOYALTY").unwrap(),
            LoyaltyType::NonLoyalty
        );
        assert!(LoyaltyType::parse("gold").is_err());
        assert_eq!(
            LoyaltyType::NonLoyalty.change_to(LoyaltyType::Loyalty),
            Ok(LoyaltyType::Loyalty)
        );
        assert_eq!(
            LoyaltyType::Loyalty
                .change_to(LoyaltyType::NonLoyalty)
                .unwrap_err()
                .code(),
            1046
        );
    }
}
