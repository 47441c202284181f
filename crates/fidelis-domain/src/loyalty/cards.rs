//! Loyalty cards: series configuration, number generation and the status model.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::program::ProgramId;
use super::time::{add_days, end_of_local_day, local_date};

/// System card statuses; orgs map their own labels onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardStatus {
    /// Generated or added, not yet given to a customer.
    NotIssued,
    Active,
    /// Blocked (e.g. "CARD BLOCKED").
    Suspended,
    Expired,
    Deleted,
}

impl CardStatus {
    pub const ALL: [CardStatus; 5] = [
        Self::NotIssued,
        Self::Active,
        Self::Suspended,
        Self::Expired,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotIssued => "NOT_ISSUED",
            Self::Active => "ACTIVE",
            Self::Suspended => "SUSPENDED",
            Self::Expired => "EXPIRED",
            Self::Deleted => "DELETED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Only active cards identify a customer on a bill; goodwill lookup accepts any.
    pub fn allows_transactions(self) -> bool {
        self == Self::Active
    }
}

/// An org's name for a card status ("CARD BLOCKED" → SUSPENDED). Every system status is
/// also a label of itself, so an org without labels of its own can still name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardLabel {
    pub label: String,
    pub status: CardStatus,
}

/// The labels an org may use: the system statuses, the two labels every org starts with,
/// then the org's own.
pub fn card_labels(custom: &[CardLabel]) -> Vec<CardLabel> {
    let mut all: Vec<CardLabel> = CardStatus::ALL
        .into_iter()
        .map(|status| CardLabel {
            label: status.as_str().to_string(),
            status,
        })
        .collect();
    for (label, status) in [
        ("CARD BLOCKED", CardStatus::Suspended),
        ("CARD EXPIRED", CardStatus::Expired),
    ] {
        all.push(CardLabel {
            label: label.into(),
            status,
        });
    }
    for c in custom {
        if !all.iter().any(|l| l.label.eq_ignore_ascii_case(&c.label)) {
            all.push(c.clone());
        }
    }
    all
}

/// The label as the org spells it and the status it stands for (3017 when unknown).
pub fn resolve_label(custom: &[CardLabel], label: &str) -> Result<CardLabel, LoyaltyError> {
    card_labels(custom)
        .into_iter()
        .find(|l| l.label.eq_ignore_ascii_case(label.trim()))
        .ok_or_else(|| LoyaltyError::InvalidCardStatusLabel(label.trim().to_string()))
}

/// A status change through the card API (`PUT /v2/card`). The target must be
/// SUSPENDED, EXPIRED or DELETED; a generated (NOT_ISSUED) card cannot be expired or
/// deleted; an expired card cannot be deleted; DELETED is final. Setting the current
/// status again is accepted as a no-op so that retries succeed. Everything else is 3013.
pub fn change_status(from: CardStatus, to: CardStatus) -> Result<(), LoyaltyError> {
    use CardStatus::*;
    if from == to {
        return Ok(());
    }
    let allowed = match (from, to) {
        (_, NotIssued | Active) => false,
        (NotIssued, Suspended) => true,
        (NotIssued, Expired | Deleted) => false,
        (Active, _) => true,
        (Suspended, Expired | Deleted) => true,
        (Expired, _) | (Deleted, _) => false,
        (Suspended, Suspended) => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(LoyaltyError::CardTransitionNotAllowed { from, to })
    }
}

/// Issuing (linking) a card to a customer: a NOT_ISSUED card becomes ACTIVE, and linking
/// a SUSPENDED card again reactivates it. Active, expired and deleted cards are not
/// linkable (3027); storage also checks the card is not someone else's.
pub fn issue(from: CardStatus) -> Result<CardStatus, LoyaltyError> {
    match from {
        CardStatus::NotIssued | CardStatus::Suspended => Ok(CardStatus::Active),
        _ => Err(LoyaltyError::CardNotLinkable),
    }
}

/// A card added for a customer is issued at once, so it is ACTIVE; one added alone waits,
/// NOT_ISSUED, until it is issued. The requested label must stand for that status.
pub fn check_new_card_label(label: &CardLabel, for_customer: bool) -> Result<(), LoyaltyError> {
    let want = if for_customer {
        CardStatus::Active
    } else {
        CardStatus::NotIssued
    };
    if label.status == want {
        return Ok(());
    }
    Err(LoyaltyError::InvalidCardStatusLabel(format!(
        "{}: a new card is {} {}",
        label.label,
        want.as_str(),
        if for_customer {
            "when issued to a customer"
        } else {
            "until it is issued to a customer"
        }
    )))
}

/// Longest card external id (as the longest card number).
pub const MAX_EXTERNAL_ID_LEN: usize = 50;

/// A card's external id fits its limit.
pub fn check_external_id(external_id: &str) -> Result<(), LoyaltyError> {
    if external_id.chars().count() > MAX_EXTERNAL_ID_LEN {
        return Err(LoyaltyError::InvalidInput(format!(
            "cardExternalId is longer than {MAX_EXTERNAL_ID_LEN} characters"
        )));
    }
    Ok(())
}

/// What a customer's `cardnumber` identifier records about the card.
pub fn card_identifier_details(series_id: i64, external_id: Option<&str>) -> serde_json::Value {
    let mut details = serde_json::Map::new();
    details.insert("seriesId".into(), series_id.into());
    if let Some(ext) = external_id {
        details.insert("cardExternalId".into(), ext.into());
    }
    serde_json::Value::Object(details)
}

/// Whether a customer with `active_cards` may get one more (3036).
pub fn check_max_active(active_cards: u32, max: Option<u32>) -> Result<(), LoyaltyError> {
    match max {
        Some(m) if active_cards >= m => Err(LoyaltyError::MaxActiveCardsExceeded),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardType {
    Digital,
    Physical,
}

impl CardType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digital => "DIGITAL",
            Self::Physical => "PHYSICAL",
        }
    }
}

/// How a series numbers generated cards: `prefix`, then the sequence number
/// `offset + n` zero-padded, then `suffix`; `length` is the whole card number's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardGeneration {
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    #[serde(default)]
    pub offset: u64,
    pub length: u32,
}

const MAX_CARD_NUMBER_LEN: usize = 50;

impl CardGeneration {
    fn digits(&self) -> usize {
        (self.length as usize).saturating_sub(self.prefix.len() + self.suffix.len())
    }

    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let bad = |m: &str| Err(LoyaltyError::InvalidCardSeries(m.to_string()));
        let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
        if !alnum(&self.prefix) || !alnum(&self.suffix) {
            return bad("prefix and suffix must be letters and digits");
        }
        if self.length as usize > MAX_CARD_NUMBER_LEN {
            return bad("card numbers are at most 50 characters");
        }
        if self.digits() == 0 {
            return bad("length leaves no room for the number between prefix and suffix");
        }
        Ok(())
    }

    /// The n-th generated number (n from 0). Fails with 702 once the sequence no longer
    /// fits in the digits available.
    pub fn nth(&self, n: u64) -> Result<String, LoyaltyError> {
        self.validate()?;
        let seq = self
            .offset
            .checked_add(n)
            .ok_or(LoyaltyError::CardNumbersExhausted)?;
        let digits = self.digits();
        let body = format!("{seq:0digits$}");
        if body.len() > digits {
            return Err(LoyaltyError::CardNumbersExhausted);
        }
        Ok(format!("{}{}{}", self.prefix, body, self.suffix))
    }
}

/// A card series (`/v2/card/series`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSeries {
    pub code: String,
    pub name: String,
    pub card_type: CardType,
    /// The loyalty program the card is linked to (pre-selected for goodwill).
    pub program_id: Option<ProgramId>,
    /// Days a card stays valid after issue, when expiry is enabled.
    pub expiry_days: Option<u32>,
    pub generation: Option<CardGeneration>,
    pub max_active_per_customer: Option<u32>,
}

impl CardSeries {
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let c = &self.code;
        if c.is_empty() {
            return Err(LoyaltyError::CardSeriesCodeEmpty);
        }
        if c.len() > 50 || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(LoyaltyError::InvalidCardSeries(
                "code must be 1–50 letters and digits".into(),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(LoyaltyError::InvalidCardSeries("name is required".into()));
        }
        match &self.generation {
            Some(g) => g.validate(),
            None => Ok(()),
        }
    }

    /// The n-th generated number of this series (703 when generation is off).
    pub fn card_number(&self, n: u64) -> Result<String, LoyaltyError> {
        self.generation
            .as_ref()
            .ok_or(LoyaltyError::CardGenerationDisabled)?
            .nth(n)
    }

    /// When a card issued at `issued_at` expires: end of the local day `expiry_days`
    /// later; `None` when the series' cards do not expire.
    pub fn card_expiry(&self, issued_at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let days = self.expiry_days?;
        Some(end_of_local_day(
            add_days(local_date(issued_at, tz), i64::from(days)),
            tz,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::test_util::ts;
    use CardStatus::*;

    #[test]
    fn documented_transitions() {
        assert!(change_status(Active, Suspended).is_ok());
        assert!(change_status(Active, Expired).is_ok());
        assert!(change_status(Active, Deleted).is_ok());
        assert!(change_status(Suspended, Deleted).is_ok());
        assert!(change_status(NotIssued, Suspended).is_ok());
        assert!(change_status(Active, Active).is_ok());
        for (from, to) in [
            (Suspended, Active),
            (NotIssued, Expired),
            (NotIssued, Deleted),
            (Expired, Deleted),
            (Deleted, Suspended),
            (Expired, Suspended),
            (Active, NotIssued),
        ] {
            let e = change_status(from, to).unwrap_err();
            assert_eq!(e.code(), 3013, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn labels_map_onto_statuses() {
        let custom = [CardLabel {
            label: "Lost in transit".into(),
            status: Suspended,
        }];
        assert_eq!(
            resolve_label(&custom, "card blocked").unwrap().status,
            Suspended
        );
        assert_eq!(resolve_label(&custom, "ACTIVE").unwrap().status, Active);
        let own = resolve_label(&custom, " lost in TRANSIT ").unwrap();
        assert_eq!(
            (own.label.as_str(), own.status),
            ("Lost in transit", Suspended)
        );
        assert_eq!(
            resolve_label(&[], "Lost in transit").unwrap_err().code(),
            3017
        );
        // An org label cannot take over a built-in one.
        let clash = [CardLabel {
            label: "active".into(),
            status: Deleted,
        }];
        assert_eq!(resolve_label(&clash, "ACTIVE").unwrap().status, Active);
    }

    #[test]
    fn issuing_activates_and_limits_apply() {
        assert_eq!(issue(NotIssued), Ok(Active));
        assert_eq!(issue(Suspended), Ok(Active));
        assert_eq!(issue(Expired).unwrap_err().code(), 3027);
        assert_eq!(issue(Active).unwrap_err().code(), 3027);
        assert!(check_max_active(0, Some(1)).is_ok());
        assert_eq!(check_max_active(1, Some(1)).unwrap_err().code(), 3036);
        assert!(check_max_active(99, None).is_ok());
        assert!(Active.allows_transactions() && !Suspended.allows_transactions());
        assert_eq!(CardStatus::parse("not_issued"), Some(NotIssued));
    }

    fn democard() -> CardSeries {
        CardSeries {
            code: "DEMOCARD".into(),
            name: "Demo card".into(),
            card_type: CardType::Digital,
            program_id: Some(ProgramId::new(1)),
            expiry_days: Some(730),
            generation: Some(CardGeneration {
                prefix: "DEMO".into(),
                suffix: "X".into(),
                offset: 1000,
                length: 12,
            }),
            max_active_per_customer: Some(1),
        }
    }

    #[test]
    fn generator_makes_the_nth_number() {
        let s = democard();
        assert!(s.validate().is_ok());
        assert_eq!(s.card_number(0).unwrap(), "DEMO0001000X");
        assert_eq!(s.card_number(42).unwrap(), "DEMO0001042X");
        assert_eq!(s.card_number(0).unwrap().len(), 12);
        assert_eq!(s.card_number(9_998_999).unwrap(), "DEMO9999999X");
        assert_eq!(s.card_number(9_999_000).unwrap_err().code(), 702);
        let mut off = s.clone();
        off.generation = None;
        assert_eq!(off.card_number(0).unwrap_err().code(), 703);
        let mut bad = s.clone();
        bad.generation = Some(CardGeneration {
            prefix: "ABCDEFGHIJKL".into(),
            suffix: String::new(),
            offset: 0,
            length: 12,
        });
        assert!(bad.validate().is_err());
        bad.code = "DEMO CARD".into();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn card_expiry_is_end_of_local_day() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let s = democard();
        assert_eq!(
            s.card_expiry(ts("2024-01-01T02:00:00Z"), &tz),
            Some(ts("2025-12-31T15:59:59Z"))
        );
    }
}
