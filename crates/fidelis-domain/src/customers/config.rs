//! The `[customers]` section of an org file: customer status labels, fleet hierarchies and
//! the org's extended and custom fields.
//!
//! ```toml
//! [[customers.status_labels]]
//! label = "active-customer"
//! status = "ACTIVE"
//!
//! [[customers.fleet_hierarchies]]
//! code = "fleet"
//! roles = [{ code = "OWNER", child_role = "DRIVER", max_children = 50 }, { code = "DRIVER" }]
//!
//! [customers.extended_fields]
//! gender = "string"
//! ```

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::fields::FieldType;
use super::fleet::{FleetRole, HierarchyConfig};
use super::status::{CustomerStatus, StatusLabel};
use crate::error::CodedError;
use crate::org::config::Validator;

/// The section as written in the org file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersSection {
    #[serde(default)]
    status_labels: Vec<RawLabel>,
    #[serde(default)]
    fleet_hierarchies: Vec<RawHierarchy>,
    /// Extended fields the org accepts, name → type. Empty: any field is accepted.
    #[serde(default)]
    extended_fields: BTreeMap<String, Spanned<String>>,
    /// Custom (profile) fields the org accepts, name → type. Empty: any field is accepted.
    #[serde(default)]
    custom_fields: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    label: Spanned<String>,
    status: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHierarchy {
    code: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    skip_role_allowed: bool,
    roles: Vec<RawRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    code: Spanned<String>,
    #[serde(default)]
    child_role: Option<String>,
    #[serde(default)]
    max_children: Option<u32>,
}

/// A fleet hierarchy declared in the org file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HierarchySpec {
    pub name: String,
    pub description: String,
    pub config: HierarchyConfig,
}

/// The validated section.
#[derive(Debug, Default, Clone)]
pub struct CustomersConfig {
    pub status_labels: Vec<StatusLabel>,
    pub fleet_hierarchies: Vec<HierarchySpec>,
    pub extended_fields: BTreeMap<String, FieldType>,
    pub custom_fields: BTreeMap<String, FieldType>,
}

impl CustomersSection {
    /// Validates the section, reporting problems through `v`.
    pub fn validate(self, v: &mut Validator<'_>) -> CustomersConfig {
        let mut seen = HashSet::new();
        let mut status_labels = Vec::new();
        for (i, l) in self.status_labels.into_iter().enumerate() {
            let field = format!("customers.status_labels[{i}]");
            let name = v.text(&l.label, format!("{field}.label"));
            if name.chars().count() > super::error::MAX_NAME_LEN {
                v.fail(
                    &l.label,
                    format!("{field}.label"),
                    "must be at most 100 characters",
                );
            }
            if !seen.insert(name.to_lowercase()) {
                v.fail(
                    &l.label,
                    format!("{field}.label"),
                    format!("duplicate label \"{name}\""),
                );
            }
            let Some(status) = CustomerStatus::parse(l.status.get_ref()) else {
                v.fail(
                    &l.status,
                    format!("{field}.status"),
                    "must be ACTIVE, SUSPENDED, DELETED, FRAUD_SUSPECTED or FRAUD_CONFIRMED",
                );
                continue;
            };
            status_labels.push(StatusLabel { name, status });
        }

        let mut codes = HashSet::new();
        let mut fleet_hierarchies = Vec::new();
        for (i, h) in self.fleet_hierarchies.into_iter().enumerate() {
            let field = format!("customers.fleet_hierarchies[{i}]");
            let code = v.code(&h.code, format!("{field}.code"));
            if !codes.insert(code.clone()) {
                v.fail(
                    &h.code,
                    format!("{field}.code"),
                    format!("duplicate hierarchy \"{code}\""),
                );
            }
            let config = HierarchyConfig {
                code: code.clone(),
                roles: h
                    .roles
                    .iter()
                    .map(|r| FleetRole {
                        code: r.code.get_ref().trim().to_string(),
                        child_role_code: r.child_role.clone(),
                        max_child: r.max_children,
                    })
                    .collect(),
                skip_role_allowed: h.skip_role_allowed,
                active: true,
            };
            if let Err(e) = config.ordered_roles() {
                v.fail(
                    &h.code,
                    format!("{field}.roles"),
                    format!("{e} ({})", e.code()),
                );
            }
            fleet_hierarchies.push(HierarchySpec {
                name: h.name.unwrap_or_else(|| code.clone()),
                description: h.description.unwrap_or_default(),
                config,
            });
        }

        CustomersConfig {
            status_labels,
            fleet_hierarchies,
            extended_fields: field_types(v, self.extended_fields, "customers.extended_fields"),
            custom_fields: field_types(v, self.custom_fields, "customers.custom_fields"),
        }
    }
}

fn field_types(
    v: &mut Validator<'_>,
    raw: BTreeMap<String, Spanned<String>>,
    section: &str,
) -> BTreeMap<String, FieldType> {
    let mut out = BTreeMap::new();
    for (name, ty) in raw {
        match FieldType::parse(ty.get_ref()) {
            Some(t) => {
                out.insert(name.to_lowercase(), t);
            }
            None => v.fail(
                &ty,
                format!("{section}.{name}"),
                "must be string, number, boolean or date",
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::org::OrgFile;

    const BASE: &str = r#"
[org]
code = "t"
name = "T"
time_zone = "UTC"
currency = "SGD"
country = "SG"
"#;

    #[test]
    fn demo_like_section_parses() {
        let file = format!(
            "{BASE}\n[customers]\nextended_fields = {{ gender = \"string\" }}\n\
             [[customers.status_labels]]\nlabel = \"active-customer\"\nstatus = \"ACTIVE\"\n\
             [[customers.status_labels]]\nlabel = \"fraud-review\"\nstatus = \"FRAUD_SUSPECTED\"\n\
             [[customers.fleet_hierarchies]]\ncode = \"fleet\"\n\
             roles = [{{ code = \"OWNER\", child_role = \"DRIVER\", max_children = 50 }}, {{ code = \"DRIVER\" }}]\n"
        );
        let f = OrgFile::parse("t.toml", &file).unwrap();
        assert_eq!(f.customers.status_labels.len(), 2);
        assert_eq!(f.customers.fleet_hierarchies[0].config.roles.len(), 2);
        assert!(f.customers.extended_fields.contains_key("gender"));
    }

    #[test]
    fn bad_section_reports_each_problem() {
        let file = format!(
            "{BASE}\n[[customers.status_labels]]\nlabel = \"x\"\nstatus = \"GONE\"\n\
             [[customers.status_labels]]\nlabel = \"X\"\nstatus = \"ACTIVE\"\n\
             [[customers.fleet_hierarchies]]\ncode = \"h\"\nroles = [{{ code = \"A\" }}]\n"
        );
        let errs = OrgFile::parse("t.toml", &file).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 3, "{text:?}");
        assert!(text.iter().any(|t| t.contains("1601")), "{text:?}");
    }
}
