//! Sender identities: the org's default SMS sender ID and email from-address, and the
//! ones each concept (OU) sends from. A request may name a sender; a configured one is
//! used with its OU, anything else (missing, or not configured for this org) falls back
//! to the org default without an error (Capillary's JFM 2022 rule).

use super::message::{email_address, Mailbox};

/// The identities one concept (OU) sends from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptSenders {
    pub concept: String,
    pub sms_sender: Option<String>,
    pub email_from: Option<Mailbox>,
}

/// Every sender identity of one org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderBook {
    pub sms_default: String,
    pub email_default: Mailbox,
    pub concepts: Vec<ConceptSenders>,
}

/// The identity a message leaves from, and the OU it is attributed to (`None`: the org).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSender {
    pub address: String,
    pub concept: Option<String>,
    /// The request named a sender that is not configured for the org.
    pub fell_back: bool,
}

impl SenderBook {
    /// The identities of an org whose file configures none: its code as SMS sender ID
    /// (letters and digits, at most 11) and `noreply@<code>.invalid` under its name.
    pub fn fallback(org_code: &str, org_name: &str) -> Self {
        let sms: String = org_code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(11)
            .collect::<String>()
            .to_ascii_uppercase();
        let code: String = org_code
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Self {
            sms_default: if sms.is_empty() {
                "FIDELIS".into()
            } else {
                sms
            },
            email_default: Mailbox {
                name: Some(org_name.to_string()),
                address: format!("noreply@{code}.invalid"),
            },
            concepts: Vec::new(),
        }
    }

    /// The SMS sender for a request that named `requested` (or nothing).
    pub fn resolve_sms(&self, requested: Option<&str>) -> ResolvedSender {
        let requested = requested.map(str::trim).filter(|s| !s.is_empty());
        if let Some(want) = requested {
            if want.eq_ignore_ascii_case(&self.sms_default) {
                return ResolvedSender {
                    address: self.sms_default.clone(),
                    concept: None,
                    fell_back: false,
                };
            }
            for c in &self.concepts {
                if let Some(s) = c
                    .sms_sender
                    .as_ref()
                    .filter(|s| s.eq_ignore_ascii_case(want))
                {
                    return ResolvedSender {
                        address: s.clone(),
                        concept: Some(c.concept.clone()),
                        fell_back: false,
                    };
                }
            }
        }
        ResolvedSender {
            address: self.sms_default.clone(),
            concept: None,
            fell_back: requested.is_some(),
        }
    }

    /// The from-address for a request that named `requested` (`Name <addr>` or `addr`):
    /// a configured address (compared without its display name, ignoring case) or the
    /// org default.
    pub fn resolve_email(&self, requested: Option<&str>) -> ResolvedSender {
        let requested = requested.map(str::trim).filter(|s| !s.is_empty());
        let wanted = requested.and_then(|r| email_address(r).ok());
        if let Some(want) = &wanted {
            if want
                .address
                .eq_ignore_ascii_case(&self.email_default.address)
            {
                return ResolvedSender {
                    address: self.email_default.to_string(),
                    concept: None,
                    fell_back: false,
                };
            }
            for c in &self.concepts {
                if let Some(m) = c
                    .email_from
                    .as_ref()
                    .filter(|m| m.address.eq_ignore_ascii_case(&want.address))
                {
                    return ResolvedSender {
                        address: m.to_string(),
                        concept: Some(c.concept.clone()),
                        fell_back: false,
                    };
                }
            }
        }
        ResolvedSender {
            address: self.email_default.to_string(),
            concept: None,
            fell_back: requested.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> SenderBook {
        SenderBook {
            sms_default: "DEMORTL".into(),
            email_default: email_address("Demo Retail <noreply@demo-retail.example>").unwrap(),
            concepts: vec![
                ConceptSenders {
                    concept: "fashion".into(),
                    sms_sender: Some("DEMOFSH".into()),
                    email_from: Some(
                        email_address("Demo Fashion <fashion@demo-retail.example>").unwrap(),
                    ),
                },
                ConceptSenders {
                    concept: "beauty".into(),
                    sms_sender: Some("DEMOBTY".into()),
                    email_from: None,
                },
            ],
        }
    }

    #[test]
    fn a_configured_sender_is_used_with_its_ou() {
        let s = demo().resolve_sms(Some("DEMOFSH"));
        assert_eq!(s.address, "DEMOFSH");
        assert_eq!(s.concept.as_deref(), Some("fashion"));
        assert!(!s.fell_back);
        assert_eq!(demo().resolve_sms(Some(" demobty ")).address, "DEMOBTY");
    }

    #[test]
    fn missing_or_unknown_senders_fall_back_to_the_org_default() {
        let none = demo().resolve_sms(None);
        assert_eq!(
            (none.address.as_str(), none.concept, none.fell_back),
            ("DEMORTL", None, false)
        );
        let blank = demo().resolve_sms(Some("  "));
        assert_eq!(blank.address, "DEMORTL");
        let unknown = demo().resolve_sms(Some("NOSUCH"));
        assert_eq!(unknown.address, "DEMORTL");
        assert_eq!(unknown.concept, None);
        assert!(unknown.fell_back);
        // The org default named explicitly is no fallback.
        assert!(!demo().resolve_sms(Some("DEMORTL")).fell_back);
    }

    #[test]
    fn email_from_addresses_resolve_by_address_not_display_name() {
        let s = demo().resolve_email(Some("FASHION@demo-retail.example"));
        assert_eq!(s.address, "Demo Fashion <fashion@demo-retail.example>");
        assert_eq!(s.concept.as_deref(), Some("fashion"));
        let other = demo().resolve_email(Some("store1@store.com"));
        assert_eq!(other.address, "Demo Retail <noreply@demo-retail.example>");
        assert!(other.fell_back);
        assert_eq!(
            demo().resolve_email(None).address,
            "Demo Retail <noreply@demo-retail.example>"
        );
    }

    #[test]
    fn orgs_without_configuration_send_under_their_code() {
        let b = SenderBook::fallback("acme-stores", "Acme Stores");
        assert_eq!(b.sms_default, "ACMESTORES");
        assert_eq!(
            b.email_default.to_string(),
            "Acme Stores <noreply@acme-stores.invalid>"
        );
    }
}
