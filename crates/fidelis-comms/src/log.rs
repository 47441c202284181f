//! Email without an SMTP server (`serve --demo` with no `FIDELIS_SMTP_URL`): each attempt
//! is logged and the message stays queued, to go out once a server is configured.

use fidelis_app::comms::{EmailGateway, EmailOut, Sending};
use fidelis_domain::comms::Outcome;

#[derive(Debug, Default)]
pub struct LogOnly;

impl EmailGateway for LogOnly {
    fn describe(&self) -> String {
        "log (no SMTP server configured)".into()
    }

    fn send<'a>(&'a self, email: EmailOut<'a>) -> Sending<'a> {
        Box::pin(async move {
            tracing::warn!(
                org = email.org,
                id = email.id,
                from = email.from,
                to = email.to,
                subject = email.subject,
                attachments = email.attachments.len(),
                "email not sent: no SMTP server configured (set FIDELIS_SMTP_URL); it stays queued"
            );
            Outcome::Temporary("no SMTP server configured (FIDELIS_SMTP_URL)".into())
        })
    }
}
