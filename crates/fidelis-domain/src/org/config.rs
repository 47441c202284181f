//! The declarative org file that `fidelis apply` reads.
//!
//! The file is the desired state of one org: units and clients it names are created or
//! updated, ones it no longer names are deactivated. Every problem is reported with the
//! file, line and field, and a file with any problem changes nothing.

use std::collections::{BTreeMap, HashSet};

use jiff::tz::TimeZone;
use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;

use super::model::{Access, Permissions};

/// A problem in an org file, positioned for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

/// A validated org file, ready to be written.
#[derive(Debug)]
pub struct OrgFile {
    pub org: OrgSpec,
    pub concepts: Vec<UnitSpec>,
    pub zones: Vec<UnitSpec>,
    pub stores: Vec<StoreSpec>,
    pub tills: Vec<TillSpec>,
    pub api_clients: Vec<ApiClientSpec>,
    /// Free-form org configuration (`GET /v2/organization/configs/{name}`).
    pub settings: BTreeMap<String, serde_json::Value>,
    /// `[customers]`: status labels, fleet hierarchies, fields.
    pub customers: crate::customers::config::CustomersConfig,
    /// `[loyalty]`: programs, tiers, card series, goodwill.
    pub loyalty: crate::loyalty::config::LoyaltyConfig,
    /// `[incentives]`: coupon series, promo codes, gift voucher series.
    pub incentives: crate::incentives::config::IncentivesConfig,
    /// `[comms]`: sender IDs and from-addresses per org and concept, bulk SMS hours.
    pub comms: crate::comms::CommsConfig,
    /// `[identity]`: partner OAuth clients and OTP limits.
    pub identity: crate::identity::IdentityConfig,
    /// `[console]`: staff users and the Google Workspace domain.
    pub console: crate::console::ConsoleConfig,
}

#[derive(Debug, Clone)]
pub struct OrgSpec {
    pub code: String,
    pub name: String,
    pub time_zone: TimeZone,
    pub currency: String,
    pub country: String,
}

#[derive(Debug, Clone)]
pub struct UnitSpec {
    pub code: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct StoreSpec {
    pub code: String,
    pub name: String,
    pub description: String,
    pub concept: Option<String>,
    pub zone: Option<String>,
}

#[derive(Debug)]
pub struct TillSpec {
    pub code: String,
    pub name: String,
    pub store: String,
    pub password: SecretString,
}

#[derive(Debug)]
pub struct ApiClientSpec {
    pub key: String,
    pub name: String,
    pub secret: SecretString,
    pub default_till: String,
    pub token_ttl_seconds: i64,
    pub permissions: Permissions,
}

// ---- the file as written -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    org: RawOrg,
    #[serde(default)]
    concepts: Vec<RawUnit>,
    #[serde(default)]
    zones: Vec<RawUnit>,
    #[serde(default)]
    stores: Vec<RawStore>,
    #[serde(default)]
    tills: Vec<RawTill>,
    #[serde(default)]
    api_clients: Vec<RawApiClient>,
    #[serde(default)]
    settings: BTreeMap<String, toml::Value>,
    #[serde(default)]
    customers: crate::customers::config::CustomersSection,
    #[serde(default)]
    loyalty: crate::loyalty::config::LoyaltySection,
    #[serde(default)]
    incentives: crate::incentives::config::IncentivesSection,
    #[serde(default)]
    comms: crate::comms::config::CommsSection,
    #[serde(default)]
    identity: crate::identity::config::IdentitySection,
    #[serde(default)]
    console: crate::console::config::ConsoleSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    code: Spanned<String>,
    name: Spanned<String>,
    time_zone: Spanned<String>,
    currency: Spanned<String>,
    country: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    code: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    code: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    concept: Option<Spanned<String>>,
    zone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTill {
    code: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    store: Spanned<String>,
    password: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiClient {
    key: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    secret: Spanned<String>,
    default_till: Spanned<String>,
    #[serde(default = "default_ttl")]
    token_ttl_seconds: Spanned<i64>,
    #[serde(default = "default_access")]
    access: Access,
    #[serde(default)]
    resources: BTreeMap<String, Spanned<Access>>,
}

fn default_ttl() -> Spanned<i64> {
    Spanned::new(0..0, 3600)
}

fn default_access() -> Access {
    Access::Modify
}

/// The longest token lifetime an API client may have (Capillary: 60 minutes).
pub const MAX_TOKEN_TTL_SECONDS: i64 = 3600;

impl OrgFile {
    /// Parses and validates `source`, naming `file` in every error.
    pub fn parse(file: &str, source: &str) -> Result<Self, Vec<ConfigError>> {
        let raw: RawFile = toml::from_str(source).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            vec![positioned(
                file,
                source,
                span.start,
                "file",
                e.message().to_string(),
            )]
        })?;
        let mut v = Validator {
            file,
            source,
            errors: Vec::new(),
            concepts: HashSet::new(),
            stores: HashSet::new(),
        };
        let parsed = v.validate(raw);
        if v.errors.is_empty() {
            Ok(parsed)
        } else {
            Err(v.errors)
        }
    }
}

fn positioned(
    file: &str,
    source: &str,
    offset: usize,
    field: &str,
    message: String,
) -> ConfigError {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    ConfigError {
        file: file.to_string(),
        line,
        column,
        field: field.to_string(),
        message,
    }
}

/// What a context's section validator gets: where errors go, and the org's unit codes it
/// may refer to. Later contexts (customers, loyalty, …) validate their own `[section]` with it.
pub struct Validator<'a> {
    file: &'a str,
    source: &'a str,
    errors: Vec<ConfigError>,
    /// Concept (OU) codes declared in the file.
    pub concepts: HashSet<String>,
    /// Store codes declared in the file.
    pub stores: HashSet<String>,
}

impl Validator<'_> {
    /// Records a problem at `at`'s position.
    pub fn fail<T>(&mut self, at: &Spanned<T>, field: String, message: impl Into<String>) {
        let e = positioned(
            self.file,
            self.source,
            at.span().start,
            &field,
            message.into(),
        );
        self.errors.push(e);
    }

    /// Records a problem where no value position is known.
    pub fn fail_at_start(&mut self, field: String, message: impl Into<String>) {
        let e = positioned(self.file, self.source, 0, &field, message.into());
        self.errors.push(e);
    }

    pub fn code(&mut self, at: &Spanned<String>, field: String) -> String {
        let value = at.get_ref().trim();
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            self.fail(
                at,
                field,
                "must be 1-64 characters of letters, digits, '.', '_' or '-'",
            );
        }
        value.to_string()
    }

    pub fn text(&mut self, at: &Spanned<String>, field: String) -> String {
        let value = at.get_ref().trim();
        if value.is_empty() || value.chars().count() > 200 {
            self.fail(at, field, "must be 1-200 characters");
        }
        value.to_string()
    }

    fn unique(
        &mut self,
        seen: &mut HashSet<String>,
        at: &Spanned<String>,
        field: String,
        what: &str,
    ) {
        if !seen.insert(at.get_ref().trim().to_string()) {
            let msg = format!("duplicate {what} \"{}\"", at.get_ref());
            self.fail(at, field, msg);
        }
    }

    fn reference(
        &mut self,
        known: &HashSet<String>,
        at: &Spanned<String>,
        field: String,
        what: &str,
    ) -> String {
        let value = at.get_ref().trim().to_string();
        if !known.contains(&value) {
            let msg = format!("no {what} with code \"{value}\" in this file");
            self.fail(at, field, msg);
        }
        value
    }

    fn validate(&mut self, raw: RawFile) -> OrgFile {
        let org = self.org(raw.org);
        let concepts = self.units(raw.concepts, "concepts", "concept");
        let zones = self.units(raw.zones, "zones", "zone");
        let concept_codes: HashSet<String> = concepts.iter().map(|c| c.code.clone()).collect();
        self.concepts = concept_codes.clone();
        let zone_codes: HashSet<String> = zones.iter().map(|z| z.code.clone()).collect();

        let mut seen = HashSet::new();
        let stores: Vec<StoreSpec> = raw
            .stores
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                self.unique(
                    &mut seen,
                    &s.code,
                    format!("stores[{i}].code"),
                    "store code",
                );
                StoreSpec {
                    code: self.code(&s.code, format!("stores[{i}].code")),
                    name: self.text(&s.name, format!("stores[{i}].name")),
                    description: s.description,
                    concept: s.concept.map(|c| {
                        self.reference(
                            &concept_codes,
                            &c,
                            format!("stores[{i}].concept"),
                            "concept",
                        )
                    }),
                    zone: s.zone.map(|z| {
                        self.reference(&zone_codes, &z, format!("stores[{i}].zone"), "zone")
                    }),
                }
            })
            .collect();
        let store_codes: HashSet<String> = stores.iter().map(|s| s.code.clone()).collect();
        self.stores = store_codes.clone();

        let mut seen = HashSet::new();
        let tills: Vec<TillSpec> = raw
            .tills
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                self.unique(&mut seen, &t.code, format!("tills[{i}].code"), "till code");
                let code = self.code(&t.code, format!("tills[{i}].code"));
                if t.password.get_ref().is_empty() {
                    self.fail(
                        &t.password,
                        format!("tills[{i}].password"),
                        "must not be empty",
                    );
                }
                TillSpec {
                    name: t.name.unwrap_or_else(|| code.clone()),
                    code,
                    store: self.reference(
                        &store_codes,
                        &t.store,
                        format!("tills[{i}].store"),
                        "store",
                    ),
                    password: SecretString::from(t.password.into_inner()),
                }
            })
            .collect();
        let till_codes: HashSet<String> = tills.iter().map(|t| t.code.clone()).collect();

        let mut seen = HashSet::new();
        let api_clients = raw
            .api_clients
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                self.unique(
                    &mut seen,
                    &c.key,
                    format!("api_clients[{i}].key"),
                    "API client key",
                );
                let key = self.code(&c.key, format!("api_clients[{i}].key"));
                if c.secret.get_ref().len() < 8 {
                    self.fail(
                        &c.secret,
                        format!("api_clients[{i}].secret"),
                        "must be at least 8 characters",
                    );
                }
                let ttl = *c.token_ttl_seconds.get_ref();
                if !(60..=MAX_TOKEN_TTL_SECONDS).contains(&ttl) {
                    self.fail(
                        &c.token_ttl_seconds,
                        format!("api_clients[{i}].token_ttl_seconds"),
                        format!("must be between 60 and {MAX_TOKEN_TTL_SECONDS}"),
                    );
                }
                let mut resources = BTreeMap::new();
                for (name, level) in c.resources {
                    if !super::model::RESOURCES.contains(&name.as_str()) {
                        let msg = format!(
                            "unknown resource \"{name}\"; known: {}",
                            super::model::RESOURCES.join(", ")
                        );
                        self.fail(&level, format!("api_clients[{i}].resources.{name}"), msg);
                    }
                    resources.insert(name, level.into_inner());
                }
                ApiClientSpec {
                    name: c.name.unwrap_or_else(|| key.clone()),
                    key,
                    secret: SecretString::from(c.secret.into_inner()),
                    default_till: self.reference(
                        &till_codes,
                        &c.default_till,
                        format!("api_clients[{i}].default_till"),
                        "till",
                    ),
                    token_ttl_seconds: ttl,
                    permissions: Permissions {
                        default: c.access,
                        resources,
                    },
                }
            })
            .collect();

        let settings = raw
            .settings
            .into_iter()
            .map(|(k, v)| (k, toml_to_json(v)))
            .collect();

        let customers = raw.customers.validate(self);
        let loyalty = raw.loyalty.validate(self);
        let incentives = raw.incentives.validate(self);
        let comms = raw.comms.validate(self);
        let identity = raw.identity.validate(self);
        let console = raw.console.validate(self);
        OrgFile {
            org,
            concepts,
            zones,
            stores,
            tills,
            api_clients,
            settings,
            customers,
            loyalty,
            incentives,
            comms,
            identity,
            console,
        }
    }

    fn org(&mut self, o: RawOrg) -> OrgSpec {
        let time_zone = match TimeZone::get(o.time_zone.get_ref()) {
            Ok(tz) => tz,
            Err(_) => {
                let msg = format!("unknown IANA time zone \"{}\"", o.time_zone.get_ref());
                self.fail(&o.time_zone, "org.time_zone".into(), msg);
                TimeZone::UTC
            }
        };
        let currency = o.currency.get_ref().trim().to_string();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            self.fail(
                &o.currency,
                "org.currency".into(),
                "must be an ISO 4217 code such as SGD",
            );
        }
        let country = o.country.get_ref().trim().to_string();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            self.fail(
                &o.country,
                "org.country".into(),
                "must be an ISO 3166 alpha-2 code such as SG",
            );
        }
        OrgSpec {
            code: self.code(&o.code, "org.code".into()),
            name: self.text(&o.name, "org.name".into()),
            time_zone,
            currency,
            country,
        }
    }

    fn units(&mut self, units: Vec<RawUnit>, section: &str, what: &str) -> Vec<UnitSpec> {
        let mut seen = HashSet::new();
        units
            .into_iter()
            .enumerate()
            .map(|(i, u)| {
                self.unique(
                    &mut seen,
                    &u.code,
                    format!("{section}[{i}].code"),
                    &format!("{what} code"),
                );
                UnitSpec {
                    code: self.code(&u.code, format!("{section}[{i}].code")),
                    name: self.text(&u.name, format!("{section}[{i}].name")),
                    description: u.description,
                }
            })
            .collect()
    }
}

fn toml_to_json(v: toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => s.into(),
        toml::Value::Integer(i) => i.into(),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        toml::Value::Boolean(b) => b.into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(a) => a.into_iter().map(toml_to_json).collect(),
        toml::Value::Table(t) => t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[org]
code = "acme"
name = "Acme"
time_zone = "America/New_York"
currency = "USD"
country = "US"

[[concepts]]
code = "main"
name = "Main"

[[zones]]
code = "east"
name = "East"

[[stores]]
code = "s1"
name = "Store 1"
concept = "main"
zone = "east"

[[tills]]
code = "acme.till"
store = "s1"
password = "pw"

[[api_clients]]
key = "acme-key"
secret = "acme-secret"
default_till = "acme.till"
access = "view"
resources = { customers = "modify" }
"#;

    #[test]
    fn a_good_file_validates() {
        let f = OrgFile::parse("acme.toml", GOOD).unwrap();
        assert_eq!(f.org.time_zone.iana_name(), Some("America/New_York"));
        assert_eq!(f.stores[0].concept.as_deref(), Some("main"));
        assert_eq!(f.api_clients[0].token_ttl_seconds, 3600);
        assert!(f.api_clients[0].permissions.allows("customers", true));
        assert!(!f.api_clients[0].permissions.allows("transactions", true));
    }

    #[test]
    fn unknown_time_zone_names_file_line_and_field() {
        let src = GOOD.replace("America/New_York", "Mars/Olympus");
        let errs = OrgFile::parse("acme.toml", &src).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].file, "acme.toml");
        assert_eq!(errs[0].line, 5);
        assert_eq!(errs[0].field, "org.time_zone");
        assert!(errs[0].to_string().starts_with("acme.toml:5:"));
    }

    #[test]
    fn duplicate_store_code_is_reported_at_the_second() {
        let src = format!("{GOOD}\n[[stores]]\ncode = \"s1\"\nname = \"Again\"\n");
        let errs = OrgFile::parse("acme.toml", &src).unwrap_err();
        assert_eq!(errs[0].field, "stores[1].code");
        assert!(errs[0].message.contains("duplicate store code"));
        assert_eq!(errs[0].line, GOOD.lines().count() + 3);
    }

    #[test]
    fn missing_field_is_reported_by_name() {
        let src = GOOD.replace("currency = \"USD\"\n", "");
        let errs = OrgFile::parse("acme.toml", &src).unwrap_err();
        assert!(errs[0].message.contains("currency"), "{}", errs[0]);
        assert!(errs[0].line >= 2);
    }

    #[test]
    fn dangling_references_and_bad_values_all_reported() {
        let src = GOOD
            .replace("store = \"s1\"", "store = \"nowhere\"")
            .replace("currency = \"USD\"", "currency = \"usd\"");
        let errs = OrgFile::parse("acme.toml", &src).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"org.currency"));
        assert!(fields.contains(&"tills[0].store"));
    }

    #[test]
    fn unknown_sections_are_typos() {
        let src = format!("{GOOD}\n[storez]\nx = 1\n");
        assert!(OrgFile::parse("acme.toml", &src).is_err());
    }
}
