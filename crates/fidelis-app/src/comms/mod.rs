//! The comms context: SMS and email through the outbox, and the interactions they make.
//!
//! `send_sms` / `send_email` resolve the sender against the org's sender book and write
//! the message to the outbox in one unit of work (`queue_in` lets another context's
//! request queue a message inside its own unit). The delivery worker (`worker`) takes due
//! messages under leases and hands them to the channel's gateway (`gateway`).

mod gateway;
pub mod worker;

use fidelis_domain::comms::{
    Channel, CommsConfig, CommsError, EmailDraft, ResolvedSender, SenderBook, SmsDraft,
};
use fidelis_domain::customers::{CustomerError, CustomerId};
use fidelis_domain::org::Org;
use fidelis_store::comms::{MessageRecord, NewMessage};
use fidelis_store::Unit;

pub use gateway::{Delivery, EmailGateway, EmailOut, Sending, SmsGateway, SmsOut, LEASE};
pub use worker::DeliveryReport;

use crate::{App, AppError, Caller};

/// What every comms operation needs: the org, its sender book and who calls.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub org: Org,
    pub config: CommsConfig,
    pub senders: SenderBook,
    pub actor: String,
}

/// Which interactions to list.
pub use fidelis_store::comms::MessageQuery as InteractionQuery;

/// The largest page of interactions.
pub const MAX_PAGE: i64 = 100;

pub struct Comms<'a> {
    app: &'a App,
}

impl App {
    pub fn comms(&self) -> Comms<'_> {
        Comms { app: self }
    }
}

impl Comms<'_> {
    pub async fn context(&self, caller: &Caller) -> Result<Ctx, AppError> {
        let config = self.app.config(caller).await?;
        Ok(Ctx {
            org: config.org.clone(),
            senders: config.comms.senders(&config.org.code, &config.org.name),
            config: config.comms.clone(),
            actor: caller.name(),
        })
    }

    /// Queues an SMS from the sender the draft names (when configured for the org) or
    /// the org default.
    pub async fn send_sms(&self, ctx: &Ctx, draft: &SmsDraft) -> Result<MessageRecord, AppError> {
        let mut unit = self.app.db.unit().await?;
        let id = self.queue_sms_in(&mut unit, ctx, draft).await?;
        unit.commit().await?;
        self.get(ctx, Channel::Sms, id).await
    }

    /// Queues an email from the from-address the draft names (when configured for the
    /// org) or the org default.
    pub async fn send_email(
        &self,
        ctx: &Ctx,
        draft: &EmailDraft,
    ) -> Result<MessageRecord, AppError> {
        let mut unit = self.app.db.unit().await?;
        let id = self.queue_email_in(&mut unit, ctx, draft).await?;
        unit.commit().await?;
        self.get(ctx, Channel::Email, id).await
    }

    /// Queues an SMS inside `unit` (another context's request): sent only if it commits.
    pub async fn queue_sms_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        draft: &SmsDraft,
    ) -> Result<i64, AppError> {
        let sender = ctx.senders.resolve_sms(draft.requested_sender.as_deref());
        log_fallback(&sender, draft.requested_sender.as_deref(), "SMS");
        let m = NewMessage {
            body: draft.body.clone(),
            scheduled_time: draft.scheduled_time.clone(),
            ..self.message(
                ctx,
                Channel::Sms,
                sender,
                draft.requested_sender.clone(),
                &draft.to,
                draft.to.clone(),
            )
        };
        self.enqueue_in(unit, ctx, &m).await
    }

    /// Queues an email inside `unit`; its first `to` address names the customer.
    pub async fn queue_email_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        draft: &EmailDraft,
    ) -> Result<i64, AppError> {
        let first = draft
            .to
            .first()
            .ok_or_else(|| CommsError::InvalidAddress("to is required".into()))?;
        let sender = ctx.senders.resolve_email(draft.requested_from.as_deref());
        log_fallback(&sender, draft.requested_from.as_deref(), "email");
        let m = NewMessage {
            cc: draft.cc.clone(),
            bcc: draft.bcc.clone(),
            subject: draft.subject.clone(),
            body: draft.body.clone(),
            attachments: draft.attachments.clone(),
            scheduled_time: draft.scheduled_time.clone(),
            ..self.message(
                ctx,
                Channel::Email,
                sender,
                draft.requested_from.clone(),
                &first.to_lowercase(),
                draft.to.join(","),
            )
        };
        self.enqueue_in(unit, ctx, &m).await
    }

    /// A transactional message on `channel` from `sender` to `recipient`, for the customer
    /// holding identifier `key`, with nothing in it yet.
    fn message(
        &self,
        ctx: &Ctx,
        channel: Channel,
        sender: ResolvedSender,
        requested: Option<String>,
        key: &str,
        recipient: String,
    ) -> NewMessage {
        NewMessage {
            channel,
            customer_id: None,
            customer_key: Some(key.to_string()),
            recipient,
            cc: vec![],
            bcc: vec![],
            sender: sender.address,
            requested_sender: requested,
            concept: sender.concept,
            subject: String::new(),
            body: String::new(),
            attachments: vec![],
            scheduled_time: None,
            priority: "TRANS",
            not_before: self.app.now(),
            created_by: ctx.actor.clone(),
        }
    }

    async fn enqueue_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        m: &NewMessage,
    ) -> Result<i64, AppError> {
        Ok(self
            .app
            .db
            .comms()
            .enqueue_in(unit, ctx.org.id, m, self.app.now())
            .await?)
    }

    /// A message of the org by id; a message of another channel or org is not found.
    pub async fn get(
        &self,
        ctx: &Ctx,
        channel: Channel,
        id: i64,
    ) -> Result<MessageRecord, AppError> {
        self.app
            .db
            .comms()
            .get(ctx.org.id, channel, id)
            .await?
            .ok_or_else(|| {
                match channel {
                    Channel::Sms => CommsError::SmsNotFound,
                    Channel::Email => CommsError::EmailNotFound,
                }
                .into()
            })
    }

    /// A customer's messages, newest first, and how many there are in all.
    pub async fn interactions(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
        q: &InteractionQuery,
    ) -> Result<(Vec<MessageRecord>, i64), AppError> {
        if !(1..=MAX_PAGE).contains(&q.limit) || q.offset < 0 {
            return Err(CommsError::InvalidQuery(format!(
                "limit must be 1-{MAX_PAGE} and offset at least 0"
            ))
            .into());
        }
        if !self
            .app
            .db
            .customers()
            .exists(ctx.org.id, customer_id)
            .await?
        {
            return Err(CustomerError::NotFound.into());
        }
        Ok(self
            .app
            .db
            .comms()
            .for_customer(ctx.org.id, customer_id, q)
            .await?)
    }
}

fn log_fallback(sender: &ResolvedSender, requested: Option<&str>, what: &str) {
    if sender.fell_back {
        tracing::info!(
            requested = requested.unwrap_or_default(),
            used = %sender.address,
            "{what} sender is not configured for the org; the org default is used"
        );
    }
}

/// A customer's id and first mobile, email and external id, as interaction reads show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    pub id: i64,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

impl Comms<'_> {
    /// The customer named by id, or by an identifier (`mobile`, `email`, `externalId`).
    pub async fn contacts(
        &self,
        ctx: &Ctx,
        id: Option<CustomerId>,
        identifier: Option<(&str, &str)>,
    ) -> Result<Contacts, AppError> {
        let id = match (id, identifier) {
            (Some(id), _) => id,
            (None, Some((name, value))) => {
                let who = crate::customers::Lookup {
                    source: Some("ALL".into()),
                    identifier_name: Some(name.to_string()),
                    identifier_value: Some(value.to_string()),
                    ..Default::default()
                };
                crate::customers::resolve_brief(self.app, &ctx.org, &who)
                    .await?
                    .id
            }
            (None, None) => {
                return Err(CommsError::InvalidQuery(
                    "one of mobile, email, external_id or id is required".into(),
                )
                .into())
            }
        };
        let record = self
            .app
            .db
            .customers()
            .get(ctx.org.id, id)
            .await?
            .ok_or(CustomerError::NotFound)?;
        let mut out = Contacts {
            id: id.get(),
            ..Contacts::default()
        };
        for i in record.profiles.iter().flat_map(|p| p.identifiers.iter()) {
            let slot = match i.kind.as_str() {
                "mobile" => &mut out.mobile,
                "email" => &mut out.email,
                "externalId" => &mut out.external_id,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(i.value.clone());
            }
        }
        Ok(out)
    }
}
