//! Reads: lookup by identifier, the full customer, status log, subscriptions.

use fidelis_domain::customers::{
    CustomerError, CustomerId, CustomerStatus, IdentifierType, LoyaltyType, Priority, Source,
    Subscription, SubscriptionChannel, SubscriptionStatus,
};
use fidelis_domain::org::{EntityId, OrgId};
use std::collections::HashMap;

use serde_json::Value;
use sqlx::Arguments as _;

use super::{
    CResult, CustomerBrief, CustomerRecord, CustomerRepo, IdentifierRecord, ProfileRecord,
    StatusLogEntry,
};
use crate::batch::{fetch_all, Cell, Col, Rows};
use crate::time::from_db;
use crate::StoreError;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

type CustomerRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

type ProfileRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    i64,
);

impl CustomerRepo<'_> {
    /// The live customer holding identifier `kind`=`value`, checked against `source` (None =
    /// any source) and `account_id`.
    pub async fn lookup(
        &self,
        org_id: OrgId,
        source: Option<Source>,
        account_id: Option<&str>,
        kind: IdentifierType,
        value: &str,
    ) -> CResult<CustomerId> {
        Ok(self
            .lookup_brief(org_id, source, account_id, kind, value)
            .await?
            .id)
    }

    /// `lookup`, answering the customer's brief in the same round trip: the owner of the
    /// value, whether it has a profile in `source` ('' = any source), its status and the
    /// first profile's name.
    pub async fn lookup_brief(
        &self,
        org_id: OrgId,
        source: Option<Source>,
        account_id: Option<&str>,
        kind: IdentifierType,
        value: &str,
    ) -> CResult<CustomerBrief> {
        let (source, account) = match source {
            Some(s) if s.is_multi_account() => (
                s.as_str(),
                account_id.map(str::trim).unwrap_or_default().to_string(),
            ),
            Some(s) => (s.as_str(), String::new()),
            None => ("", String::new()),
        };
        type Row = (i64, i64, String, Option<String>, Option<String>);
        let owner: Option<Row> = sqlx::query_as(
            "SELECT o.customer_id, CAST(CASE WHEN $4 = '' OR EXISTS (\
                 SELECT 1 FROM customer_profiles p WHERE p.org_id = o.org_id \
                 AND p.customer_id = o.customer_id AND p.source = $4 \
                 AND ($5 = '' OR p.account_id = $5)) THEN 1 ELSE 0 END AS BIGINT), \
             c.status, f.first_name, f.last_name \
             FROM customer_identifier_owners o \
             JOIN customers c ON c.org_id = o.org_id AND c.id = o.customer_id \
             LEFT JOIN customer_profiles f ON f.org_id = o.org_id AND f.customer_id = o.customer_id \
             AND f.id = (SELECT MIN(q.id) FROM customer_profiles q \
                         WHERE q.org_id = o.org_id AND q.customer_id = o.customer_id) \
             WHERE o.org_id = $1 AND o.kind = $2 AND o.value = $3",
        )
        .bind(org_id.get())
        .bind(kind.as_str())
        .bind(value)
        .bind(source)
        .bind(&account)
        .fetch_optional(self.0.reader())
        .await?;
        let (id, in_source, status, first_name, last_name) =
            owner.ok_or(CustomerError::NotFound)?;
        if in_source == 0 {
            return Err(CustomerError::NotFoundInSource.into());
        }
        brief(id, status, first_name, last_name)
    }

    /// Many values of one identifier kind in any source, in one query (imports): each
    /// found customer's id and status, by value; a value no customer holds is absent.
    /// Names are not read: a bill needs none, and joining profiles doubled the lookup.
    pub async fn lookup_statuses(
        &self,
        org_id: OrgId,
        kind: IdentifierType,
        values: &[&str],
    ) -> CResult<HashMap<String, (CustomerId, CustomerStatus)>> {
        if values.is_empty() {
            return Ok(HashMap::new());
        }
        let mut rows = Rows::with_capacity(values.len());
        for v in values {
            rows.push([Cell::from(*v)]);
        }
        let mut conn = self.0.reader().acquire().await?;
        let found: Vec<(String, i64, String)> = fetch_all(
            &mut conn,
            self.0.backend(),
            &rows,
            &[Col::Text("v")],
            &|a| {
                a.add(org_id.get())?;
                a.add(kind.as_str())
            },
            |source| {
                format!(
                    "SELECT o.value, o.customer_id, c.status FROM customer_identifier_owners o \
                     JOIN customers c ON c.org_id = o.org_id AND c.id = o.customer_id \
                     WHERE o.org_id = $1 AND o.kind = $2 AND o.value IN (SELECT x.v FROM {source})"
                )
            },
        )
        .await?;
        found
            .into_iter()
            .map(|(value, id, status)| {
                Ok((value, (CustomerId::new(id), parse_status(id, &status)?)))
            })
            .collect()
    }

    /// Status and first profile's name in one query: what bills and points need to know
    /// about a customer. None when the org has no such customer.
    pub async fn brief(&self, org_id: OrgId, id: CustomerId) -> CResult<Option<CustomerBrief>> {
        let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT c.status, p.first_name, p.last_name FROM customers c \
             LEFT JOIN customer_profiles p ON p.org_id = c.org_id AND p.customer_id = c.id \
             AND p.id = (SELECT MIN(q.id) FROM customer_profiles q \
                         WHERE q.org_id = c.org_id AND q.customer_id = c.id) \
             WHERE c.org_id = $1 AND c.id = $2",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|(status, first_name, last_name)| brief(id.get(), status, first_name, last_name))
            .transpose()
    }

    /// The whole customer, or None when the org has no such customer.
    pub async fn get(&self, org_id: OrgId, id: CustomerId) -> CResult<Option<CustomerRecord>> {
        let row: Option<CustomerRow> = sqlx::query_as(
            "SELECT id, loyalty_type, status, status_label, extended_fields, associated_with, \
             created_till_id, modified_till_id, created_at, updated_at \
             FROM customers WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_optional(self.0.reader())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let profiles: Vec<ProfileRow> = sqlx::query_as(
            "SELECT source, account_id, first_name, last_name, fields, comm_channels, \
             created_at, updated_at FROM customer_profiles \
             WHERE org_id = $1 AND customer_id = $2 ORDER BY id",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_all(self.0.reader())
        .await?;
        let idents: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT source, account_id, kind, value, details FROM customer_identifiers \
             WHERE org_id = $1 AND customer_id = $2 AND live = 1 ORDER BY created_at, kind",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_all(self.0.reader())
        .await?;
        let mut out = Vec::with_capacity(profiles.len());
        for p in profiles {
            let identifiers = idents
                .iter()
                .filter(|i| i.0 == p.0 && i.1 == p.1)
                .map(|i| IdentifierRecord {
                    kind: i.2.clone(),
                    value: i.3.clone(),
                    details: json(&i.4),
                })
                .collect();
            out.push(ProfileRecord {
                source: p.0,
                account_id: p.1,
                first_name: p.2,
                last_name: p.3,
                fields: json(&p.4),
                channels: json(&p.5),
                identifiers,
                created_at: from_db(p.6)?,
                updated_at: from_db(p.7)?,
            });
        }
        Ok(Some(CustomerRecord {
            id: CustomerId::new(r.0),
            loyalty_type: LoyaltyType::parse(&r.1)?,
            status: CustomerStatus::parse(&r.2)
                .ok_or_else(|| StoreError::Corrupt(format!("customer {id} status {}", r.2)))?,
            status_label: r.3,
            extended_fields: json(&r.4),
            associated_with: r.5,
            created_till_id: r.6.map(EntityId::new),
            modified_till_id: r.7.map(EntityId::new),
            created_at: from_db(r.8)?,
            updated_at: from_db(r.9)?,
            profiles: out,
        }))
    }

    pub async fn exists(&self, org_id: OrgId, id: CustomerId) -> CResult<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customers WHERE org_id = $1 AND id = $2")
                .bind(org_id.get())
                .bind(id.get())
                .fetch_optional(self.0.reader())
                .await?;
        Ok(row.is_some())
    }

    /// Status changes, newest first.
    pub async fn status_log(&self, org_id: OrgId, id: CustomerId) -> CResult<Vec<StatusLogEntry>> {
        type Row = (
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            i64,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT label, prev_label, status, prev_status, reason, actor, created_on, recorded_at \
             FROM customer_status_log WHERE org_id = $1 AND customer_id = $2 ORDER BY id DESC",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(StatusLogEntry {
                    label: r.0,
                    prev_label: r.1,
                    status: CustomerStatus::parse(&r.2).unwrap_or_default(),
                    prev_status: CustomerStatus::parse(&r.3).unwrap_or_default(),
                    reason: r.4,
                    actor: r.5,
                    created_on: from_db(r.6)?,
                    recorded_at: from_db(r.7)?,
                })
            })
            .collect()
    }

    /// Stored subscription records of a customer.
    pub async fn subscriptions(&self, org_id: OrgId, id: CustomerId) -> CResult<Vec<Subscription>> {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT channel, priority, org_unit_id, status FROM customer_subscriptions \
             WHERE org_id = $1 AND customer_id = $2 ORDER BY channel, priority, org_unit_id",
        )
        .bind(org_id.get())
        .bind(id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|(c, p, ou, s)| {
                Ok(Subscription {
                    channel: SubscriptionChannel::parse(&c)?,
                    priority: Priority::parse(&p)?,
                    org_unit_id: Some(ou).filter(|o| *o != 0).map(EntityId::new),
                    status: SubscriptionStatus::parse(&s)?,
                })
            })
            .collect()
    }
}

fn brief(
    id: i64,
    status: String,
    first_name: Option<String>,
    last_name: Option<String>,
) -> CResult<CustomerBrief> {
    Ok(CustomerBrief {
        id: CustomerId::new(id),
        status: parse_status(id, &status)?,
        first_name,
        last_name,
    })
}

/// Customer `id`'s stored status.
fn parse_status(id: i64, status: &str) -> CResult<CustomerStatus> {
    CustomerStatus::parse(status)
        .ok_or_else(|| StoreError::Corrupt(format!("customer {id} status {status}")).into())
}
