//! Messages as a request asks for them: an SMS to a mobile number, an email to addresses
//! with attachments. `check` is where every limit is enforced, so nothing invalid is
//! queued.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::error::CommsError;
use crate::customers::identifiers::normalise_mobile;

/// Longest SMS body: ten concatenated parts of 160 GSM characters.
pub const MAX_SMS_CHARS: usize = 1600;
pub const MAX_SUBJECT_CHARS: usize = 500;
/// Longest email body, in bytes.
pub const MAX_EMAIL_BODY_BYTES: usize = 512 * 1024;
/// Recipients of one email, to + cc + bcc together.
pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_ATTACHMENTS: usize = 10;
/// The decoded bytes of all attachments of one email together (requests are limited to
/// 2 MiB at the edge, so base64 data cannot carry more than about 1.5 MiB anyway).
pub const MAX_ATTACHMENT_BYTES: usize = 1024 * 1024;
const MAX_FILE_NAME_CHARS: usize = 255;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Email => "EMAIL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "SMS" => Some(Self::Sms),
            "EMAIL" => Some(Self::Email),
            _ => None,
        }
    }
}

/// Where a message is in its life: Queued → Sent → Delivered, or Failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Written to the outbox, waiting for (another) delivery attempt.
    Queued,
    /// The gateway accepted it for onward delivery.
    Sent,
    /// The final destination has it.
    Delivered,
    /// Given up: refused by the gateway, or out of attempts.
    Failed,
}

impl MessageStatus {
    /// As stored and as Capillary shows it (`Queued`, `Sent`, `Delivered`, `Failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Sent => "Sent",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
    }
}

/// An email address with an optional display name: `Name <addr>` or `addr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// Parses `Name <addr>` or `addr`; the address must be `local@domain.tld` without spaces.
pub fn email_address(raw: &str) -> Result<Mailbox, CommsError> {
    let invalid = || CommsError::InvalidAddress(raw.trim().to_string());
    let raw = raw.trim();
    let (name, addr) = match (raw.find('<'), raw.ends_with('>')) {
        (Some(open), true) => {
            let name = raw[..open].trim().trim_matches('"').trim();
            if name
                .chars()
                .any(|c| matches!(c, '<' | '>' | '"' | ',' | ';') || c.is_control())
            {
                return Err(invalid());
            }
            (
                Some(name.to_string()).filter(|n| !n.is_empty()),
                &raw[open + 1..raw.len() - 1],
            )
        }
        (None, false) => (None, raw),
        _ => return Err(invalid()),
    };
    let addr = addr.trim();
    let Some((local, domain)) = addr.split_once('@') else {
        return Err(invalid());
    };
    let ok = !local.is_empty()
        && local.len() <= 64
        && addr.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && addr.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\'
                )
        })
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if !ok {
        return Err(invalid());
    }
    Ok(Mailbox {
        name,
        address: addr.to_string(),
    })
}

/// A comma- (or semicolon-) separated list of addresses; empty text is no address.
pub fn address_list(raw: Option<&str>) -> Result<Vec<String>, CommsError> {
    raw.unwrap_or_default()
        .split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| email_address(s).map(|m| m.address))
        .collect()
}

/// An SMS as a request asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsDraft {
    /// Country code and number, digits only.
    pub to: String,
    pub body: String,
    /// The sender the request named, if any (resolved against the org's senders).
    pub requested_sender: Option<String>,
    /// `scheduled_time` as sent, echoed back.
    pub scheduled_time: Option<String>,
}

impl SmsDraft {
    /// `country` reads numbers written without a country code (the org's country).
    pub fn check(
        to: Option<&str>,
        body: Option<&str>,
        sender: Option<&str>,
        scheduled_time: Option<&str>,
        country: &str,
    ) -> Result<Self, CommsError> {
        let to = to
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| CommsError::InvalidSms("to is required".into()))?;
        let to = sms_number(to, country)?;
        let body = body.unwrap_or_default();
        if body.trim().is_empty() {
            return Err(CommsError::InvalidSms("body is required".into()));
        }
        if body.chars().count() > MAX_SMS_CHARS {
            return Err(CommsError::InvalidSms(format!(
                "body is longer than {MAX_SMS_CHARS} characters"
            )));
        }
        Ok(Self {
            to,
            body: body.to_string(),
            requested_sender: sender
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
            scheduled_time: scheduled_time.map(String::from),
        })
    }
}

/// The number an SMS goes to: the customer form of a valid mobile number (country code
/// and number, digits only; a national number read in the org's country); otherwise any
/// international number of 8 to 15 digits, as given (numbering plans change faster than
/// validation data, and the gateway has the last word).
pub fn sms_number(raw: &str, country: &str) -> Result<String, CommsError> {
    if let Ok(n) = normalise_mobile(raw, country) {
        return Ok(n);
    }
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))
        .unwrap_or(&compact);
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits.to_string())
    } else {
        Err(CommsError::InvalidSms(format!(
            "to {} is not a mobile number",
            raw.trim()
        )))
    }
}

/// A file attached to an email: its bytes as they will be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// Standard base64, padded or not; line breaks and spaces are removed first.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl Attachment {
    /// An attachment as Capillary's API sends it: `file_name`, `file_type` (an extension
    /// such as `png`, or a MIME type), `file_data`, and `file_encoding_type`: `base64`
    /// decodes the data, absent attaches the text as given.
    pub fn from_wire(
        file_name: Option<&str>,
        file_type: Option<&str>,
        file_data: Option<&str>,
        encoding: Option<&str>,
    ) -> Result<Self, CommsError> {
        let invalid = |m: String| CommsError::InvalidEmail(m);
        let name = file_name
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("attachment file_name is required".into()))?;
        if name.chars().count() > MAX_FILE_NAME_CHARS
            || name
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"'))
        {
            return Err(invalid(format!(
                "attachment file_name {name:?} must be at most {MAX_FILE_NAME_CHARS} characters without '/', '\\', '\"' or control characters"
            )));
        }
        let declared = file_type.map(str::trim).filter(|s| !s.is_empty());
        let extension = name.rsplit_once('.').map(|(_, e)| e);
        let mime_type = match declared.or(extension) {
            Some(t) => mime_for(t).ok_or_else(|| {
                invalid(format!(
                    "attachment {name}: file_type {t:?} is not a file type"
                ))
            })?,
            None => "application/octet-stream".to_string(),
        };
        let data = file_data
            .ok_or_else(|| invalid(format!("attachment {name}: file_data is required")))?;
        let bytes = match encoding.map(str::trim).filter(|s| !s.is_empty()) {
            None => data.as_bytes().to_vec(),
            Some(e) if e.eq_ignore_ascii_case("base64") => {
                let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                BASE64.decode(compact.as_bytes()).map_err(|e| {
                    invalid(format!("attachment {name}: file_data is not valid base64 ({e})"))
                })?
            }
            Some(e) => {
                return Err(invalid(format!(
                    "attachment {name}: file_encoding_type {e:?} is not supported; use base64 or leave it out"
                )))
            }
        };
        if bytes.is_empty() {
            return Err(invalid(format!("attachment {name}: file_data is empty")));
        }
        Ok(Self {
            file_name: name.to_string(),
            mime_type,
            bytes,
        })
    }
}

/// The MIME type of a file type given as an extension (`png`, `.PDF`) or as a MIME type
/// (`image/png`). None when `t` is neither.
pub fn mime_for(t: &str) -> Option<String> {
    let t = t.trim().trim_start_matches('.').to_ascii_lowercase();
    if let Some((kind, sub)) = t.split_once('/') {
        let token = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
        };
        return (token(kind) && token(sub)).then_some(t);
    }
    let known = match t.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "text" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ics" => "text/calendar",
        _ if !t.is_empty() && t.len() <= 10 && t.chars().all(|c| c.is_ascii_alphanumeric()) => {
            "application/octet-stream"
        }
        _ => return None,
    };
    Some(known.to_string())
}

/// An email as a request asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDraft {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    /// The from-address the request named (resolved against the org's senders).
    pub requested_from: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub scheduled_time: Option<String>,
}

impl EmailDraft {
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        to: Option<&str>,
        cc: Option<&str>,
        bcc: Option<&str>,
        from: Option<&str>,
        subject: Option<&str>,
        body: Option<&str>,
        attachments: Vec<Attachment>,
        scheduled_time: Option<&str>,
    ) -> Result<Self, CommsError> {
        let to = address_list(to)?;
        if to.is_empty() {
            return Err(CommsError::InvalidAddress("to is required".into()));
        }
        let cc = address_list(cc)?;
        let bcc = address_list(bcc)?;
        if to.len() + cc.len() + bcc.len() > MAX_RECIPIENTS {
            return Err(CommsError::InvalidEmail(format!(
                "at most {MAX_RECIPIENTS} recipients (to, cc and bcc together)"
            )));
        }
        let requested_from = from.map(str::trim).filter(|s| !s.is_empty());
        if let Some(f) = requested_from {
            email_address(f)?;
        }
        let subject = subject.map(str::trim).unwrap_or_default();
        if subject.is_empty() {
            return Err(CommsError::InvalidEmail("subject is required".into()));
        }
        if subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
            return Err(CommsError::InvalidEmail(format!(
                "subject must be one line of at most {MAX_SUBJECT_CHARS} characters"
            )));
        }
        let body = body.unwrap_or_default();
        if body.trim().is_empty() {
            return Err(CommsError::InvalidEmail("body is required".into()));
        }
        if body.len() > MAX_EMAIL_BODY_BYTES {
            return Err(CommsError::InvalidEmail(format!(
                "body is larger than {MAX_EMAIL_BODY_BYTES} bytes"
            )));
        }
        if attachments.len() > MAX_ATTACHMENTS {
            return Err(CommsError::InvalidEmail(format!(
                "at most {MAX_ATTACHMENTS} attachments"
            )));
        }
        let total: usize = attachments.iter().map(|a| a.bytes.len()).sum();
        if total > MAX_ATTACHMENT_BYTES {
            return Err(CommsError::InvalidEmail(format!(
                "attachments are larger than {MAX_ATTACHMENT_BYTES} bytes together"
            )));
        }
        Ok(Self {
            to,
            cc,
            bcc,
            requested_from: requested_from.map(String::from),
            subject: subject.to_string(),
            body: body.to_string(),
            attachments,
            scheduled_time: scheduled_time.map(String::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    #[test]
    fn base64_images_are_decoded_with_their_mime_type() {
        let a = Attachment::from_wire(Some("logo.png"), Some("png"), Some(PNG_1PX), Some("base64"))
            .unwrap();
        assert_eq!(a.mime_type, "image/png");
        assert_eq!(&a.bytes[..8], b"\x89PNG\r\n\x1a\n");
        // Line breaks inside the data and a missing padding are tolerated.
        let wrapped = format!(
            "{}\n  {}",
            &PNG_1PX[..40],
            PNG_1PX[40..].trim_end_matches('=')
        );
        let b = Attachment::from_wire(
            Some("logo.png"),
            Some("PNG"),
            Some(&wrapped),
            Some("BASE64"),
        )
        .unwrap();
        assert_eq!(a.bytes, b.bytes);
        for (t, mime) in [
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
            ("pdf", "application/pdf"),
            ("txt", "text/plain"),
            ("image/webp", "image/webp"),
        ] {
            assert_eq!(mime_for(t).as_deref(), Some(mime), "{t}");
        }
    }

    #[test]
    fn without_an_encoding_the_data_is_attached_as_given() {
        let a = Attachment::from_wire(Some("notes.txt"), Some("txt"), Some("hello\nworld"), None)
            .unwrap();
        assert_eq!(a.bytes, b"hello\nworld");
        assert_eq!(a.mime_type, "text/plain");
        // The type may come from the name alone.
        let b = Attachment::from_wire(Some("terms.pdf"), None, Some("%PDF-1.4"), None).unwrap();
        assert_eq!(b.mime_type, "application/pdf");
    }

    #[test]
    fn bad_attachments_are_clear_errors() {
        // The documented placeholder text is not base64.
        let doc = "  -- base64_encoded file contents\n adsdsadd21121dasd12123123assdad1212123\n";
        let e = Attachment::from_wire(Some("sample.pdf"), Some("pdf"), Some(doc), Some("base64"))
            .unwrap_err();
        assert_eq!(crate::error::CodedError::code(&e), 4201);
        assert!(e.to_string().contains("not valid base64"), "{e}");
        assert!(Attachment::from_wire(None, Some("pdf"), Some("x"), None).is_err());
        assert!(Attachment::from_wire(Some("../etc/passwd"), None, Some("x"), None).is_err());
        assert!(
            Attachment::from_wire(Some("a.png"), Some("png"), Some("x"), Some("uuencode")).is_err()
        );
        assert!(Attachment::from_wire(Some("a.png"), Some("png"), None, None).is_err());
        assert!(
            Attachment::from_wire(Some("a.png"), Some("no such type!"), Some("x"), None).is_err()
        );
    }

    #[test]
    fn addresses_are_checked() {
        let m = email_address("Demo Retail <noreply@demo-retail.example>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Demo Retail"));
        assert_eq!(m.address, "noreply@demo-retail.example");
        assert_eq!(m.to_string(), "Demo Retail <noreply@demo-retail.example>");
        for bad in [
            "",
            "tom",
            "tom@",
            "@x.com",
            "tom@localhost",
            "a b@x.com",
            "tom@x..com",
            "<tom@x.com",
            "Tom <tom@x.com",
            "a@b@c.com",
        ] {
            assert!(email_address(bad).is_err(), "{bad}");
        }
        assert_eq!(
            address_list(Some("cashier1@example.com, cashier2@example.com")).unwrap(),
            vec!["cashier1@example.com", "cashier2@example.com"]
        );
        assert_eq!(
            crate::error::CodedError::code(&address_list(Some("x, y@z.com")).unwrap_err()),
            4208
        );
    }

    #[test]
    fn sms_needs_a_number_and_a_body_within_limits() {
        let s = SmsDraft::check(
            Some("+44 7911 123456"),
            Some("Hi"),
            Some(" DEMOFSH "),
            None,
            "SG",
        )
        .unwrap();
        assert_eq!(s.to, "447911123456");
        // The documented example's number (a UK drama range) is not in the numbering data,
        // but is an international number: it goes out as given.
        assert_eq!(
            SmsDraft::check(Some("447700900000"), Some("Hi"), None, None, "SG")
                .unwrap()
                .to,
            "447700900000"
        );
        assert_eq!(s.requested_sender.as_deref(), Some("DEMOFSH"));
        // A national number is read in the org's country.
        assert_eq!(
            SmsDraft::check(Some("91234567"), Some("Hi"), None, None, "SG")
                .unwrap()
                .to,
            "6591234567"
        );
        let long = "x".repeat(MAX_SMS_CHARS + 1);
        for (to, body) in [
            (None, Some("Hi")),
            (Some("12"), Some("Hi")),
            (Some("call me"), Some("Hi")),
            (Some("1234567890123456"), Some("Hi")),
            (Some("6591234567"), None),
            (Some("6591234567"), Some(" ")),
            (Some("6591234567"), Some(long.as_str())),
        ] {
            let e = SmsDraft::check(to, body, None, None, "SG").unwrap_err();
            assert_eq!(crate::error::CodedError::code(&e), 4101, "{to:?} {e}");
        }
    }

    #[test]
    fn email_limits_hold() {
        let ok = |to: &str| {
            EmailDraft::check(
                Some(to),
                None,
                None,
                None,
                Some("S"),
                Some("B"),
                vec![],
                None,
            )
        };
        assert!(ok("tom@example.com").is_ok());
        assert!(ok("").is_err());
        let many = (0..=MAX_RECIPIENTS)
            .map(|i| format!("u{i}@example.com"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(ok(&many).is_err());
        let big = Attachment {
            file_name: "a.bin".into(),
            mime_type: "application/octet-stream".into(),
            bytes: vec![0; MAX_ATTACHMENT_BYTES + 1],
        };
        assert!(EmailDraft::check(
            Some("t@example.com"),
            None,
            None,
            None,
            Some("S"),
            Some("B"),
            vec![big],
            None
        )
        .is_err());
        assert!(EmailDraft::check(
            Some("t@example.com"),
            None,
            None,
            None,
            Some("S\r\nBcc: x@y.com"),
            Some("B"),
            vec![],
            None
        )
        .is_err());
        assert!(EmailDraft::check(
            Some("t@example.com"),
            None,
            None,
            None,
            None,
            Some("B"),
            vec![],
            None
        )
        .is_err());
    }
}
