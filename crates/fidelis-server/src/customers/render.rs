//! The customer object of `customerDetails` / `GET /v2/customers/{id}`.

use std::collections::HashMap;

use fidelis_app::customers::{CustomerView, ElementOutcome, FleetEntity};
use fidelis_domain::customers::{CustomerId, CustomerStatus, Subscription};
use fidelis_domain::org::{Entity, EntityId, Org};
use fidelis_store::customers::{Company, FleetMember, StatusLogEntry};
use jiff::Timestamp;
use serde_json::{json, Value};

/// ISO-8601 with the org's offset, as Capillary's v2 responses show instants.
pub fn iso(t: Timestamp, org: &Org) -> String {
    t.to_zoned(org.time_zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Tills by id, for `createdBy` / `modifiedBy`.
pub type Tills = HashMap<EntityId, Entity>;

fn till_json(id: Option<EntityId>, tills: &Tills) -> Value {
    match id.and_then(|i| tills.get(&i)) {
        Some(t) => json!({"id": t.id, "code": t.code, "name": t.name, "type": "TILL"}),
        None => json!({"id": id, "code": null, "name": null, "type": "TILL"}),
    }
}

fn fraud_status(s: CustomerStatus) -> &'static str {
    match s {
        CustomerStatus::FraudSuspected => "MARKED",
        CustomerStatus::FraudConfirmed => "CONFIRMED",
        _ => "NOT_FRAUD",
    }
}

/// The customer object, with `subscriptions` when they were read and `associationDetails`
/// for a fleet member.
pub fn customer(view: &CustomerView, org: &Org) -> Value {
    let (c, tills) = (&view.customer, &view.tills);
    let created_by = till_json(c.created_till_id, tills);
    let modified_by = till_json(c.modified_till_id, tills);
    let profiles: Vec<Value> = c
        .profiles
        .iter()
        .map(|p| {
            let identifiers: Vec<Value> = p
                .identifiers
                .iter()
                .map(|i| {
                    let mut v = json!({"type": i.kind, "value": i.value});
                    if let (Some(obj), Value::Object(d)) = (v.as_object_mut(), &i.details) {
                        obj.extend(d.clone());
                    }
                    v
                })
                .collect();
            json!({
                "firstName": p.first_name,
                "lastName": p.last_name,
                "attribution": {
                    "createDate": iso(p.created_at, org),
                    "createdBy": created_by,
                    "modifiedBy": modified_by,
                    "modifiedDate": iso(p.updated_at, org),
                },
                "fields": p.fields,
                "identifiers": identifiers,
                "commChannels": p.channels,
                "source": p.source,
                "userId": c.id,
                "accountId": p.account_id,
                "conflictingProfileList": [],
                "autoUpdateTime": iso(p.updated_at, org),
                "identifiersAll": identifiers,
            })
        })
        .collect();
    let first_source = c.profiles.first().map(|p| p.source.clone());
    let card_details: Vec<Value> = c
        .profiles
        .iter()
        .flat_map(|p| p.identifiers.iter())
        .filter(|i| i.kind == "cardnumber")
        .map(|i| {
            json!({
                "cardNumber": i.value,
                "seriesId": i.details.get("seriesId"),
                "seriesCode": i.details.get("seriesCode"),
                "statusLabel": i.details.get("statusLabel"),
                "cardExternalId": i.details.get("cardExternalId"),
            })
        })
        .collect();
    let mut out = json!({
        "id": c.id,
        "profiles": profiles,
        "loyaltyInfo": {
            "loyaltyType": c.loyalty_type.as_str(),
            "attributionV2": {
                "createDate": iso(c.created_at, org),
                "createdBy": created_by,
                "modifiedBy": modified_by,
                "modifiedDate": iso(c.updated_at, org),
                "createdFromSource": first_source,
            },
            "lifetimePurchases": 0.0,
        },
        "fraudDetails": {
            "markedBy": null,
            "modifiedOn": null,
            "status": fraud_status(c.status),
        },
        "customerStatus": {"status": c.status.as_str(), "label": c.status_label},
        "segments": {},
        "associatedWith": c.associated_with,
        "extendedFields": c.extended_fields,
        "loyaltyProgramDetails": [],
        "groupLoyaltyProgramDetails": [],
        "cardDetails": card_details,
        "warnings": [],
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(subs) = &view.subscriptions {
            obj.insert(
                "subscriptionInfo".into(),
                json!({"subscriptions": subscriptions(subs)}),
            );
        }
        if let Some(m) = &view.fleet {
            obj.insert("associationDetails".into(), association(m, None));
        }
    }
    out
}

pub fn subscriptions(subs: &[Subscription]) -> Value {
    Value::Array(
        subs.iter()
            .map(|s| {
                let mut v = json!({
                    "channel": s.channel.as_str(),
                    "priority": s.priority.as_str(),
                    "type": s.status.as_type(),
                });
                if let (Some(ou), Some(obj)) = (s.org_unit_id, v.as_object_mut()) {
                    obj.insert("orgUnitId".into(), json!(ou));
                }
                v
            })
            .collect(),
    )
}

/// `associationDetails` of a fleet member.
pub fn association(m: &FleetMember, child_role: Option<&str>) -> Value {
    json!({
        "hierarchyCode": m.hierarchy_code,
        "hierarchyId": m.hierarchy_id,
        "roleCode": m.role_code,
        "childRoleCode": child_role,
        "parentCustomerId": m.parent_id,
        "skipLevelAllowed": false,
    })
}

/// A customer of `/v2/customers/bulk`: the customer object with its own `warnings`, and with
/// the `associationDetails` (role and company) of an element that asked for them.
pub fn fleet_entity(e: &FleetEntity, org: &Org) -> Value {
    let mut v = customer(&e.customer, org);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("warnings".into(), warnings(&e.warnings));
        if let Some(a) = &e.association {
            let mut details = match &a.member {
                Some(m) => association(m, a.child_role.as_deref()),
                None => json!({}),
            };
            if let (Some(c), Some(d)) = (&a.company, details.as_object_mut()) {
                d.insert("fleetCompany".into(), fleet_company(c));
            }
            obj.insert("associationDetails".into(), details);
        }
    }
    v
}

/// One element of a `/v2/customers/bulk` answer that succeeded. As in Capillary's samples,
/// each customer carries its `warnings`, and `childEntities` are the child customers
/// themselves.
pub fn bulk_element(o: &ElementOutcome, org: &Org) -> Value {
    let children: Vec<Value> = o.children.iter().map(|c| fleet_entity(c, org)).collect();
    json!({
        "entity": fleet_entity(&o.entity, org),
        "childEntities": children,
        "childCount": o.children.len(),
        "childFailureCount": 0,
        "childSuccessCount": o.children.len(),
    })
}

/// One element of a `PUT /v2/customers/bulk` answer that succeeded: as in Capillary's
/// "Update Association Details" sample, the customer itself, its `associationDetails` holding
/// the parent customer it was placed under, and its own `errors` and `warnings`.
pub fn put_element(o: &ElementOutcome, org: &Org) -> Value {
    let mut v = fleet_entity(&o.entity, org);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("referralCode".into(), json!(""));
        obj.insert("errors".into(), json!([]));
        let details = obj.entry("associationDetails").or_insert_with(|| json!({}));
        if let Some(d) = details.as_object_mut() {
            if let Some(p) = &o.parent {
                d.insert("parentCustomer".into(), customer(&p.customer, org));
            }
            d.insert("new".into(), json!(o.entity.created));
            d.insert("childCustomer".into(), json!(o.parent.is_some()));
        }
    }
    v
}

/// `fleetCompany` inside `associationDetails`.
pub fn fleet_company(c: &Company) -> Value {
    json!({"externalId": c.external_id, "companyId": c.id})
}

pub fn status_log(entries: &[StatusLogEntry], customer_id: CustomerId, org: &Org) -> Value {
    let data: Vec<Value> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "createdByUser": e.actor,
                "reason": e.reason,
                "createdBy": e.actor,
                "actions": [],
                "autoUpdateTime": iso(e.recorded_at, org),
                "createdOn": iso(e.created_on, org),
                "entityId": customer_id,
                "isActive": i == 0,
                "label": e.label,
                "prevLabel": e.prev_label,
                "status": e.status.as_str(),
                "prevStatus": e.prev_status.as_str(),
            })
        })
        .collect();
    json!({"data": data, "warnings": [], "errors": []})
}

pub fn warnings(w: &[(u32, String)]) -> Value {
    Value::Array(
        w.iter()
            .map(|(code, message)| json!({"status": false, "code": code, "message": message}))
            .collect(),
    )
}
