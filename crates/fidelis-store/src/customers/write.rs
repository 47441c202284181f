//! Updates: profile update, identifier changes, status changes, subscriptions.

use fidelis_domain::customers::{
    change_status, CurrentStatus, CustomerError, CustomerId, CustomerStatus, Identifier,
    IdentifierType, LoyaltyType, SourceAccount, StatusChange, StatusChangeRequest, Subscription,
};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::Timestamp;
use serde_json::{Map, Value};

use super::register::{
    account_identifiers, account_key, fetch_owners, insert_identifier, merge_json,
    put_subscription, update_profile,
};
use super::{
    is_unique_violation, lock_customer, now_db, retrying, settings_in, Actor, CResult,
    CustomerRepo, CustomersError, NewProfile, Saved, Tx, ATTEMPTS,
};
use crate::Unit;

/// `PUT /v2/customers/...`: what may change.
#[derive(Debug, Clone)]
pub struct Update {
    pub profiles: Vec<NewProfile>,
    pub loyalty_type: Option<LoyaltyType>,
    pub extended_fields: Map<String, Value>,
}

/// One identifier to add, with card details for card numbers.
#[derive(Debug, Clone)]
pub struct IdentifierChange {
    pub identifier: Identifier,
    pub details: Option<Value>,
    /// A card sent with status `NOT_ISSUED` is delinked rather than added.
    pub delink: bool,
}

async fn current(tx: &mut Tx, org_id: OrgId, id: CustomerId) -> CResult<CurrentStatus> {
    if !lock_customer(tx, org_id, id).await? {
        return Err(CustomerError::NotFound.into());
    }
    let (status, label): (String, Option<String>) =
        sqlx::query_as("SELECT status, status_label FROM customers WHERE org_id = $1 AND id = $2")
            .bind(org_id.get())
            .bind(id.get())
            .fetch_one(&mut **tx)
            .await?;
    Ok(CurrentStatus {
        label,
        status: CustomerStatus::parse(&status).unwrap_or_default(),
    })
}

impl CustomerRepo<'_> {
    pub async fn update(
        &self,
        org_id: OrgId,
        id: CustomerId,
        up: &Update,
        actor: &Actor,
        now: Timestamp,
    ) -> CResult<Saved> {
        for _ in 0..ATTEMPTS {
            let mut tx = self.0.begin().await?;
            match update_tx(&mut tx, org_id, id, up, actor, now).await {
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

    pub async fn change_identifiers(
        &self,
        org_id: OrgId,
        id: CustomerId,
        account: &SourceAccount,
        add: &[IdentifierChange],
        remove: &[Identifier],
        now: Timestamp,
    ) -> CResult<()> {
        for _ in 0..ATTEMPTS {
            let mut tx = self.0.begin().await?;
            match change_identifiers_tx(&mut tx, org_id, id, account, add, remove, now).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(());
                }
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CustomersError::Busy)
    }

    /// `update` as a step of `unit`: nothing of it remains when it fails.
    pub async fn update_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        id: CustomerId,
        up: &Update,
        actor: &Actor,
        now: Timestamp,
    ) -> CResult<Saved> {
        retrying!(unit, update_tx(unit, org_id, id, up, actor, now))
    }

    /// `change_identifiers` as a step of `unit`: nothing of it remains when it fails. Adding
    /// a card number issues the card (`LoyaltyRepo::add_card_in` may have added it to its
    /// series in the same unit).
    #[allow(clippy::too_many_arguments)]
    pub async fn change_identifiers_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        id: CustomerId,
        account: &SourceAccount,
        add: &[IdentifierChange],
        remove: &[Identifier],
        now: Timestamp,
    ) -> CResult<()> {
        retrying!(
            unit,
            change_identifiers_tx(unit, org_id, id, account, add, remove, now)
        )
    }

    /// Moves the customer to `req.label`'s status and logs it. A move to DELETED frees the
    /// customer's identifiers for a new registration.
    pub async fn change_status(
        &self,
        org_id: OrgId,
        id: CustomerId,
        req: StatusChangeRequest<'_>,
        now: Timestamp,
    ) -> CResult<StatusChange> {
        let mut tx = self.0.begin().await?;
        let cur = current(&mut tx, org_id, id).await?;
        let settings = settings_in(&mut tx, org_id).await?;
        let change = change_status(&cur, &settings.status_labels, req, now)?;
        sqlx::query(
            "UPDATE customers SET status = $3, status_label = $4, updated_at = $5 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id.get())
        .bind(change.status.as_str())
        .bind(&change.label)
        .bind(now_db(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO customer_status_log (org_id, customer_id, label, prev_label, status, \
             prev_status, reason, actor, created_on, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org_id.get())
        .bind(id.get())
        .bind(&change.label)
        .bind(change.prev_label.as_deref())
        .bind(change.status.as_str())
        .bind(change.prev_status.as_str())
        .bind(&change.reason)
        .bind(&change.actor)
        .bind(now_db(change.created_on))
        .bind(now_db(now))
        .execute(&mut *tx)
        .await?;
        if change.status == CustomerStatus::Deleted {
            sqlx::query(
                "UPDATE customer_identifiers SET live = 0 WHERE org_id = $1 AND customer_id = $2",
            )
            .bind(org_id.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM customer_identifier_owners WHERE org_id = $1 AND customer_id = $2",
            )
            .bind(org_id.get())
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(change)
    }

    pub async fn set_subscriptions(
        &self,
        org_id: OrgId,
        id: CustomerId,
        subs: &[Subscription],
        now: Timestamp,
    ) -> CResult<()> {
        let mut tx = self.0.begin().await?;
        subscriptions_tx(&mut tx, org_id, id, subs, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `set_subscriptions` as a step of `unit` (a customer registered and subscribed in one
    /// unit of work by a dataflow row).
    pub async fn set_subscriptions_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        id: CustomerId,
        subs: &[Subscription],
        now: Timestamp,
    ) -> CResult<()> {
        unit.begin_step().await?;
        let out = subscriptions_tx(unit, org_id, id, subs, now).await;
        unit.end_step(out).await
    }
}

async fn subscriptions_tx(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    subs: &[Subscription],
    now: Timestamp,
) -> CResult<()> {
    let cur = current(tx, org_id, id).await?;
    if cur.status.is_terminal() {
        return Err(CustomerError::CustomerDeleted.into());
    }
    for s in subs {
        put_subscription(tx, org_id, id, s, now).await?;
    }
    Ok(())
}

async fn update_tx(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    up: &Update,
    actor: &Actor,
    now: Timestamp,
) -> CResult<Saved> {
    let cur = current(tx, org_id, id).await?;
    if cur.status.is_terminal() {
        return Err(CustomerError::CustomerDeleted.into());
    }
    let mut warnings = Vec::new();
    for p in &up.profiles {
        // Identifiers a different customer holds are refused, as at registration.
        let owners = fetch_owners(tx, org_id, &p.profile.identifiers).await?;
        if let Some(o) = owners.iter().find(|o| o.customer_id != id) {
            return Err(o.identifier.kind.exists_error().into());
        }
        if !update_profile(tx, org_id, id, p, now, &mut warnings).await? {
            return Err(CustomerError::NotFoundInSource.into());
        }
    }
    let (ef, loyalty): (String, String) = sqlx::query_as(
        "SELECT extended_fields, loyalty_type FROM customers WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(id.get())
    .fetch_one(&mut **tx)
    .await?;
    let mut loyalty = LoyaltyType::parse(&loyalty)?;
    if let Some(to) = up.loyalty_type {
        loyalty = loyalty.change_to(to)?;
    }
    sqlx::query(
        "UPDATE customers SET extended_fields = $3, loyalty_type = $4, modified_till_id = $5, \
         updated_at = $6 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(id.get())
    .bind(merge_json(&ef, &up.extended_fields))
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

async fn change_identifiers_tx(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    account: &SourceAccount,
    add: &[IdentifierChange],
    remove: &[Identifier],
    now: Timestamp,
) -> CResult<()> {
    let cur = current(tx, org_id, id).await?;
    if cur.status.is_terminal() {
        return Err(CustomerError::CustomerDeleted.into());
    }
    let (source, account_id) = account_key(account);
    let has_profile: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM customer_profiles WHERE org_id = $1 AND customer_id = $2 \
         AND source = $3 AND account_id = $4",
    )
    .bind(org_id.get())
    .bind(id.get())
    .bind(source)
    .bind(&account_id)
    .fetch_optional(&mut **tx)
    .await?;
    if has_profile.is_none() {
        return Err(CustomerError::NotFoundInSource.into());
    }
    let delinks = add.iter().filter(|a| a.delink).map(|a| &a.identifier);
    for ident in remove.iter().chain(delinks) {
        remove_identifier(tx, org_id, id, account, ident, now).await?;
    }
    for a in add.iter().filter(|a| !a.delink) {
        let held = account_identifiers(tx, org_id, id, account).await?;
        if held.contains(&a.identifier) {
            if a.identifier.kind == IdentifierType::CardNumber {
                // Issuing a held card again reactivates it if it was suspended.
                crate::loyalty::cards::issue_in_tx(
                    tx,
                    org_id,
                    id,
                    &a.identifier.value,
                    a.details.as_ref(),
                    now,
                )
                .await?;
            }
            continue;
        }
        let owners = fetch_owners(tx, org_id, std::slice::from_ref(&a.identifier)).await?;
        if owners.iter().any(|o| o.customer_id != id) {
            return Err(a.identifier.kind.exists_error().into());
        }
        if a.identifier.kind.is_single_valued() && held.iter().any(|h| h.kind == a.identifier.kind)
        {
            return Err(CustomerError::InvalidInput(format!(
                "the customer already has a {}; remove it in the same request to replace it",
                a.identifier.kind
            ))
            .into());
        }
        insert_identifier(
            tx,
            org_id,
            id,
            account,
            &a.identifier,
            a.details.as_ref(),
            now,
        )
        .await?;
    }
    let (left,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2 AND live = 1",
    )
    .bind(org_id.get())
    .bind(id.get())
    .fetch_one(&mut **tx)
    .await?;
    if left == 0 {
        return Err(CustomerError::NoIdentifier.into());
    }
    Ok(())
}

async fn remove_identifier(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    account: &SourceAccount,
    ident: &Identifier,
    now: Timestamp,
) -> CResult<()> {
    let (source, account_id) = account_key(account);
    let details: Option<(String,)> = sqlx::query_as(
        "DELETE FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2 AND source = $3 \
         AND account_id = $4 AND kind = $5 AND value = $6 AND live = 1 RETURNING details",
    )
    .bind(org_id.get())
    .bind(id.get())
    .bind(source)
    .bind(&account_id)
    .bind(ident.kind.as_str())
    .bind(&ident.value)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((details,)) = details else {
        return Err(CustomerError::InvalidInput(format!(
            "the customer has no {} {} in this source",
            ident.kind, ident.value
        ))
        .into());
    };
    let (still,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM customer_identifiers WHERE org_id = $1 AND customer_id = $2 \
         AND kind = $3 AND value = $4 AND live = 1",
    )
    .bind(org_id.get())
    .bind(id.get())
    .bind(ident.kind.as_str())
    .bind(&ident.value)
    .fetch_one(&mut **tx)
    .await?;
    if still == 0 {
        release_owner(tx, org_id, id, ident.kind.as_str(), &ident.value).await?;
        if ident.kind == IdentifierType::CardNumber {
            crate::loyalty::cards::release_in_tx(tx, org_id, id, &ident.value, now).await?;
            let ext = serde_json::from_str::<Value>(&details).ok().and_then(|d| {
                d.get("cardExternalId")
                    .and_then(Value::as_str)
                    .map(String::from)
            });
            if let Some(ext) = ext {
                release_owner(tx, org_id, id, "cardExternalId", &ext).await?;
            }
        }
    }
    Ok(())
}

async fn release_owner(
    tx: &mut Tx,
    org_id: OrgId,
    id: CustomerId,
    kind: &str,
    value: &str,
) -> CResult<()> {
    sqlx::query(
        "DELETE FROM customer_identifier_owners WHERE org_id = $1 AND kind = $2 AND value = $3 \
         AND customer_id = $4",
    )
    .bind(org_id.get())
    .bind(kind)
    .bind(value)
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
