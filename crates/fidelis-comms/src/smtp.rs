//! `smtp://[user:pass@]host:port` and `smtps://user:pass@host:465`: email through an
//! SMTP server with lettre. An email the server accepted is Sent (the server delivers it
//! onward); a permanent SMTP reply (5xx) fails it; anything else is tried again.
//!
//! Each message carries `Message-ID: <fidelis.ORG.ID@DOMAIN>` (the from-address's domain),
//! the same on every attempt, so a receiving system can recognise a repeat.

use lettre::message::header::ContentType;
use lettre::message::{Attachment as Part, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use fidelis_app::comms::{EmailGateway, EmailOut, Sending};
use fidelis_domain::comms::{MessageStatus, Outcome};

pub struct Smtp {
    shown: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("{}: {e}", super::redact(url)))?
            .timeout(Some(super::GATEWAY_TIMEOUT))
            .build();
        Ok(Self {
            shown: super::redact(url),
            transport,
        })
    }

    async fn deliver(&self, email: EmailOut<'_>) -> Outcome {
        let message = match build(&email) {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(e),
        };
        match self.transport.send(message).await {
            Ok(response) => Outcome::Accepted {
                status: MessageStatus::Sent,
                reference: response
                    .message()
                    .next()
                    .map(|s| s.chars().take(200).collect()),
            },
            Err(e) if e.is_permanent() => Outcome::Permanent(format!("SMTP: {e}")),
            Err(e) => Outcome::Temporary(format!("SMTP {}: {e}", self.shown)),
        }
    }
}

/// The MIME message of `email`: a text body, and each attachment with its content type.
pub fn build(email: &EmailOut<'_>) -> Result<Message, String> {
    let mailbox = |s: &str| {
        s.parse::<Mailbox>()
            .map_err(|e| format!("address {s}: {e}"))
    };
    let from = mailbox(email.from)?;
    let domain = from.email.domain().to_string();
    let mut b = Message::builder()
        .from(from)
        .subject(email.subject)
        .message_id(Some(format!(
            "<fidelis.{}.{}@{domain}>",
            email.org, email.id
        )));
    for to in email.to.split(',').filter(|s| !s.is_empty()) {
        b = b.to(mailbox(to)?);
    }
    for cc in email.cc {
        b = b.cc(mailbox(cc)?);
    }
    for bcc in email.bcc {
        b = b.bcc(mailbox(bcc)?);
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.to_string());
    let built = if email.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut parts = MultiPart::mixed().singlepart(text);
        for a in email.attachments {
            let ct = ContentType::parse(&a.mime_type).map_err(|e| {
                format!(
                    "attachment {}: content type {}: {e}",
                    a.file_name, a.mime_type
                )
            })?;
            parts = parts.singlepart(Part::new(a.file_name.clone()).body(a.bytes.clone(), ct));
        }
        b.multipart(parts)
    };
    built.map_err(|e| format!("email {}: {e}", email.id))
}

impl EmailGateway for Smtp {
    fn describe(&self) -> String {
        format!("smtp {}", self.shown)
    }

    fn send<'a>(&'a self, email: EmailOut<'a>) -> Sending<'a> {
        Box::pin(self.deliver(email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fidelis_domain::comms::Attachment;

    #[test]
    fn attachments_keep_their_bytes_and_type() {
        let png = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255];
        let atts = vec![Attachment {
            file_name: "logo.png".into(),
            mime_type: "image/png".into(),
            bytes: png,
        }];
        let cc = vec!["cashier1@example.com".to_string()];
        let email = EmailOut {
            org: "demo",
            id: 42,
            from: "Demo Retail <noreply@demo-retail.example>",
            to: "tom@example.com",
            cc: &cc,
            bcc: &[],
            subject: "Hello",
            body: "Dear Tom",
            attachments: &atts,
        };
        let text = String::from_utf8(build(&email).unwrap().formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <fidelis.demo.42@demo-retail.example>"),
            "{text}"
        );
        assert!(text.contains("Content-Type: image/png"), "{text}");
        assert!(text.contains("filename=\"logo.png\""), "{text}");
        assert!(text.contains("iVBORwABAv8="), "{text}");
        assert!(!text.contains("Bcc:"));
    }
}
