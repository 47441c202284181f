//! Request bodies of the v2 customer API, and their translation into validated inputs.
//!
//! Bodies are typed so that a wrong JSON type is refused by `ApiJson`; the few fields
//! Capillary's own samples send in several types (booleans as strings, ids as numbers) are
//! read as JSON values and interpreted leniently.

use std::collections::BTreeMap;

use fidelis_app::customers::{Ctx, Warnings};
use fidelis_domain::customers::identifiers::normalise_text;
use fidelis_domain::customers::{
    lenient_bool, registration_date, validate_fields, validate_profile, ChannelFlags, CommChannel,
    CommChannelType, CustomerError, FieldKind, Identifier, IdentifierType, LoyaltyType,
    RawIdentifier, RawProfile, Source,
};
use fidelis_domain::error::CodedError;
use fidelis_store::customers::{ChannelRecord, IdentifierChange, NewProfile, Registration, Update};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerBody {
    pub loyalty_info: Option<LoyaltyInfoBody>,
    #[serde(default)]
    pub profiles: Vec<ProfileBody>,
    pub associated_with: Option<String>,
    pub create_date: Option<String>,
    pub extended_fields: Option<Map<String, Value>>,
    pub status_label: Option<String>,
    pub status_label_reason: Option<String>,
    /// Fleet association (`/v2/customers/bulk` only).
    pub association_details: Option<AssociationBody>,
    /// Enrolments with a starting tier and points (`crate::loyalty::enrolment`).
    #[serde(default)]
    pub loyalty_program_enrollments: Vec<crate::loyalty::enrolment::EnrolmentBody>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyInfoBody {
    pub loyalty_type: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileBody {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(default)]
    pub identifiers: Vec<IdentifierBody>,
    #[serde(default)]
    pub comm_channels: Vec<ChannelBody>,
    pub source: Option<String>,
    pub account_id: Option<Value>,
    pub fields: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentifierBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Value,
    pub series_id: Option<Value>,
    pub series_code: Option<String>,
    pub status_label: Option<String>,
    pub card_external_id: Option<String>,
    pub extended_fields: Option<Map<String, Value>>,
    pub custom_fields: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<Value>,
    pub primary: Option<Value>,
    pub verified: Option<Value>,
    pub subscribed: Option<Value>,
    pub meta: Option<Value>,
    pub attributes: Option<Value>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationBody {
    pub hierarchy_code: Option<String>,
    pub role_code: Option<String>,
    #[schema(no_recursion)]
    pub parent_customer: Option<Box<CustomerBody>>,
    #[serde(default)]
    #[schema(no_recursion)]
    pub child_customers: Vec<CustomerBody>,
    pub fleet_company: Option<Value>,
}

/// A JSON scalar as text: ids and numbers arrive as strings or numbers.
pub fn scalar_text(field: &str, v: &Value) -> Result<Option<String>, CustomerError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(CustomerError::InvalidInput(format!(
            "{field} must be a string"
        ))),
    }
}

impl ProfileBody {
    /// Validates and normalises the profile. Comm channels whose mobile/email is invalid
    /// are dropped with a warning rather than failing the registration: identifiers are
    /// what must be right, and Capillary's own samples carry such channels.
    pub fn to_new(&self, ctx: &Ctx, warnings: &mut Warnings) -> Result<NewProfile, CustomerError> {
        let country = ctx.org.country.as_str();
        let source_text = self.source.clone().unwrap_or_default();
        let source = Source::parse(&source_text)?;
        let account_id = match &self.account_id {
            Some(v) => scalar_text("accountId", v)?,
            None => None,
        };
        let mut identifiers = Vec::with_capacity(self.identifiers.len());
        for i in &self.identifiers {
            let value = scalar_text("identifiers.value", &i.value)?.unwrap_or_default();
            identifiers.push(RawIdentifier {
                kind: i.kind.clone(),
                value,
            });
        }
        let raw = RawProfile {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            source: source_text,
            account_id,
            identifiers,
            comm_channels: Vec::new(),
        };
        let mut profile = validate_profile(&raw, country)?;
        let mut records = Vec::new();
        for c in &self.comm_channels {
            let kind = CommChannelType::parse(&c.kind)?;
            let flags = ChannelFlags {
                primary: lenient_bool("primary", c.primary.as_ref())?.unwrap_or(false),
                verified: lenient_bool("verified", c.verified.as_ref())?.unwrap_or(false),
                subscribed: lenient_bool("subscribed", c.subscribed.as_ref())?,
            };
            let value = match &c.value {
                Some(v) => scalar_text("commChannels.value", v)?.unwrap_or_default(),
                None => String::new(),
            };
            let channel = match CommChannel::new(source, kind, &value, country, flags) {
                Ok(ch) => ch,
                Err(CustomerError::InvalidMobile(v)) => {
                    let w = CustomerError::InvalidChannelMobile(v);
                    warnings.push((w.code(), w.to_string()));
                    continue;
                }
                Err(CustomerError::InvalidEmail(v)) => {
                    let w = CustomerError::InvalidChannelEmail(v);
                    warnings.push((w.code(), w.to_string()));
                    continue;
                }
                Err(e) => return Err(e),
            };
            records.push(ChannelRecord {
                kind: kind.as_str().to_string(),
                value: channel.value.clone(),
                primary: channel.primary,
                verified: channel.verified,
                subscribed: channel.subscribed,
                meta: object_or_empty("commChannels.meta", c.meta.as_ref())?,
                attributes: object_or_empty("commChannels.attributes", c.attributes.as_ref())?,
            });
            profile.comm_channels.push(channel);
        }
        let fields = validate_fields(
            FieldKind::Custom,
            &ctx.settings.custom_fields,
            self.fields.as_ref().unwrap_or(&Map::new()),
        )?;
        let mut cards = BTreeMap::new();
        for i in &self.identifiers {
            if IdentifierType::parse(&i.kind)? != IdentifierType::CardNumber {
                continue;
            }
            let number = scalar_text("identifiers.value", &i.value)?.unwrap_or_default();
            cards.insert(number.trim().to_string(), card_details(i)?);
        }
        Ok(NewProfile {
            profile,
            fields,
            channels: records,
            cards,
        })
    }
}

fn object_or_empty(field: &str, v: Option<&Value>) -> Result<Value, CustomerError> {
    match v {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(o @ Value::Object(_)) => Ok(o.clone()),
        Some(_) => Err(CustomerError::InvalidInput(format!(
            "{field} must be an object"
        ))),
    }
}

/// A card identifier's details as stored: series, status label (ACTIVE when absent),
/// external id and the card's own fields.
pub fn card_details(i: &IdentifierBody) -> Result<Value, CustomerError> {
    let mut d = Map::new();
    if let Some(v) = &i.series_id {
        let id = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| CustomerError::InvalidInput("seriesId must be a number".into()))?;
        d.insert("seriesId".into(), id.into());
    }
    let text = |field: &'static str, v: &Option<String>| normalise_text(field, v.as_deref(), 100);
    if let Some(code) = text("seriesCode", &i.series_code)? {
        d.insert("seriesCode".into(), code.into());
    }
    let label = text("statusLabel", &i.status_label)?.unwrap_or_else(|| "ACTIVE".into());
    d.insert("statusLabel".into(), label.into());
    if let Some(ext) = text("cardExternalId", &i.card_external_id)? {
        d.insert("cardExternalId".into(), ext.into());
    }
    let open = BTreeMap::new();
    if let Some(ef) = &i.extended_fields {
        let ef = validate_fields(FieldKind::Extended, &open, ef)?;
        d.insert("extendedFields".into(), Value::Object(ef));
    }
    if let Some(cf) = &i.custom_fields {
        let cf = validate_fields(FieldKind::Custom, &open, cf)?;
        d.insert("customFields".into(), Value::Object(cf));
    }
    Ok(Value::Object(d))
}

impl CustomerBody {
    pub fn loyalty_type(&self) -> Result<Option<LoyaltyType>, CustomerError> {
        self.loyalty_info
            .as_ref()
            .and_then(|l| l.loyalty_type.as_deref())
            .map(LoyaltyType::parse)
            .transpose()
    }

    pub fn extended_fields(&self, ctx: &Ctx) -> Result<Map<String, Value>, CustomerError> {
        validate_fields(
            FieldKind::Extended,
            &ctx.settings.extended_fields,
            self.extended_fields.as_ref().unwrap_or(&Map::new()),
        )
    }

    /// The validated profiles: at least one, at most one per source account.
    fn profiles(
        &self,
        ctx: &Ctx,
        warnings: &mut Warnings,
    ) -> Result<Vec<NewProfile>, CustomerError> {
        if self.profiles.is_empty() {
            return Err(CustomerError::InvalidInput("profiles is required".into()));
        }
        let out = self
            .profiles
            .iter()
            .map(|p| p.to_new(ctx, warnings))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, p) in out.iter().enumerate() {
            if out[..i]
                .iter()
                .any(|o| o.profile.account == p.profile.account)
            {
                return Err(CustomerError::InvalidInput(format!(
                    "more than one profile for source {}",
                    p.profile.account.source
                )));
            }
        }
        Ok(out)
    }

    /// The registration this body asks for (`POST /v2/customers`, each element of
    /// `/v2/customers/bulk`), and the warnings of channels dropped on the way.
    pub fn registration(
        &self,
        ctx: &Ctx,
        now: Timestamp,
    ) -> Result<(Registration, Warnings), CustomerError> {
        let mut warnings = Vec::new();
        let profiles = self.profiles(ctx, &mut warnings)?;
        let associated_with =
            normalise_text("associatedWith", self.associated_with.as_deref(), 100)?;
        let reg = Registration {
            profiles,
            loyalty_type: self.loyalty_type()?,
            extended_fields: self.extended_fields(ctx)?,
            associated_with,
            created_at: registration_date(self.create_date.as_deref(), &ctx.org.time_zone, now)?,
            status_label: self.status_label.clone().filter(|s| !s.trim().is_empty()),
            status_reason: self.status_label_reason.clone(),
        };
        Ok((reg, warnings))
    }

    /// The update this body asks for (`PUT /v2/customers/...`): profiles are optional.
    pub fn update(&self, ctx: &Ctx) -> Result<(Update, Warnings), CustomerError> {
        let mut warnings = Vec::new();
        let profiles = if self.profiles.is_empty() {
            Vec::new()
        } else {
            self.profiles(ctx, &mut warnings)?
        };
        let up = Update {
            profiles,
            loyalty_type: self.loyalty_type()?,
            extended_fields: self.extended_fields(ctx)?,
        };
        Ok((up, warnings))
    }
}

/// An identifier of `changeIdentifier`: a registrable type and its value.
pub fn identifier(b: &IdentifierBody, country: &str) -> Result<Identifier, CustomerError> {
    let kind = IdentifierType::parse(&b.kind)?;
    if !kind.is_registrable() {
        return Err(CustomerError::InvalidIdentifierName(b.kind.clone()));
    }
    let value = scalar_text("value", &b.value)?.unwrap_or_default();
    Identifier::new(kind, &value, country)
}

/// An identifier to add: a card carries its details, and one added with status label
/// `NOT_ISSUED` is delinked.
pub fn identifier_change(
    b: &IdentifierBody,
    country: &str,
) -> Result<IdentifierChange, CustomerError> {
    let ident = identifier(b, country)?;
    let card = ident.kind == IdentifierType::CardNumber;
    let details = if card { Some(card_details(b)?) } else { None };
    let delink = details
        .as_ref()
        .and_then(|d| d["statusLabel"].as_str())
        .is_some_and(|l| l.eq_ignore_ascii_case("NOT_ISSUED"));
    Ok(IdentifierChange {
        identifier: ident,
        details,
        delink,
    })
}
