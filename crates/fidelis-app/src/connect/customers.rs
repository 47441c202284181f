//! `customer-v2-add` (a registration as `POST /v2/customers`: status label and reason,
//! per-channel subscription status) and `fleet-customers` (a child linked under its parent
//! in the org's fleet hierarchy, as `POST /v2/customers/bulk` links associations).

use fidelis_domain::customers::{
    validate_fields, validate_profile, ChannelFlags, FieldKind, FleetError, RawCommChannel,
    RawIdentifier, RawProfile,
};
use fidelis_store::customers::{ChannelRecord, NewProfile, Registration, Saved};
use fidelis_store::Unit;
use serde_json::{Map, Value};

use super::transactions::IDENTIFIERS;
use super::{field, Connect, Ctx, Record};
use crate::customers::{SubscriptionRequest, SubscriptionsUpdate};
use crate::AppError;

/// Subscription fields: `subscriptions.{channel}.{priority}`.
const CHANNELS: [&str; 3] = ["sms", "email", "whatsapp"];
const PRIORITIES: [&str; 2] = ["bulk", "trans"];

impl Connect<'_> {
    pub(super) async fn add_customer(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
    ) -> Result<i64, AppError> {
        let saved = self.register(unit, ctx, record, "", true).await?;
        let mut requests = Vec::new();
        for channel in CHANNELS {
            for priority in PRIORITIES {
                if let Some(status) = field(record, &format!("subscriptions.{channel}.{priority}"))
                {
                    requests.push(SubscriptionRequest {
                        channel,
                        priority,
                        status,
                        org_unit_id: None,
                    });
                }
            }
        }
        if !requests.is_empty() {
            let update = SubscriptionsUpdate {
                scope: None,
                sub_scope: None,
                subscriptions: requests,
            };
            let subs = self
                .app
                .customers()
                .check_subscriptions(&ctx.customers, &update)
                .await?;
            self.app
                .db
                .customers()
                .set_subscriptions_in(
                    unit,
                    ctx.customers.org.id,
                    saved.customer_id,
                    &subs,
                    self.app.now(),
                )
                .await?;
        }
        Ok(saved.customer_id.get())
    }

    pub(super) async fn link_fleet(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
    ) -> Result<i64, AppError> {
        let repo = self.app.db.customers();
        let org = ctx.customers.org.id;
        let h = repo
            .hierarchies(org)
            .await?
            .into_iter()
            .find(|h| h.config.active)
            .ok_or_else(|| FleetError::UnknownHierarchy("(none active)".into()))?;
        let top = h
            .config
            .roles
            .first()
            .map(|r| r.code.clone())
            .ok_or_else(|| FleetError::UnknownRole(String::new()))?;
        // The role a child takes: as mapped, or the one below the parent's.
        let role = match field(record, "role") {
            Some(r) => r.trim().to_string(),
            None => h
                .config
                .role(&top)
                .and_then(|r| r.child_role_code.clone())
                .ok_or(FleetError::RoleDoesNotQualify)?,
        };
        let parent = self.register(unit, ctx, record, "parent.", false).await?;
        let child = self.register(unit, ctx, record, "child.", true).await?;
        let now = self.app.now();
        repo.fleet_place_in(unit, org, &h, parent.customer_id, &top, now)
            .await?;
        repo.fleet_link_in(
            unit,
            org,
            &h,
            child.customer_id,
            &role,
            parent.customer_id,
            now,
        )
        .await?;
        Ok(child.customer_id.get())
    }

    /// Registers (or joins) the customer of the identifier fields after `prefix`; with
    /// `profile`, also the record's names, status label, fields and created date.
    async fn register(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
        prefix: &str,
        profile: bool,
    ) -> Result<Saved, AppError> {
        let c = &ctx.customers;
        let value = |n: &str| field(record, &format!("{prefix}{n}")).map(str::to_string);
        let mut raw = RawProfile {
            source: field(record, "source").unwrap_or("INSTORE").to_string(),
            ..RawProfile::default()
        };
        if profile {
            raw.first_name = field(record, "firstName").map(str::to_string);
            raw.last_name = field(record, "lastName").map(str::to_string);
        }
        for kind in IDENTIFIERS {
            if let Some(v) = value(kind) {
                raw.identifiers.push(RawIdentifier {
                    kind: kind.to_string(),
                    value: v.clone(),
                });
                if kind == "mobile" || kind == "email" {
                    raw.comm_channels.push(RawCommChannel {
                        kind: kind.to_string(),
                        value: v,
                        flags: ChannelFlags {
                            primary: true,
                            verified: false,
                            subscribed: None,
                        },
                    });
                }
            }
        }
        let checked = validate_profile(&raw, &c.org.country)?;
        let channels = checked
            .comm_channels
            .iter()
            .map(|ch| ChannelRecord {
                kind: ch.kind.as_str().to_string(),
                value: ch.value.clone(),
                primary: ch.primary,
                verified: ch.verified,
                subscribed: ch.subscribed,
                meta: Value::Object(Map::new()),
                attributes: Value::Object(Map::new()),
            })
            .collect();
        let mut cards = std::collections::BTreeMap::new();
        if let (true, Some(card)) = (profile, value("cardNumber")) {
            let mut d = Map::new();
            if let Some(s) = field(record, "cardSeriesId") {
                let id = s.trim().parse::<i64>().map_err(|_| {
                    fidelis_domain::customers::CustomerError::InvalidInput(
                        "cardSeriesId must be a number".into(),
                    )
                })?;
                d.insert("seriesId".into(), id.into());
            }
            let status = field(record, "cardStatus").unwrap_or("ACTIVE");
            d.insert("statusLabel".into(), status.trim().into());
            cards.insert(card.trim().to_string(), Value::Object(d));
        }
        let (fields, extended) = if profile {
            (
                validate_fields(
                    FieldKind::Custom,
                    &c.settings.custom_fields,
                    &open_fields(&record.fields, "customFields."),
                )?,
                validate_fields(
                    FieldKind::Extended,
                    &c.settings.extended_fields,
                    &open_fields(&record.fields, "extendedFields."),
                )?,
            )
        } else {
            (Map::new(), Map::new())
        };
        let reg = Registration {
            profiles: vec![NewProfile {
                profile: checked,
                fields,
                channels,
                cards,
            }],
            loyalty_type: None,
            extended_fields: extended,
            associated_with: None,
            created_at: record
                .dates
                .get("createdDate")
                .copied()
                .unwrap_or_else(|| self.app.now()),
            status_label: field(record, "statusLabel")
                .filter(|_| profile)
                .map(|s| s.trim().to_string()),
            status_reason: field(record, "statusLabelReason")
                .filter(|_| profile)
                .map(|s| s.trim().to_string()),
        };
        Ok(self
            .app
            .db
            .customers()
            .register_in(unit, c.org.id, &reg, &c.actor, self.app.now())
            .await?)
    }
}

/// The fields under `prefix` (`extendedFields.`), by their name after it, as JSON strings.
fn open_fields(
    fields: &std::collections::BTreeMap<String, String>,
    prefix: &str,
) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone().into())))
        .collect()
}
