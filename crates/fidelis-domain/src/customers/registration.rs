//! Registration (`POST /v2/customers`): validating profiles and deciding, from the owners of
//! the submitted identifiers, whether this is a new customer or a known one.

use super::channels::{ChannelFlags, CommChannel, CommChannelType};
use super::error::{CustomerError, WARNING_COMBINED_ACROSS_SOURCES};
use super::identifiers::{normalise_name, Identifier, IdentifierType};
use super::model::{CustomerId, Source, SourceAccount};
use super::status::CustomerStatus;

/// An identifier as sent (`{type, value}`), before parsing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawIdentifier {
    pub kind: String,
    pub value: String,
}

/// A `commChannels[]` entry as sent; booleans already read leniently by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawCommChannel {
    pub kind: String,
    pub value: String,
    pub flags: ChannelFlags,
}

/// One `profiles[]` entry as sent. Custom fields and card extras are checked elsewhere
/// against the org's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawProfile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub source: String,
    pub account_id: Option<String>,
    pub identifiers: Vec<RawIdentifier>,
    pub comm_channels: Vec<RawCommChannel>,
}

/// A validated profile: names trimmed, identifiers and channel values in stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub account: SourceAccount,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub identifiers: Vec<Identifier>,
    pub comm_channels: Vec<CommChannel>,
}

/// Validates one profile for an org in `country` (ISO alpha-2).
///
/// Exact duplicate identifiers are dropped; two different values for a single-valued type
/// (two mobiles) are refused, since an account holds one of each. At least one identifier is
/// required (1007).
pub fn validate_profile(raw: &RawProfile, country: &str) -> Result<Profile, CustomerError> {
    let source = Source::parse(&raw.source)?;
    let account = SourceAccount::new(source, raw.account_id.as_deref())?;
    let first_name = normalise_name("firstName", raw.first_name.as_deref())?;
    let last_name = normalise_name("lastName", raw.last_name.as_deref())?;
    let mut identifiers: Vec<Identifier> = Vec::new();
    for r in &raw.identifiers {
        let kind = IdentifierType::parse(&r.kind)?;
        if !kind.is_registrable() {
            return Err(CustomerError::InvalidIdentifierName(r.kind.clone()));
        }
        let id = Identifier::new(kind, &r.value, country)?;
        if identifiers.contains(&id) {
            continue;
        }
        if kind.is_single_valued() && identifiers.iter().any(|o| o.kind == kind) {
            return Err(CustomerError::InvalidInput(format!(
                "more than one {kind} in one profile"
            )));
        }
        identifiers.push(id);
    }
    if identifiers.is_empty() {
        return Err(CustomerError::NoIdentifier);
    }
    let comm_channels = raw
        .comm_channels
        .iter()
        .map(|c| {
            let kind = CommChannelType::parse(&c.kind)?;
            CommChannel::new(source, kind, &c.value, country, c.flags)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Profile {
        account,
        first_name,
        last_name,
        identifiers,
        comm_channels,
    })
}

/// Validates every profile of a request: at least one, and at most one per source account.
pub fn validate_profiles(raw: &[RawProfile], country: &str) -> Result<Vec<Profile>, CustomerError> {
    if raw.is_empty() {
        return Err(CustomerError::InvalidInput("profiles is required".into()));
    }
    let mut out: Vec<Profile> = Vec::with_capacity(raw.len());
    for r in raw {
        let p = validate_profile(r, country)?;
        if out.iter().any(|o| o.account == p.account) {
            return Err(CustomerError::InvalidInput(format!(
                "more than one profile for source {}",
                p.account.source
            )));
        }
        out.push(p);
    }
    Ok(out)
}

/// How far ahead of now a registration date may be (clocks of tills drift).
pub const MAX_CREATE_DATE_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// The registration instant `createDate` names: an instant with offset, or a zone-less
/// local time in the org's zone; now when absent or blank. A date more than
/// [`MAX_CREATE_DATE_AHEAD`] ahead is outside the allowed window (1034).
pub fn registration_date(
    raw: Option<&str>,
    tz: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> Result<jiff::Timestamp, CustomerError> {
    let Some(text) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(now);
    };
    let t = text
        .parse::<jiff::Timestamp>()
        .or_else(|_| {
            text.replace(' ', "T")
                .parse::<jiff::civil::DateTime>()
                .and_then(|dt| dt.to_zoned(tz.clone()))
                .map(|z| z.timestamp())
        })
        .map_err(|_| {
            CustomerError::InvalidInput(format!(
                "createDate {text} is not YYYY-MM-DDTHH:MM:SS+HH:MM"
            ))
        })?;
    if t > now + MAX_CREATE_DATE_AHEAD {
        return Err(CustomerError::RegistrationDateOutOfWindow);
    }
    Ok(t)
}

/// Where an identifier from the request is already registered in the org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierOwner {
    pub identifier: Identifier,
    pub customer_id: CustomerId,
    pub account: SourceAccount,
    pub status: CustomerStatus,
}

/// What registering a profile amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationPlan {
    /// No live customer holds any of the identifiers: create one.
    Create,
    /// A live customer holds them. Update its non-identifier fields and fill identifiers with
    /// [`fill_identifiers`]; create the profile for this source account if it has none.
    Existing {
        customer_id: CustomerId,
        /// Found only under other source accounts: the accounts are combined (warning 8050).
        combined: bool,
    },
}

impl RegistrationPlan {
    /// The warning code to return with `createdId`, if any.
    pub fn warning(&self) -> Option<u32> {
        match self {
            Self::Existing { combined: true, .. } => Some(WARNING_COMBINED_ACROSS_SOURCES),
            _ => None,
        }
    }
}

/// Decides how to register `profile`, given every place its identifiers are already held.
///
/// DELETED customers are ignored: their identifiers are free again and the person registers
/// as a new customer. Otherwise the customer owning the strongest identifier (mobile, then
/// email, externalId, card, others) is the match; if another identifier belongs to a
/// different customer, registration fails with that identifier's "exists" error (1032
/// mobile, 1016 email, 1033 externalId, 8008 others).
pub fn plan_registration(
    profile: &Profile,
    owners: &[IdentifierOwner],
) -> Result<RegistrationPlan, CustomerError> {
    let live: Vec<&IdentifierOwner> = owners
        .iter()
        .filter(|o| {
            o.status != CustomerStatus::Deleted && profile.identifiers.contains(&o.identifier)
        })
        .collect();
    let anchor = profile
        .identifiers
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            live.iter()
                .find(|o| &o.identifier == id)
                .map(|o| ((id.kind.precedence(), i), o.customer_id))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, c)| c);
    let Some(customer_id) = anchor else {
        return Ok(RegistrationPlan::Create);
    };
    let mut ids: Vec<&Identifier> = profile.identifiers.iter().collect();
    ids.sort_by_key(|id| id.kind.precedence());
    for id in ids {
        if live
            .iter()
            .any(|o| &o.identifier == id && o.customer_id != customer_id)
        {
            return Err(id.kind.exists_error());
        }
    }
    let in_account = live
        .iter()
        .any(|o| o.customer_id == customer_id && o.account == profile.account);
    Ok(RegistrationPlan::Existing {
        customer_id,
        combined: !in_account,
    })
}

/// What re-registration does to the identifiers of an existing source account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentifierFill {
    /// Identifiers to add: the account has no value of that type yet (or, for cards, not
    /// this card).
    pub add: Vec<Identifier>,
    /// Submitted values that differ from a value already held: left unchanged (changing an
    /// identifier goes through changeIdentifier), reported as warning 91005.
    pub ignored: Vec<Identifier>,
}

/// Fills only identifiers that are currently empty on the account, as Capillary's current
/// registration does for a known customer.
pub fn fill_identifiers(existing: &[Identifier], proposed: &[Identifier]) -> IdentifierFill {
    let mut fill = IdentifierFill::default();
    for id in proposed {
        if existing.contains(id) {
            continue;
        }
        if id.kind.is_single_valued() && existing.iter().any(|e| e.kind == id.kind) {
            fill.ignored.push(id.clone());
        } else {
            fill.add.push(id.clone());
        }
    }
    fill
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    fn raw(source: &str, ids: &[(&str, &str)]) -> RawProfile {
        RawProfile {
            first_name: Some("  Tom ".into()),
            last_name: None,
            source: source.into(),
            account_id: None,
            identifiers: ids
                .iter()
                .map(|(k, v)| RawIdentifier {
                    kind: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
            comm_channels: vec![],
        }
    }

    #[test]
    fn registration_date_reads_offsets_and_local_times() {
        let now: jiff::Timestamp = "2026-11-25T04:00:00Z".parse().unwrap();
        let tz = jiff::tz::TimeZone::get("Asia/Singapore").unwrap();
        assert_eq!(registration_date(None, &tz, now), Ok(now));
        assert_eq!(registration_date(Some("  "), &tz, now), Ok(now));
        assert_eq!(
            registration_date(Some("2026-11-20T10:00:00+05:30"), &tz, now),
            Ok("2026-11-20T04:30:00Z".parse().unwrap())
        );
        assert_eq!(
            registration_date(Some("2026-11-20 10:00:00"), &tz, now),
            Ok("2026-11-20T02:00:00Z".parse().unwrap())
        );
        assert_eq!(
            registration_date(Some("2026-11-25T04:05:00Z"), &tz, now),
            Ok("2026-11-25T04:05:00Z".parse().unwrap())
        );
        let ahead = registration_date(Some("2026-11-25T04:05:01Z"), &tz, now).unwrap_err();
        assert_eq!(ahead.code(), 1034);
        let bad = registration_date(Some("yesterday"), &tz, now).unwrap_err();
        assert_eq!(bad.code(), 400);
        assert_eq!(
            bad.to_string(),
            "Invalid input: createDate yesterday is not YYYY-MM-DDTHH:MM:SS+HH:MM"
        );
    }

    fn id(kind: IdentifierType, v: &str) -> Identifier {
        Identifier {
            kind,
            value: v.into(),
        }
    }

    fn instore() -> SourceAccount {
        SourceAccount {
            source: Source::Instore,
            account_id: None,
        }
    }

    fn owner(ident: Identifier, customer: CustomerId, account: SourceAccount) -> IdentifierOwner {
        IdentifierOwner {
            identifier: ident,
            customer_id: customer,
            account,
            status: CustomerStatus::Active,
        }
    }

    #[test]
    fn profile_is_normalised() {
        let mut r = raw(
            "instore",
            &[
                ("mobile", "9123 4567"),
                ("email", " A@B.COM "),
                ("mobile", "+6591234567"),
            ],
        );
        r.comm_channels.push(RawCommChannel {
            kind: "email".into(),
            value: "A@B.COM".into(),
            flags: ChannelFlags {
                primary: true,
                verified: false,
                subscribed: Some(false),
            },
        });
        let p = validate_profile(&r, "SG").unwrap();
        assert_eq!(p.account, instore());
        assert_eq!(p.first_name.as_deref(), Some("Tom"));
        assert_eq!(
            p.identifiers,
            vec![
                id(IdentifierType::Mobile, "6591234567"),
                id(IdentifierType::Email, "a@b.com")
            ]
        );
        assert_eq!(p.comm_channels[0].value, "a@b.com");
        assert_eq!(p.comm_channels[0].subscribed, Some(false));
    }

    #[test]
    fn profile_errors_have_codes() {
        assert_eq!(
            validate_profile(&raw("POS", &[("mobile", "91234567")]), "SG")
                .unwrap_err()
                .code(),
            8012
        );
        assert_eq!(
            validate_profile(&raw("WECHAT", &[("mobile", "91234567")]), "SG")
                .unwrap_err()
                .code(),
            8045
        );
        assert_eq!(
            validate_profile(&raw("INSTORE", &[("phone", "91234567")]), "SG")
                .unwrap_err()
                .code(),
            8013
        );
        assert_eq!(
            validate_profile(&raw("INSTORE", &[("cardExternalId", "x")]), "SG")
                .unwrap_err()
                .code(),
            8013
        );
        assert_eq!(
            validate_profile(&raw("INSTORE", &[("mobile", "123")]), "SG")
                .unwrap_err()
                .code(),
            1001
        );
        assert_eq!(
            validate_profile(&raw("INSTORE", &[("email", "x@")]), "SG")
                .unwrap_err()
                .code(),
            1002
        );
        assert_eq!(
            validate_profile(&raw("INSTORE", &[]), "SG")
                .unwrap_err()
                .code(),
            1007
        );
        let two = raw("INSTORE", &[("mobile", "91234567"), ("mobile", "81234567")]);
        assert_eq!(validate_profile(&two, "SG").unwrap_err().code(), 400);
        // Several cards are fine.
        let cards = raw("INSTORE", &[("cardnumber", "C1"), ("card", "C2")]);
        assert_eq!(validate_profile(&cards, "SG").unwrap().identifiers.len(), 2);
    }

    #[test]
    fn profiles_need_one_per_account() {
        assert!(validate_profiles(&[], "SG").is_err());
        let a = raw("INSTORE", &[("mobile", "91234567")]);
        assert!(validate_profiles(&[a.clone(), a.clone()], "SG").is_err());
        let b = raw("WEBSITE", &[("mobile", "91234567")]);
        assert_eq!(validate_profiles(&[a, b], "SG").unwrap().len(), 2);
    }

    fn profile() -> Profile {
        validate_profile(
            &raw("INSTORE", &[("mobile", "91234567"), ("email", "a@b.com")]),
            "SG",
        )
        .unwrap()
    }

    #[test]
    fn unknown_identifiers_create() {
        assert_eq!(
            plan_registration(&profile(), &[]).unwrap(),
            RegistrationPlan::Create
        );
        assert_eq!(RegistrationPlan::Create.warning(), None);
    }

    #[test]
    fn same_source_updates_existing() {
        let owners = [owner(
            id(IdentifierType::Mobile, "6591234567"),
            CustomerId::new(42),
            instore(),
        )];
        let plan = plan_registration(&profile(), &owners).unwrap();
        assert_eq!(
            plan,
            RegistrationPlan::Existing {
                customer_id: CustomerId::new(42),
                combined: false
            }
        );
        assert_eq!(plan.warning(), None);
    }

    #[test]
    fn other_source_combines_with_8050() {
        let web = SourceAccount {
            source: Source::Website,
            account_id: None,
        };
        let owners = [owner(
            id(IdentifierType::Email, "a@b.com"),
            CustomerId::new(42),
            web,
        )];
        let plan = plan_registration(&profile(), &owners).unwrap();
        assert_eq!(
            plan,
            RegistrationPlan::Existing {
                customer_id: CustomerId::new(42),
                combined: true
            }
        );
        assert_eq!(plan.warning(), Some(8050));
    }

    #[test]
    fn identifiers_of_two_customers_conflict() {
        let owners = [
            owner(
                id(IdentifierType::Mobile, "6591234567"),
                CustomerId::new(1),
                instore(),
            ),
            owner(
                id(IdentifierType::Email, "a@b.com"),
                CustomerId::new(2),
                instore(),
            ),
        ];
        let e = plan_registration(&profile(), &owners).unwrap_err();
        assert_eq!(e, CustomerError::EmailExists);
        assert_eq!(e.code(), 1016);
        // The mobile anchors even when listed second; the email owner then conflicts.
        let p = validate_profile(
            &raw("INSTORE", &[("externalId", "X1"), ("mobile", "91234567")]),
            "SG",
        )
        .unwrap();
        let owners = [
            owner(
                id(IdentifierType::ExternalId, "X1"),
                CustomerId::new(7),
                instore(),
            ),
            owner(
                id(IdentifierType::Mobile, "6591234567"),
                CustomerId::new(8),
                instore(),
            ),
        ];
        assert_eq!(plan_registration(&p, &owners).unwrap_err().code(), 1033);
    }

    #[test]
    fn deleted_customers_release_identifiers() {
        let mut o = owner(
            id(IdentifierType::Mobile, "6591234567"),
            CustomerId::new(42),
            instore(),
        );
        o.status = CustomerStatus::Deleted;
        assert_eq!(
            plan_registration(&profile(), &[o]).unwrap(),
            RegistrationPlan::Create
        );
    }

    #[test]
    fn re_registration_fills_only_empty_identifiers() {
        let existing = [
            id(IdentifierType::Mobile, "6591234567"),
            id(IdentifierType::CardNumber, "C1"),
        ];
        let proposed = [
            id(IdentifierType::Mobile, "6581234567"),
            id(IdentifierType::Email, "a@b.com"),
            id(IdentifierType::CardNumber, "C1"),
            id(IdentifierType::CardNumber, "C2"),
        ];
        let fill = fill_identifiers(&existing, &proposed);
        assert_eq!(
            fill.add,
            vec![
                id(IdentifierType::Email, "a@b.com"),
                id(IdentifierType::CardNumber, "C2")
            ]
        );
        assert_eq!(fill.ignored, vec![id(IdentifierType::Mobile, "6581234567")]);
    }
}
