//! Subscriptions: per channel × priority (TRANS/BULK) × optional org unit, SUBSCRIBED or
//! UNSUBSCRIBED. Absent a record, a customer is subscribed (opt-out model).

use serde::{Deserialize, Serialize};

use super::channels::{CommChannel, CommChannelType};
use super::error::CustomerError;
use crate::org::EntityId;

/// A channel as the subscription API names it. Requests say `mobile` or `MOBILE`; responses
/// say `SMS` for it, which is [`SubscriptionChannel::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubscriptionChannel {
    Sms,
    Email,
    Wechat,
    Whatsapp,
    Ios,
    Android,
    Line,
    #[serde(rename = "MOBILEPUSH")]
    MobilePush,
}

impl SubscriptionChannel {
    pub const ALL: [SubscriptionChannel; 8] = [
        Self::Sms,
        Self::Email,
        Self::Wechat,
        Self::Whatsapp,
        Self::Ios,
        Self::Android,
        Self::Line,
        Self::MobilePush,
    ];

    /// Response spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "EMAIL",
            Self::Wechat => "WECHAT",
            Self::Whatsapp => "WHATSAPP",
            Self::Ios => "IOS",
            Self::Android => "ANDROID",
            Self::Line => "LINE",
            Self::MobilePush => "MOBILEPUSH",
        }
    }

    /// Case-insensitive; `mobile` and `sms` are the same channel; unknown → 1101.
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("mobile") {
            return Ok(Self::Sms);
        }
        if t.eq_ignore_ascii_case("mobile_push") || t.eq_ignore_ascii_case("push") {
            return Ok(Self::MobilePush);
        }
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| CustomerError::InvalidSubscriptionChannel(s.to_string()))
    }

    /// The subscription channel a profile's comm channel feeds.
    pub fn of_comm_channel(kind: CommChannelType) -> Self {
        match kind {
            CommChannelType::Mobile => Self::Sms,
            CommChannelType::Email => Self::Email,
            CommChannelType::Wechat => Self::Wechat,
            CommChannelType::Whatsapp => Self::Whatsapp,
            CommChannelType::Ios => Self::Ios,
            CommChannelType::Android => Self::Android,
            CommChannelType::Line => Self::Line,
            CommChannelType::MobilePush => Self::MobilePush,
        }
    }
}

/// TRANS (transactional: bills, OTPs, points) or BULK (campaigns, newsletters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    Trans,
    Bulk,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trans => "TRANS",
            Self::Bulk => "BULK",
        }
    }

    /// Unknown → 1102.
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TRANS" | "TRANSACTIONAL" => Ok(Self::Trans),
            "BULK" | "PROMOTIONAL" => Ok(Self::Bulk),
            _ => Err(CustomerError::InvalidSubscriptionPriority(s.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SubscriptionStatus {
    Subscribed,
    Unsubscribed,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribed => "SUBSCRIBED",
            Self::Unsubscribed => "UNSUBSCRIBED",
        }
    }

    /// The `type` field on the wire.
    pub fn as_type(self) -> &'static str {
        match self {
            Self::Subscribed => "OPTIN",
            Self::Unsubscribed => "OPTOUT",
        }
    }

    /// Reads `type` (`OPTIN`/`OPTOUT`), also the status words; unknown → 1106.
    pub fn parse(s: &str) -> Result<Self, CustomerError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPTIN" | "SUBSCRIBED" | "SUBSCRIBE" => Ok(Self::Subscribed),
            "OPTOUT" | "UNSUBSCRIBED" | "UNSUBSCRIBE" => Ok(Self::Unsubscribed),
            _ => Err(CustomerError::InvalidSubscriptionStatus(s.to_string())),
        }
    }
}

/// The only scope Capillary documents is `{scope: "USER", subScope: "NONE"}`; others → 1103.
pub fn validate_scope(scope: Option<&str>, sub_scope: Option<&str>) -> Result<(), CustomerError> {
    let ok = |v: Option<&str>, want: &str| v.is_none_or(|s| s.trim().eq_ignore_ascii_case(want));
    if !ok(scope, "USER") {
        return Err(CustomerError::InvalidSubscriptionScope(
            scope.unwrap_or_default().to_string(),
        ));
    }
    if !ok(sub_scope, "NONE") {
        return Err(CustomerError::InvalidSubscriptionScope(
            sub_scope.unwrap_or_default().to_string(),
        ));
    }
    Ok(())
}

/// One subscription record. `org_unit_id` is an OU (concept) id; `None` means org-wide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub channel: SubscriptionChannel,
    pub priority: Priority,
    pub org_unit_id: Option<EntityId>,
    pub status: SubscriptionStatus,
}

impl Subscription {
    fn same_key(&self, o: &Subscription) -> bool {
        self.channel == o.channel
            && self.priority == o.priority
            && self.org_unit_id == o.org_unit_id
    }
}

/// Status used when no record applies: subscribed for both priorities (customers opt out).
pub const DEFAULT_STATUS: SubscriptionStatus = SubscriptionStatus::Subscribed;

/// The status that governs a message on `channel`/`priority` from org unit `ou`: a record
/// for that OU wins over an org-wide record, which wins over [`DEFAULT_STATUS`].
pub fn effective_status(
    records: &[Subscription],
    channel: SubscriptionChannel,
    priority: Priority,
    ou: Option<EntityId>,
) -> SubscriptionStatus {
    let find = |unit: Option<EntityId>| {
        records
            .iter()
            .find(|r| r.channel == channel && r.priority == priority && r.org_unit_id == unit)
            .map(|r| r.status)
    };
    ou.and_then(|u| find(Some(u)))
        .or_else(|| find(None))
        .unwrap_or(DEFAULT_STATUS)
}

/// Inserts or replaces the record with the same channel × priority × OU.
pub fn upsert(records: &mut Vec<Subscription>, update: Subscription) {
    match records.iter_mut().find(|r| r.same_key(&update)) {
        Some(r) => r.status = update.status,
        None => records.push(update),
    }
}

/// Subscription records implied by the `subscribed` flags of `commChannels` at registration.
///
/// Capillary documents `subscribed` as "subscribed to bulk/newsletter", so a flag sets the
/// org-wide BULK record of that channel (`mobile` → SMS, `mobilePush` → MOBILEPUSH, …) to
/// SUBSCRIBED or UNSUBSCRIBED. TRANS is never touched: transactional messages (bills, OTPs)
/// keep flowing unless the customer opts out through the subscription API. A channel whose
/// flag is absent gets no record (the default applies). When several entries map to the same
/// channel, the primary entry's flag wins, otherwise the first one's.
pub fn from_comm_channels(channels: &[CommChannel]) -> Vec<Subscription> {
    let mut out: Vec<(bool, Subscription)> = Vec::new();
    for c in channels {
        let Some(flag) = c.subscribed else { continue };
        let sub = Subscription {
            channel: SubscriptionChannel::of_comm_channel(c.kind),
            priority: Priority::Bulk,
            org_unit_id: None,
            status: if flag {
                SubscriptionStatus::Subscribed
            } else {
                SubscriptionStatus::Unsubscribed
            },
        };
        match out.iter_mut().find(|(_, s)| s.same_key(&sub)) {
            Some(existing) if c.primary && !existing.0 => *existing = (true, sub),
            Some(_) => {}
            None => out.push((c.primary, sub)),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    fn channel(
        kind: CommChannelType,
        value: &str,
        primary: bool,
        sub: Option<bool>,
    ) -> CommChannel {
        CommChannel {
            kind,
            value: value.into(),
            primary,
            verified: false,
            subscribed: sub,
        }
    }

    #[test]
    fn wire_names_and_codes() {
        assert_eq!(
            SubscriptionChannel::parse("mobile").unwrap(),
            SubscriptionChannel::Sms
        );
        assert_eq!(
            SubscriptionChannel::parse("MOBILE").unwrap(),
            SubscriptionChannel::Sms
        );
        assert_eq!(
            SubscriptionChannel::parse("email").unwrap().as_str(),
            "EMAIL"
        );
        assert_eq!(
            SubscriptionChannel::parse("whatsapp").unwrap(),
            SubscriptionChannel::Whatsapp
        );
        assert_eq!(
            SubscriptionChannel::parse("mobilePush").unwrap(),
            SubscriptionChannel::MobilePush
        );
        assert_eq!(
            SubscriptionChannel::parse("pigeon").unwrap_err().code(),
            1101
        );
        assert_eq!(Priority::parse("bulk").unwrap(), Priority::Bulk);
        assert_eq!(Priority::parse("URGENT").unwrap_err().code(), 1102);
        assert_eq!(
            SubscriptionStatus::parse("optout").unwrap(),
            SubscriptionStatus::Unsubscribed
        );
        assert_eq!(SubscriptionStatus::parse("maybe").unwrap_err().code(), 1106);
        assert_eq!(SubscriptionStatus::Subscribed.as_type(), "OPTIN");
        assert!(validate_scope(Some("USER"), Some("NONE")).is_ok());
        assert!(validate_scope(None, None).is_ok());
        assert_eq!(validate_scope(Some("ORG"), None).unwrap_err().code(), 1103);
        assert_eq!(
            serde_json::to_string(&SubscriptionChannel::MobilePush).unwrap(),
            "\"MOBILEPUSH\""
        );
    }

    #[test]
    fn registration_flags_map_to_bulk_records() {
        let chans = vec![
            channel(CommChannelType::Mobile, "6591234567", true, Some(true)),
            channel(CommChannelType::Email, "a@b.co", false, Some(false)),
            channel(CommChannelType::MobilePush, "tok", false, None),
        ];
        let subs = from_comm_channels(&chans);
        assert_eq!(
            subs,
            vec![
                Subscription {
                    channel: SubscriptionChannel::Sms,
                    priority: Priority::Bulk,
                    org_unit_id: None,
                    status: SubscriptionStatus::Subscribed,
                },
                Subscription {
                    channel: SubscriptionChannel::Email,
                    priority: Priority::Bulk,
                    org_unit_id: None,
                    status: SubscriptionStatus::Unsubscribed,
                },
            ]
        );
        // TRANS stays subscribed even though BULK email is off.
        assert_eq!(
            effective_status(&subs, SubscriptionChannel::Email, Priority::Trans, None),
            SubscriptionStatus::Subscribed
        );
        assert_eq!(
            effective_status(&subs, SubscriptionChannel::Email, Priority::Bulk, None),
            SubscriptionStatus::Unsubscribed
        );
    }

    #[test]
    fn primary_channel_flag_wins() {
        let chans = vec![
            channel(CommChannelType::Email, "a@b.co", false, Some(true)),
            channel(CommChannelType::Email, "c@d.co", true, Some(false)),
            channel(CommChannelType::Email, "e@f.co", false, Some(true)),
        ];
        let subs = from_comm_channels(&chans);
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].status, SubscriptionStatus::Unsubscribed);
    }

    #[test]
    fn ou_record_overrides_org_wide() {
        let mut recs = Vec::new();
        upsert(
            &mut recs,
            Subscription {
                channel: SubscriptionChannel::Sms,
                priority: Priority::Bulk,
                org_unit_id: None,
                status: SubscriptionStatus::Unsubscribed,
            },
        );
        upsert(
            &mut recs,
            Subscription {
                channel: SubscriptionChannel::Sms,
                priority: Priority::Bulk,
                org_unit_id: Some(EntityId::new(7)),
                status: SubscriptionStatus::Subscribed,
            },
        );
        assert_eq!(
            effective_status(
                &recs,
                SubscriptionChannel::Sms,
                Priority::Bulk,
                Some(EntityId::new(7))
            ),
            SubscriptionStatus::Subscribed
        );
        assert_eq!(
            effective_status(
                &recs,
                SubscriptionChannel::Sms,
                Priority::Bulk,
                Some(EntityId::new(8))
            ),
            SubscriptionStatus::Unsubscribed
        );
        assert_eq!(
            effective_status(&recs, SubscriptionChannel::Sms, Priority::Bulk, None),
            SubscriptionStatus::Unsubscribed
        );
        // Replacing keeps one record per key.
        upsert(
            &mut recs,
            Subscription {
                channel: SubscriptionChannel::Sms,
                priority: Priority::Bulk,
                org_unit_id: None,
                status: SubscriptionStatus::Subscribed,
            },
        );
        assert_eq!(recs.len(), 2);
        assert_eq!(
            effective_status(
                &recs,
                SubscriptionChannel::Sms,
                Priority::Bulk,
                Some(EntityId::new(8))
            ),
            SubscriptionStatus::Subscribed
        );
    }
}
