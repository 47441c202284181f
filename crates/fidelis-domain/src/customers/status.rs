//! Customer status: fixed statuses, org-configured labels that hang off them, and the rules
//! for moving between them.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::error::{CustomerError, MAX_NAME_LEN};
use super::identifiers::normalise_text;

/// Longest status-change reason Fidelis keeps.
pub const MAX_REASON_LEN: usize = 500;
/// How far in the future a caller's `createdOn` may be (clock skew of tills).
const CREATED_ON_SKEW: SignedDuration = SignedDuration::from_mins(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    #[default]
    Active,
    Suspended,
    Deleted,
    FraudSuspected,
    FraudConfirmed,
}

impl CustomerStatus {
    pub const ALL: [CustomerStatus; 5] = [
        Self::Active,
        Self::Suspended,
        Self::Deleted,
        Self::FraudSuspected,
        Self::FraudConfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Suspended => "SUSPENDED",
            Self::Deleted => "DELETED",
            Self::FraudSuspected => "FRAUD_SUSPECTED",
            Self::FraudConfirmed => "FRAUD_CONFIRMED",
        }
    }

    /// Accepts the wire name in any case, and the console's spelling with spaces or dashes
    /// ("Fraud Suspected").
    pub fn parse(s: &str) -> Option<Self> {
        let t: String = s
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(&t))
    }

    /// DELETED cannot be left; the person may register again as a new customer.
    pub fn is_terminal(self) -> bool {
        self == Self::Deleted
    }

    /// New transactions of such a customer are recorded but flagged as outliers (no points).
    /// Capillary documents this for SUSPENDED; Fidelis applies it to both fraud statuses too,
    /// since a customer under fraud review should not keep earning meanwhile.
    pub fn is_outlier_for_transactions(self) -> bool {
        matches!(
            self,
            Self::Suspended | Self::FraudSuspected | Self::FraudConfirmed
        )
    }

    /// A DELETED customer takes no new transactions at all.
    pub fn accepts_transactions(self) -> bool {
        self != Self::Deleted
    }
}

impl std::fmt::Display for CustomerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An org-configured label under a status (e.g. `suspended-suspicious` → SUSPENDED).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusLabel {
    pub name: String,
    pub status: CustomerStatus,
}

/// Checks an org's label configuration: names non-empty, at most 100 characters, unique
/// ignoring case (labels are matched ignoring case).
pub fn validate_labels(labels: &[StatusLabel]) -> Result<(), CustomerError> {
    for (i, l) in labels.iter().enumerate() {
        let name = l.name.trim();
        if name.is_empty() {
            return Err(CustomerError::InvalidInput(
                "status label name is empty".into(),
            ));
        }
        if name.chars().count() > MAX_NAME_LEN {
            return Err(CustomerError::TooLong {
                field: "status label",
                max: MAX_NAME_LEN,
            });
        }
        if labels[..i]
            .iter()
            .any(|o| o.name.trim().eq_ignore_ascii_case(name))
        {
            return Err(CustomerError::InvalidInput(format!(
                "status label {name} is configured twice"
            )));
        }
    }
    Ok(())
}

/// Finds a configured label by name, ignoring case and surrounding spaces.
pub fn find_label<'a>(
    labels: &'a [StatusLabel],
    name: &str,
) -> Result<&'a StatusLabel, CustomerError> {
    let n = name.trim();
    labels
        .iter()
        .find(|l| l.name.trim().eq_ignore_ascii_case(n))
        .ok_or_else(|| CustomerError::UnknownStatusLabel(n.to_string()))
}

/// A customer's status now. `label` is `None` for a customer never given one (ACTIVE).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CurrentStatus {
    pub label: Option<String>,
    pub status: CustomerStatus,
}

/// Status at registration (`statusLabel` / `statusLabelReason`). Without a label the customer
/// is ACTIVE under the org's first ACTIVE label, if any. Registering straight into DELETED is
/// refused: it would create a customer nobody can use.
pub fn initial_status(
    labels: &[StatusLabel],
    requested: Option<&str>,
) -> Result<CurrentStatus, CustomerError> {
    match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(CurrentStatus {
            label: labels
                .iter()
                .find(|l| l.status == CustomerStatus::Active)
                .map(|l| l.name.clone()),
            status: CustomerStatus::Active,
        }),
        Some(name) => {
            let l = find_label(labels, name)?;
            if l.status.is_terminal() {
                return Err(CustomerError::InvalidInput(
                    "a customer cannot be registered as DELETED".into(),
                ));
            }
            Ok(CurrentStatus {
                label: Some(l.name.clone()),
                status: l.status,
            })
        }
    }
}

/// One entry of the status log (`GET /v2/customers/{id}/statusLog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub label: String,
    pub prev_label: Option<String>,
    pub status: CustomerStatus,
    pub prev_status: CustomerStatus,
    pub reason: String,
    /// When the change took effect (the caller's `createdOn`, or the request time).
    pub created_on: Timestamp,
    /// Who made it: till code, API client key or console user.
    pub actor: String,
}

/// A request to move a customer to `label`.
#[derive(Debug, Clone, Copy)]
pub struct StatusChangeRequest<'a> {
    pub label: &'a str,
    pub reason: &'a str,
    pub created_on: Option<Timestamp>,
    pub actor: &'a str,
}

/// Decides a status change. The label must be configured; the reason is required (Capillary
/// marks it mandatory); DELETED customers cannot change at all. Moving to the current label
/// again is allowed and logged, since the reason may differ.
pub fn change_status(
    current: &CurrentStatus,
    labels: &[StatusLabel],
    req: StatusChangeRequest<'_>,
    now: Timestamp,
) -> Result<StatusChange, CustomerError> {
    if current.status.is_terminal() {
        return Err(CustomerError::CustomerDeleted);
    }
    let label = find_label(labels, req.label)?;
    let reason = normalise_text("reason", Some(req.reason), MAX_REASON_LEN)?
        .ok_or_else(|| CustomerError::InvalidInput("reason is required".into()))?;
    let created_on = req.created_on.unwrap_or(now);
    if created_on > now.saturating_add(CREATED_ON_SKEW).unwrap_or(now) {
        return Err(CustomerError::InvalidInput(
            "createdOn is in the future".into(),
        ));
    }
    Ok(StatusChange {
        label: label.name.clone(),
        prev_label: current.label.clone(),
        status: label.status,
        prev_status: current.status,
        reason,
        created_on,
        actor: req.actor.to_string(),
    })
}

impl StatusChange {
    /// The status the customer has after this change.
    pub fn resulting(&self) -> CurrentStatus {
        CurrentStatus {
            label: Some(self.label.clone()),
            status: self.status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    fn demo_labels() -> Vec<StatusLabel> {
        [
            ("active-customer", CustomerStatus::Active),
            ("suspended-suspicious", CustomerStatus::Suspended),
            ("fraud-review", CustomerStatus::FraudSuspected),
            ("deleted-by-request", CustomerStatus::Deleted),
        ]
        .into_iter()
        .map(|(n, s)| StatusLabel {
            name: n.into(),
            status: s,
        })
        .collect()
    }

    fn now() -> Timestamp {
        "2022-03-01T10:00:00Z".parse().unwrap()
    }

    fn req<'a>(label: &'a str, reason: &'a str) -> StatusChangeRequest<'a> {
        StatusChangeRequest {
            label,
            reason,
            created_on: None,
            actor: "demo.till",
        }
    }

    #[test]
    fn statuses_parse_and_flag_outliers() {
        assert_eq!(
            CustomerStatus::parse("fraud suspected"),
            Some(CustomerStatus::FraudSuspected)
        );
        assert_eq!(
            CustomerStatus::parse("SUSPENDED"),
            Some(CustomerStatus::Suspended)
        );
        assert_eq!(CustomerStatus::parse("gone"), None);
        assert!(!CustomerStatus::Active.is_outlier_for_transactions());
        assert!(CustomerStatus::Suspended.is_outlier_for_transactions());
        assert!(CustomerStatus::FraudSuspected.is_outlier_for_transactions());
        assert!(CustomerStatus::FraudConfirmed.is_outlier_for_transactions());
        assert!(!CustomerStatus::Deleted.accepts_transactions());
        assert!(CustomerStatus::Suspended.accepts_transactions());
        assert_eq!(
            serde_json::to_string(&CustomerStatus::FraudConfirmed).unwrap(),
            "\"FRAUD_CONFIRMED\""
        );
    }

    #[test]
    fn label_moves_status() {
        let labels = demo_labels();
        let cur = initial_status(&labels, None).unwrap();
        assert_eq!(cur.label.as_deref(), Some("active-customer"));
        let ch = change_status(
            &cur,
            &labels,
            req("Suspended-Suspicious", " odd bills "),
            now(),
        )
        .unwrap();
        assert_eq!(ch.status, CustomerStatus::Suspended);
        assert_eq!(ch.prev_status, CustomerStatus::Active);
        assert_eq!(ch.label, "suspended-suspicious");
        assert_eq!(ch.prev_label.as_deref(), Some("active-customer"));
        assert_eq!(ch.reason, "odd bills");
        assert_eq!(ch.created_on, now());
        assert_eq!(ch.actor, "demo.till");
        // and back again
        let back = change_status(
            &ch.resulting(),
            &labels,
            req("active-customer", "ok"),
            now(),
        )
        .unwrap();
        assert_eq!(back.status, CustomerStatus::Active);
    }

    #[test]
    fn deleted_is_terminal() {
        let labels = demo_labels();
        let cur = initial_status(&labels, None).unwrap();
        let del = change_status(&cur, &labels, req("deleted-by-request", "gdpr"), now()).unwrap();
        assert_eq!(del.status, CustomerStatus::Deleted);
        for target in [
            "active-customer",
            "suspended-suspicious",
            "deleted-by-request",
        ] {
            let e =
                change_status(&del.resulting(), &labels, req(target, "undo"), now()).unwrap_err();
            assert_eq!(e, CustomerError::CustomerDeleted);
            assert_eq!(e.code(), 3042);
        }
    }

    #[test]
    fn unknown_label_and_missing_reason_refused() {
        let labels = demo_labels();
        let cur = CurrentStatus::default();
        let e = change_status(&cur, &labels, req("vip", "x"), now()).unwrap_err();
        assert_eq!(e, CustomerError::UnknownStatusLabel("vip".into()));
        let e = change_status(&cur, &labels, req("fraud-review", "  "), now()).unwrap_err();
        assert_eq!(e.code(), 400);
        let long = "r".repeat(MAX_REASON_LEN + 1);
        assert!(change_status(&cur, &labels, req("fraud-review", &long), now()).is_err());
    }

    #[test]
    fn created_on_is_kept_but_not_in_future() {
        let labels = demo_labels();
        let cur = CurrentStatus::default();
        let past: Timestamp = "2021-09-16T12:10:45Z".parse().unwrap();
        let mut r = req("fraud-review", "check");
        r.created_on = Some(past);
        assert_eq!(
            change_status(&cur, &labels, r, now()).unwrap().created_on,
            past
        );
        r.created_on = Some("2022-03-01T11:00:00Z".parse().unwrap());
        assert!(change_status(&cur, &labels, r, now()).is_err());
    }

    #[test]
    fn initial_status_rules() {
        let labels = demo_labels();
        let s = initial_status(&labels, Some("FRAUD-REVIEW")).unwrap();
        assert_eq!(s.status, CustomerStatus::FraudSuspected);
        assert_eq!(s.label.as_deref(), Some("fraud-review"));
        assert!(initial_status(&labels, Some("deleted-by-request")).is_err());
        assert!(initial_status(&labels, Some("nope")).is_err());
        let none = initial_status(&[], None).unwrap();
        assert_eq!(none, CurrentStatus::default());
    }

    #[test]
    fn label_config_validated() {
        assert!(validate_labels(&demo_labels()).is_ok());
        let mut dup = demo_labels();
        dup.push(StatusLabel {
            name: "Active-Customer".into(),
            status: CustomerStatus::Suspended,
        });
        assert!(validate_labels(&dup).is_err());
        let empty = vec![StatusLabel {
            name: " ".into(),
            status: CustomerStatus::Active,
        }];
        assert!(validate_labels(&empty).is_err());
    }
}
