//! Communication channels on a profile (`commChannels[]`).

use serde::{Deserialize, Serialize};

use super::error::CustomerError;
use super::identifiers::{normalise_email, normalise_mobile, normalise_text, MAX_IDENTIFIER_LEN};
use super::model::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CommChannelType {
    #[serde(rename = "mobile")]
    Mobile,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "wechat")]
    Wechat,
    #[serde(rename = "ios")]
    Ios,
    #[serde(rename = "android")]
    Android,
    #[serde(rename = "line")]
    Line,
    #[serde(rename = "mobilePush")]
    MobilePush,
    #[serde(rename = "whatsapp")]
    Whatsapp,
}

impl CommChannelType {
    pub const ALL: [CommChannelType; 8] = [
        Self::Mobile,
        Self::Email,
        Self::Wechat,
        Self::Ios,
        Self::Android,
        Self::Line,
        Self::MobilePush,
        Self::Whatsapp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::Wechat => "wechat",
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Line => "line",
            Self::MobilePush => "mobilePush",
            Self::Whatsapp => "whatsapp",
        }
    }

    /// Case-insensitive; unknown → 8010 (invalid comm channel).
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| CustomerError::InvalidCommChannel(s.to_string()))
    }
}

/// One validated `commChannels[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommChannel {
    pub kind: CommChannelType,
    /// Mobile number / email in stored form; a token or handle otherwise.
    pub value: String,
    pub primary: bool,
    pub verified: bool,
    /// `subscribed` as sent; `None` when absent (see `subscriptions::from_comm_channels`).
    pub subscribed: Option<bool>,
}

impl CommChannel {
    /// Validates a channel for a profile of `source`. Mobile and email values are normalised
    /// like identifiers (1001/1002); `mobilePush` is only accepted from sources that support it.
    pub fn new(
        source: Source,
        kind: CommChannelType,
        raw_value: &str,
        country: &str,
        flags: ChannelFlags,
    ) -> Result<Self, CustomerError> {
        let value = match kind {
            CommChannelType::Mobile | CommChannelType::Whatsapp => {
                normalise_mobile(raw_value, country)?
            }
            CommChannelType::Email => normalise_email(raw_value)?,
            // Push tokens can be long (FCM ~160 chars); allow a generous bound.
            CommChannelType::MobilePush | CommChannelType::Ios | CommChannelType::Android => {
                if kind == CommChannelType::MobilePush && !source.supports_mobile_push() {
                    return Err(CustomerError::InvalidCommChannel(format!(
                        "mobilePush is not supported for source {source}"
                    )));
                }
                normalise_text("commChannels.value", Some(raw_value), 4096)?
                    .ok_or_else(|| CustomerError::InvalidCommChannel(kind.as_str().into()))?
            }
            CommChannelType::Wechat | CommChannelType::Line => {
                normalise_text("commChannels.value", Some(raw_value), MAX_IDENTIFIER_LEN)?
                    .ok_or_else(|| CustomerError::InvalidCommChannel(kind.as_str().into()))?
            }
        };
        Ok(Self {
            kind,
            value,
            primary: flags.primary,
            verified: flags.verified,
            subscribed: flags.subscribed,
        })
    }
}

/// The boolean flags of a `commChannels[]` entry, already read leniently (samples send
/// `true` and `"true"` alike; see [`lenient_bool`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelFlags {
    pub primary: bool,
    pub verified: bool,
    pub subscribed: Option<bool>,
}

/// Reads a boolean the way Capillary's samples send them: JSON `true`/`false`, the strings
/// `"true"`/`"false"` (any case), or `1`/`0`. `null`/absent → `None`; anything else → error.
pub fn lenient_bool(
    field: &'static str,
    v: Option<&serde_json::Value>,
) -> Result<Option<bool>, CustomerError> {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(CustomerError::InvalidInput(format!(
                "{field} must be a boolean"
            ))),
        },
        Some(Value::Number(n)) => match n.as_i64() {
            Some(1) => Ok(Some(true)),
            Some(0) => Ok(Some(false)),
            _ => Err(CustomerError::InvalidInput(format!(
                "{field} must be a boolean"
            ))),
        },
        Some(_) => Err(CustomerError::InvalidInput(format!(
            "{field} must be a boolean"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use serde_json::json;

    #[test]
    fn channel_types_parse() {
        for t in CommChannelType::ALL {
            assert_eq!(CommChannelType::parse(t.as_str()).unwrap(), t);
        }
        assert_eq!(
            CommChannelType::parse("MOBILEPUSH").unwrap(),
            CommChannelType::MobilePush
        );
        assert_eq!(CommChannelType::parse("fax").unwrap_err().code(), 8010);
    }

    #[test]
    fn channel_values_are_normalised() {
        let c = CommChannel::new(
            Source::Instore,
            CommChannelType::Mobile,
            "9123 4567",
            "SG",
            ChannelFlags::default(),
        )
        .unwrap();
        assert_eq!(c.value, "6591234567");
        let e = CommChannel::new(
            Source::Instore,
            CommChannelType::Email,
            "nope",
            "SG",
            ChannelFlags::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), 1002);
    }

    #[test]
    fn mobile_push_only_from_supported_sources() {
        let flags = ChannelFlags::default();
        assert!(CommChannel::new(
            Source::MobileApp,
            CommChannelType::MobilePush,
            "tok",
            "SG",
            flags
        )
        .is_ok());
        let e = CommChannel::new(
            Source::Wechat,
            CommChannelType::MobilePush,
            "tok",
            "SG",
            flags,
        )
        .unwrap_err();
        assert_eq!(e.code(), 8010);
    }

    #[test]
    fn lenient_booleans() {
        assert_eq!(
            lenient_bool("primary", Some(&json!("true"))).unwrap(),
            Some(true)
        );
        assert_eq!(
            lenient_bool("primary", Some(&json!("FALSE"))).unwrap(),
            Some(false)
        );
        assert_eq!(
            lenient_bool("primary", Some(&json!(true))).unwrap(),
            Some(true)
        );
        assert_eq!(
            lenient_bool("primary", Some(&json!(0))).unwrap(),
            Some(false)
        );
        assert_eq!(lenient_bool("primary", None).unwrap(), None);
        assert_eq!(lenient_bool("primary", Some(&json!(null))).unwrap(), None);
        assert!(lenient_bool("primary", Some(&json!("yes please"))).is_err());
        assert!(lenient_bool("primary", Some(&json!(2))).is_err());
    }
}
