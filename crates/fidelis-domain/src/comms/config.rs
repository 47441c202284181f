//! The `[comms]` section of an org file: the org's default SMS sender ID and email
//! from-address, the ones each concept (OU) sends from, and the bulk SMS window.
//!
//! ```toml
//! [comms]
//! sms_sender = "DEMORTL"
//! email_from = "Demo Retail <noreply@demo-retail.example>"
//! bulk_sms_hours = { from = "09:00", to = "21:00" }
//!
//! [[comms.concepts]]
//! concept = "fashion"
//! sms_sender = "DEMOFSH"
//! ```

use std::collections::HashSet;

use jiff::civil::Time;
use serde::Deserialize;
use toml::Spanned;

use super::message::email_address;
use super::quiet::QuietHours;
use super::senders::{ConceptSenders, SenderBook};
use crate::org::config::Validator;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommsSection {
    sms_sender: Option<Spanned<String>>,
    email_from: Option<Spanned<String>>,
    bulk_sms_hours: Option<RawHours>,
    #[serde(default)]
    concepts: Vec<RawConcept>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcept {
    concept: Spanned<String>,
    sms_sender: Option<Spanned<String>>,
    email_from: Option<Spanned<String>>,
}

/// The validated section. `senders` is None when the file configures no default SMS
/// sender and from-address (the org then sends under its code: `SenderBook::fallback`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommsConfig {
    pub sms_default: Option<String>,
    pub email_default: Option<String>,
    pub concepts: Vec<ConceptSenders>,
    pub bulk_sms_hours: Option<QuietHours>,
}

impl CommsConfig {
    /// The org's sender book: configured identities over the fallback ones.
    pub fn senders(&self, org_code: &str, org_name: &str) -> SenderBook {
        let mut book = SenderBook::fallback(org_code, org_name);
        if let Some(s) = &self.sms_default {
            book.sms_default = s.clone();
        }
        if let Some(m) = self
            .email_default
            .as_deref()
            .and_then(|e| email_address(e).ok())
        {
            book.email_default = m;
        }
        book.concepts = self.concepts.clone();
        book
    }
}

/// An SMS sender ID: alphanumeric of 3 to 11 characters (what GSM networks carry), or a
/// number of up to 15 digits.
pub fn valid_sender_id(s: &str) -> bool {
    let numeric = s.len() <= 15 && s.chars().all(|c| c.is_ascii_digit());
    let alpha = (3..=11).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric());
    !s.is_empty() && (numeric || alpha)
}

impl CommsSection {
    pub fn validate(self, v: &mut Validator<'_>) -> CommsConfig {
        let mut seen_sms = HashSet::new();
        let mut seen_email = HashSet::new();
        let sms_default = self.sms_default_checked(v, &mut seen_sms);
        let email_default = self
            .email_from
            .as_ref()
            .and_then(|e| mailbox(v, e, "comms.email_from".into(), &mut seen_email));
        let bulk_sms_hours = self.bulk_sms_hours.as_ref().and_then(|h| {
            let from = time(v, &h.from, "comms.bulk_sms_hours.from".into());
            let to = time(v, &h.to, "comms.bulk_sms_hours.to".into());
            match (from, to) {
                (Some(from), Some(to)) if from != to => Some(QuietHours { from, to }),
                (Some(_), Some(_)) => {
                    v.fail(
                        &h.to,
                        "comms.bulk_sms_hours.to".into(),
                        "must differ from `from`",
                    );
                    None
                }
                _ => None,
            }
        });
        let mut concepts_seen = HashSet::new();
        let mut concepts = Vec::new();
        for (i, c) in self.concepts.iter().enumerate() {
            let field = format!("comms.concepts[{i}]");
            let code = c.concept.get_ref().trim().to_string();
            if !v.concepts.contains(&code) {
                let msg = format!("no concept with code \"{code}\" in this file");
                v.fail(&c.concept, format!("{field}.concept"), msg);
            }
            if !concepts_seen.insert(code.clone()) {
                v.fail(
                    &c.concept,
                    format!("{field}.concept"),
                    format!("duplicate concept \"{code}\""),
                );
            }
            let sms_sender = c
                .sms_sender
                .as_ref()
                .and_then(|s| sender(v, s, format!("{field}.sms_sender"), &mut seen_sms));
            let email_from = c
                .email_from
                .as_ref()
                .and_then(|e| mailbox(v, e, format!("{field}.email_from"), &mut seen_email))
                .and_then(|e| email_address(&e).ok());
            if c.sms_sender.is_none() && c.email_from.is_none() {
                v.fail(&c.concept, field, "names neither sms_sender nor email_from");
            }
            concepts.push(ConceptSenders {
                concept: code,
                sms_sender,
                email_from,
            });
        }
        CommsConfig {
            sms_default,
            email_default,
            concepts,
            bulk_sms_hours,
        }
    }

    fn sms_default_checked(
        &self,
        v: &mut Validator<'_>,
        seen: &mut HashSet<String>,
    ) -> Option<String> {
        self.sms_sender
            .as_ref()
            .and_then(|s| sender(v, s, "comms.sms_sender".into(), seen))
    }
}

fn sender(
    v: &mut Validator<'_>,
    at: &Spanned<String>,
    field: String,
    seen: &mut HashSet<String>,
) -> Option<String> {
    let s = at.get_ref().trim();
    if !valid_sender_id(s) {
        v.fail(
            at,
            field,
            "must be 3-11 letters and digits, or a number of up to 15 digits",
        );
        return None;
    }
    if !seen.insert(s.to_ascii_uppercase()) {
        v.fail(
            at,
            field,
            format!("sender \"{s}\" is configured twice; a sender belongs to one OU"),
        );
        return None;
    }
    Some(s.to_string())
}

fn mailbox(
    v: &mut Validator<'_>,
    at: &Spanned<String>,
    field: String,
    seen: &mut HashSet<String>,
) -> Option<String> {
    match email_address(at.get_ref()) {
        Ok(m) => {
            if !seen.insert(m.address.to_ascii_lowercase()) {
                v.fail(
                    at,
                    field,
                    format!("address \"{}\" is configured twice", m.address),
                );
                return None;
            }
            Some(m.to_string())
        }
        Err(_) => {
            v.fail(
                at,
                field,
                "must be an email address, optionally as \"Name <address>\"",
            );
            None
        }
    }
}

fn time(v: &mut Validator<'_>, at: &Spanned<String>, field: String) -> Option<Time> {
    match at.get_ref().trim().parse::<Time>() {
        Ok(t) => Some(t),
        Err(_) => {
            v.fail(at, field, "must be a time of day such as \"09:00\"");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::org::OrgFile;

    const BASE: &str = r#"
[org]
code = "acme"
name = "Acme"
time_zone = "Asia/Singapore"
currency = "SGD"
country = "SG"

[[concepts]]
code = "fashion"
name = "Fashion"
"#;

    #[test]
    fn senders_per_org_and_concept_validate() {
        let src = format!(
            "{BASE}\n[comms]\nsms_sender = \"ACMERTL\"\nemail_from = \"Acme <noreply@acme.example>\"\nbulk_sms_hours = {{ from = \"09:00\", to = \"21:00\" }}\n\n[[comms.concepts]]\nconcept = \"fashion\"\nsms_sender = \"ACMEFSH\"\n"
        );
        let f = OrgFile::parse("acme.toml", &src).unwrap();
        let book = f.comms.senders("acme", "Acme");
        assert_eq!(
            book.resolve_sms(Some("ACMEFSH")).concept.as_deref(),
            Some("fashion")
        );
        assert_eq!(book.resolve_sms(Some("nope")).address, "ACMERTL");
        assert_eq!(book.email_default.address, "noreply@acme.example");
        assert!(f.comms.bulk_sms_hours.is_some());
    }

    #[test]
    fn bad_senders_are_reported_by_field() {
        let src = format!(
            "{BASE}\n[comms]\nsms_sender = \"A VERY LONG SENDER\"\nemail_from = \"not an address\"\nbulk_sms_hours = {{ from = \"9am\", to = \"21:00\" }}\n\n[[comms.concepts]]\nconcept = \"nowhere\"\nsms_sender = \"ACMEFSH\"\n\n[[comms.concepts]]\nconcept = \"fashion\"\nsms_sender = \"acmefsh\"\n"
        );
        let errs = OrgFile::parse("acme.toml", &src).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "comms.sms_sender",
            "comms.email_from",
            "comms.bulk_sms_hours.from",
            "comms.concepts[0].concept",
            "comms.concepts[1].sms_sender",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }
}
