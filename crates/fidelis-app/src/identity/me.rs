//! `PUT /mobile/v2/me`: the customer changes their own names and channel subscriptions.
//! The same customer commands as the Capillary API run, attributed to the partner client.

use fidelis_domain::customers::{normalise_name, CustomerError, CustomerId, Profile};
use fidelis_store::customers::{NewProfile, Update};

use super::{Grant, Identity};
use crate::customers::{CustomerKey, SubscriptionRequest, SubscriptionsUpdate};
use crate::AppError;

/// What a customer may change about themselves.
#[derive(Debug, Clone, Default)]
pub struct MeUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `(channel, status)`: `SMS`/`EMAIL`/…, `OPTIN`/`OPTOUT`; promotional and
    /// transactional priorities alike unless `priority` is given.
    pub subscriptions: Vec<MeSubscription>,
}

#[derive(Debug, Clone, Default)]
pub struct MeSubscription {
    pub channel: String,
    pub status: String,
    pub priority: Option<String>,
}

impl Identity<'_> {
    /// Applies `up` to the grant's customer: names on their first profile, subscriptions
    /// org-wide. Everything is checked before anything is written.
    pub async fn update_me(&self, g: &Grant, up: &MeUpdate) -> Result<(), AppError> {
        let caller = g.caller();
        let customers = self.app.customers();
        let ctx = customers.context(&caller).await?;
        let id = CustomerId::new(g.customer_id);
        let first_name = normalise_name("firstName", up.first_name.as_deref())?;
        let last_name = normalise_name("lastName", up.last_name.as_deref())?;
        let subs: Vec<SubscriptionRequest<'_>> = up
            .subscriptions
            .iter()
            .flat_map(|s| {
                let priorities: Vec<&str> = match &s.priority {
                    Some(p) => vec![p.as_str()],
                    None => vec!["BULK", "TRANS"],
                };
                priorities.into_iter().map(|priority| SubscriptionRequest {
                    channel: &s.channel,
                    priority,
                    status: &s.status,
                    org_unit_id: None,
                })
            })
            .collect();
        if first_name.is_none() && last_name.is_none() && subs.is_empty() {
            return Err(CustomerError::InvalidInput(
                "give firstName, lastName or subscriptions".into(),
            )
            .into());
        }
        let subscriptions = SubscriptionsUpdate {
            scope: None,
            sub_scope: None,
            subscriptions: subs,
        };
        // Subscriptions are parsed first, so a bad channel changes nothing.
        customers.check_subscriptions(&ctx, &subscriptions).await?;
        if first_name.is_some() || last_name.is_some() {
            let account = customers.account(&ctx, id, None, None).await?;
            let up = Update {
                profiles: vec![NewProfile {
                    profile: Profile {
                        account,
                        first_name,
                        last_name,
                        identifiers: Vec::new(),
                        comm_channels: Vec::new(),
                    },
                    fields: Default::default(),
                    channels: Vec::new(),
                    cards: Default::default(),
                }],
                loyalty_type: None,
                extended_fields: Default::default(),
            };
            let loyalty = self.app.loyalty().context(&caller).await?;
            customers
                .update(&ctx, id, &up, Vec::new(), &loyalty, &[])
                .await?;
        }
        if !subscriptions.subscriptions.is_empty() {
            customers
                .set_subscriptions(&ctx, CustomerKey::Id(id), &subscriptions)
                .await?;
        }
        Ok(())
    }
}
