//! Registration: create a customer, or join/refresh an existing one (docs/customers.md).

use fidelis_domain::customers::{
    fill_identifiers, initial_status, plan_registration, subscriptions::from_comm_channels,
    CommChannel, CustomerError, CustomerId, CustomerStatus, Identifier, IdentifierOwner,
    IdentifierType, LoyaltyType, RegistrationPlan, Source, SourceAccount, Subscription,
    WARNING_COMBINED_ACROSS_SOURCES_MESSAGE, WARNING_IDENTIFIER_NOT_UPDATED,
};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::{
    is_unique_violation, lock_customer, now_db, retrying, settings_in, Actor, CResult,
    CustomerRepo, CustomersError, NewProfile, Registration, Saved, Tx, ATTEMPTS,
};
use crate::Unit;

pub(crate) fn account_key(a: &SourceAccount) -> (&'static str, String) {
    (a.source.as_str(), a.account_id.clone().unwrap_or_default())
}

impl CustomerRepo<'_> {
    /// Registers `reg`, retrying when a concurrent registration won a race for an identifier.
    pub async fn register(
        &self,
        org_id: OrgId,
        reg: &Registration,
        actor: &Actor,
        now: Timestamp,
    ) -> CResult<Saved> {
        for _ in 0..ATTEMPTS {
            let mut tx = self.0.begin().await?;
            match register_tx(&mut tx, org_id, reg, actor, now).await {
                Ok(saved) => {
                    tx.commit().await?;
                    return Ok(saved);
                }
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CustomersError::Busy)
    }

    /// `register` as a step of `unit`: nothing of it remains when it fails.
    pub async fn register_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        reg: &Registration,
        actor: &Actor,
        now: Timestamp,
    ) -> CResult<Saved> {
        retrying!(unit, register_tx(unit, org_id, reg, actor, now))
    }
}

async fn register_tx(
    tx: &mut Tx,
    org_id: OrgId,
    reg: &Registration,
    actor: &Actor,
    now: Timestamp,
) -> CResult<Saved> {
    let mut anchor: Option<CustomerId> = None;
    let mut warnings = Vec::new();
    for p in &reg.profiles {
        let owners = fetch_owners(tx, org_id, &p.profile.identifiers).await?;
        match plan_registration(&p.profile, &owners)? {
            RegistrationPlan::Create => {}
            RegistrationPlan::Existing {
                customer_id,
                combined,
            } => {
                if anchor.is_some_and(|a| a != customer_id) {
                    let first = p.profile.identifiers.first().map(|i| i.kind);
                    return Err(first
                        .map(IdentifierType::exists_error)
                        .unwrap_or(CustomerError::NoIdentifier)
                        .into());
                }
                anchor = Some(customer_id);
                if combined {
                    warnings.push((
                        fidelis_domain::customers::WARNING_COMBINED_ACROSS_SOURCES,
                        WARNING_COMBINED_ACROSS_SOURCES_MESSAGE.to_string(),
                    ));
                }
            }
        }
    }
    match anchor {
        None => create(tx, org_id, reg, actor, now).await,
        Some(id) => refresh(tx, org_id, id, reg, actor, now, warnings).await,
    }
}

async fn create(
    tx: &mut Tx,
    org_id: OrgId,
    reg: &Registration,
    actor: &Actor,
    now: Timestamp,
) -> CResult<Saved> {
    let settings = settings_in(tx, org_id).await?;
    let status = initial_status(&settings.status_labels, reg.status_label.as_deref())?;
    let reason = match reg.status_reason.as_deref().map(str::trim) {
        Some(r) if r.chars().count() > fidelis_domain::customers::status::MAX_REASON_LEN => {
            return Err(CustomerError::TooLong {
                field: "statusLabelReason",
                max: fidelis_domain::customers::status::MAX_REASON_LEN,
            }
            .into())
        }
        Some(r) if !r.is_empty() => r.to_string(),
        _ => "Registration".to_string(),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO customers (org_id, loyalty_type, status, status_label, extended_fields, \
         associated_with, created_till_id, modified_till_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id",
    )
    .bind(org_id.get())
    .bind(reg.loyalty_type.unwrap_or_default().as_str())
    .bind(status.status.as_str())
    .bind(status.label.as_deref())
    .bind(Value::Object(reg.extended_fields.clone()).to_string())
    .bind(reg.associated_with.as_deref())
    .bind(actor.till_id.map(EntityId::get))
    .bind(now_db(reg.created_at))
    .bind(now_db(now))
    .fetch_one(&mut **tx)
    .await?;
    let id = CustomerId::new(id);
    if reg.status_label.is_some() {
        if let Some(label) = &status.label {
            sqlx::query(
                "INSERT INTO customer_status_log (org_id, customer_id, label, prev_label, status, \
                 prev_status, reason, actor, created_on, recorded_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9)",
            )
            .bind(org_id.get())
            .bind(id.get())
            .bind(label)
            .bind(status.status.as_str())
            .bind(CustomerStatus::Active.as_str())
            .bind(&reason)
            .bind(&actor.name)
            .bind(now_db(reg.created_at))
            .bind(now_db(now))
            .execute(&mut **tx)
            .await?;
        }
    }
    for p in &reg.profiles {
        insert_profile(tx, org_id, id, p, now).await?;
    }
    Ok(Saved {
        customer_id: id,
        created: true,
        warnings: Vec::new(),
    })
}

async fn refresh(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    reg: &Registration,
    actor: &Actor,
    now: Timestamp,
    mut warnings: Vec<(u32, String)>,
) -> CResult<Saved> {
    lock_customer(tx, org_id, id).await?;
    for p in &reg.profiles {
        if !update_profile(tx, org_id, id, p, now, &mut warnings).await? {
            insert_profile(tx, org_id, id, p, now).await?;
        }
    }
    let (ef, loyalty): (String, String) = sqlx::query_as(
        "SELECT extended_fields, loyalty_type FROM customers WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(id.get())
    .fetch_one(&mut **tx)
    .await?;
    let merged = merge_json(&ef, &reg.extended_fields);
    // Registration never downgrades: a repeated non_loyalty registration leaves a loyalty
    // customer as it is.
    let loyalty = match (LoyaltyType::parse(&loyalty)?, reg.loyalty_type) {
        (LoyaltyType::NonLoyalty, Some(LoyaltyType::Loyalty)) => LoyaltyType::Loyalty,
        (current, _) => current,
    };
    sqlx::query(
        "UPDATE customers SET extended_fields = $3, loyalty_type = $4, modified_till_id = $5, \
         updated_at = $6 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(id.get())
    .bind(merged)
    .bind(loyalty.as_str())
    .bind(actor.till_id.map(EntityId::get))
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(Saved {
        customer_id: id,
        created: false,
        warnings,
    })
}

/// `base` (a stored JSON object) with `update`'s keys overwritten.
pub(crate) fn merge_json(base: &str, update: &Map<String, Value>) -> String {
    let mut obj = match serde_json::from_str::<Value>(base) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (k, v) in update {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj).to_string()
}

/// Live holders of `ids` in the org, with each holder's source account and status.
pub(crate) async fn fetch_owners(
    tx: &mut Tx,
    org_id: OrgId,
    ids: &[Identifier],
) -> CResult<Vec<IdentifierOwner>> {
    let mut out = Vec::new();
    for ident in ids {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT i.customer_id, i.source, i.account_id, c.status \
             FROM customer_identifiers i \
             JOIN customers c ON c.org_id = i.org_id AND c.id = i.customer_id \
             WHERE i.org_id = $1 AND i.kind = $2 AND i.value = $3 AND i.live = 1",
        )
        .bind(org_id.get())
        .bind(ident.kind.as_str())
        .bind(&ident.value)
        .fetch_all(&mut **tx)
        .await?;
        for (customer_id, source, account, status) in rows {
            out.push(IdentifierOwner {
                identifier: ident.clone(),
                customer_id: CustomerId::new(customer_id),
                account: SourceAccount {
                    source: Source::parse(&source)?,
                    account_id: Some(account).filter(|a| !a.is_empty()),
                },
                status: CustomerStatus::parse(&status).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// Adds one identifier to a customer's source account. A value some other customer holds
/// (or won in a concurrent registration) makes the whole attempt retry.
pub(crate) async fn insert_identifier(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    account: &SourceAccount,
    ident: &Identifier,
    details: Option<&Value>,
    now: Timestamp,
) -> CResult<()> {
    let card;
    let details = if ident.kind == IdentifierType::CardNumber {
        card =
            crate::loyalty::cards::issue_in_tx(tx, org_id, customer_id, &ident.value, details, now)
                .await?;
        card.as_ref()
    } else {
        details
    };
    let (source, account_id) = account_key(account);
    let n = sqlx::query(
        "INSERT INTO customer_identifiers (org_id, customer_id, source, account_id, kind, value, \
         details, live, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) \
         ON CONFLICT DO NOTHING",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(source)
    .bind(&account_id)
    .bind(ident.kind.as_str())
    .bind(&ident.value)
    .bind(
        details
            .cloned()
            .unwrap_or(Value::Object(Map::new()))
            .to_string(),
    )
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(CustomersError::Busy);
    }
    claim_owner(tx, org_id, customer_id, ident.kind.as_str(), &ident.value).await?;
    // A card's external id is looked up like an identifier, so it is owned like one.
    if let Some(ext) = details
        .and_then(|d| d.get("cardExternalId"))
        .and_then(Value::as_str)
    {
        claim_owner(tx, org_id, customer_id, "cardExternalId", ext).await?;
    }
    Ok(())
}

async fn claim_owner(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    kind: &str,
    value: &str,
) -> CResult<()> {
    sqlx::query(
        "INSERT INTO customer_identifier_owners (org_id, kind, value, customer_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, kind, value) DO NOTHING",
    )
    .bind(org_id.get())
    .bind(kind)
    .bind(value)
    .bind(customer_id.get())
    .execute(&mut **tx)
    .await?;
    let (owner,): (i64,) = sqlx::query_as(
        "SELECT customer_id FROM customer_identifier_owners \
         WHERE org_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(org_id.get())
    .bind(kind)
    .bind(value)
    .fetch_one(&mut **tx)
    .await?;
    if owner != customer_id.get() {
        return Err(CustomersError::Busy);
    }
    Ok(())
}

async fn insert_profile(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    p: &NewProfile,
    now: Timestamp,
) -> CResult<()> {
    let (source, account_id) = account_key(&p.profile.account);
    sqlx::query(
        "INSERT INTO customer_profiles (org_id, customer_id, source, account_id, first_name, \
         last_name, fields, comm_channels, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(source)
    .bind(&account_id)
    .bind(p.profile.first_name.as_deref())
    .bind(p.profile.last_name.as_deref())
    .bind(Value::Object(p.fields.clone()).to_string())
    .bind(channels_json(p))
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    for ident in &p.profile.identifiers {
        let details = p
            .cards
            .get(&ident.value)
            .filter(|_| ident.kind == IdentifierType::CardNumber);
        insert_identifier(
            tx,
            org_id,
            customer_id,
            &p.profile.account,
            ident,
            details,
            now,
        )
        .await?;
    }
    subscribe_from_channels(tx, org_id, customer_id, &p.profile.comm_channels, now).await
}

fn channels_json(p: &NewProfile) -> String {
    serde_json::to_string(&p.channels).unwrap_or_else(|_| "[]".into())
}

/// Refreshes the profile of `p`'s source account if the customer has one.
pub(crate) async fn update_profile(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    p: &NewProfile,
    now: Timestamp,
    warnings: &mut Vec<(u32, String)>,
) -> CResult<bool> {
    let (source, account_id) = account_key(&p.profile.account);
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT fields FROM customer_profiles \
         WHERE org_id = $1 AND customer_id = $2 AND source = $3 AND account_id = $4",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(source)
    .bind(&account_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((fields,)) = row else {
        return Ok(false);
    };
    let channels = if p.channels.is_empty() {
        None
    } else {
        Some(channels_json(p))
    };
    sqlx::query(
        "UPDATE customer_profiles SET first_name = COALESCE($5, first_name), \
         last_name = COALESCE($6, last_name), fields = $7, \
         comm_channels = COALESCE($8, comm_channels), updated_at = $9 \
         WHERE org_id = $1 AND customer_id = $2 AND source = $3 AND account_id = $4",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(source)
    .bind(&account_id)
    .bind(p.profile.first_name.as_deref())
    .bind(p.profile.last_name.as_deref())
    .bind(merge_json(&fields, &p.fields))
    .bind(channels)
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    let existing = account_identifiers(tx, org_id, customer_id, &p.profile.account).await?;
    let fill = fill_identifiers(&existing, &p.profile.identifiers);
    for ident in &fill.add {
        let details = p
            .cards
            .get(&ident.value)
            .filter(|_| ident.kind == IdentifierType::CardNumber);
        insert_identifier(
            tx,
            org_id,
            customer_id,
            &p.profile.account,
            ident,
            details,
            now,
        )
        .await?;
    }
    for ident in &fill.ignored {
        warnings.push((
            WARNING_IDENTIFIER_NOT_UPDATED,
            format!(
                "{} is primary identifier and cannot be updated",
                ident.kind.as_str()
            ),
        ));
    }
    subscribe_from_channels(tx, org_id, customer_id, &p.profile.comm_channels, now).await?;
    Ok(true)
}

pub(crate) async fn account_identifiers(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    account: &SourceAccount,
) -> CResult<Vec<Identifier>> {
    let (source, account_id) = account_key(account);
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2 \
         AND source = $3 AND account_id = $4 AND live = 1",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(source)
    .bind(&account_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(k, v)| {
            Ok(Identifier {
                kind: IdentifierType::parse(&k)?,
                value: v,
            })
        })
        .collect()
}

async fn subscribe_from_channels(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    channels: &[CommChannel],
    now: Timestamp,
) -> CResult<()> {
    for s in from_comm_channels(channels) {
        put_subscription(tx, org_id, customer_id, &s, now).await?;
    }
    Ok(())
}

pub(crate) async fn put_subscription(
    tx: &mut Tx,
    org_id: OrgId,
    customer_id: CustomerId,
    s: &Subscription,
    now: Timestamp,
) -> CResult<()> {
    sqlx::query(
        "INSERT INTO customer_subscriptions (org_id, customer_id, channel, priority, org_unit_id, \
         status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, customer_id, channel, priority, org_unit_id) \
         DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(org_id.get())
    .bind(customer_id.get())
    .bind(s.channel.as_str())
    .bind(s.priority.as_str())
    .bind(s.org_unit_id.map_or(0, EntityId::get))
    .bind(s.status.as_str())
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
