//! Companies: B2B accounts of a fleet hierarchy, possibly nested under a parent company,
//! to which fleet customers are linked. Pure checks only; codes 1701–1710.

use serde_json::{Map, Value};

use super::error::{FleetError, MAX_NAME_LEN};
use super::fields::{validate_fields, FieldKind};
use std::collections::BTreeMap;

/// Deepest company tree accepted; also bounds the ancestor walk of the cycle check.
pub const MAX_COMPANY_DEPTH: usize = 32;

/// A create or update request after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyInput {
    pub external_id: String,
    pub name: Option<String>,
    pub hierarchy_code: Option<String>,
    pub extended_fields: Option<Map<String, Value>>,
    /// `None`: unchanged (no parent at creation); `Some(None)`: no parent;
    /// `Some(Some(x))`: under company `x`.
    pub parent: Option<Option<String>>,
}

/// Trimmed, 1–100 characters, no control characters, case kept (1703).
pub fn normalise_company_external_id(raw: Option<&str>) -> Result<String, FleetError> {
    let v = raw.unwrap_or("").trim();
    if v.is_empty() || v.chars().count() > MAX_NAME_LEN || v.chars().any(char::is_control) {
        return Err(FleetError::CompanyExternalId(v.to_string()));
    }
    Ok(v.to_string())
}

fn name(raw: &str) -> Result<String, FleetError> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > MAX_NAME_LEN {
        return Err(FleetError::CompanyName);
    }
    Ok(v.to_string())
}

/// Company fields are free-form scalars (the org declares fields for customers only);
/// the size limits of customer fields apply (1708).
pub fn company_fields(values: &Map<String, Value>) -> Result<Map<String, Value>, FleetError> {
    validate_fields(FieldKind::Extended, &BTreeMap::new(), values)
        .map_err(|e| FleetError::CompanyFields(e.to_string()))
}

/// The raw parts of a request body, checked. `creating` makes `name` (1701) and
/// `hierarchyDefinitionCode` (1707) mandatory; an update changes only what it names.
pub fn validate_company(
    external_id: Option<&str>,
    raw_name: Option<&str>,
    hierarchy_code: Option<&str>,
    extended_fields: Option<&Map<String, Value>>,
    parent: Option<Option<&str>>,
    creating: bool,
) -> Result<CompanyInput, FleetError> {
    let external_id = normalise_company_external_id(external_id)?;
    let name = match raw_name {
        Some(n) => Some(name(n)?),
        None if creating => return Err(FleetError::CompanyName),
        None => None,
    };
    let hierarchy_code = match hierarchy_code.map(str::trim) {
        Some(c) if !c.is_empty() => Some(c.to_string()),
        _ if creating => {
            return Err(FleetError::CompanyHierarchy(
                hierarchy_code.unwrap_or("").into(),
            ))
        }
        _ => None,
    };
    let extended_fields = extended_fields.map(company_fields).transpose()?;
    let parent = match parent {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) if p.trim().is_empty() => Some(None),
        Some(Some(p)) => Some(Some(
            normalise_company_external_id(Some(p))
                .map_err(|_| FleetError::ParentCompanyNotFound(p.trim().to_string()))?,
        )),
    };
    if parent
        .as_ref()
        .and_then(Option::as_ref)
        .is_some_and(|p| *p == external_id)
    {
        return Err(FleetError::CompanyCyclic);
    }
    Ok(CompanyInput {
        external_id,
        name,
        hierarchy_code,
        extended_fields,
        parent,
    })
}

/// Checks placing `company` (`None` when it does not exist yet) under a parent whose chain
/// is `parent_chain`: the parent itself first, then its parent, and so on up to the top.
/// Refuses a cycle (1706) and a tree deeper than [`MAX_COMPANY_DEPTH`] (1710).
pub fn check_parent(company: Option<i64>, parent_chain: &[i64]) -> Result<(), FleetError> {
    if company.is_some_and(|c| parent_chain.contains(&c)) {
        return Err(FleetError::CompanyCyclic);
    }
    if parent_chain.len() >= MAX_COMPANY_DEPTH {
        return Err(FleetError::CompanyTooDeep(MAX_COMPANY_DEPTH));
    }
    Ok(())
}

/// Whether a company's extended field `name` holds `value`. Field names compare without
/// case, as the org declares them; values compare as text (`"12"` matches 12 and "12").
pub fn extended_field_matches(fields: &Value, name: &str, value: &str) -> bool {
    let Some(map) = fields.as_object() else {
        return false;
    };
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .is_some_and(|(_, v)| match v {
            Value::String(s) => s.trim().eq_ignore_ascii_case(value.trim()),
            Value::Number(n) => n.to_string() == value.trim(),
            Value::Bool(b) => b.to_string() == value.trim(),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn extended_fields_match_by_name_and_text_value() {
        let f = serde_json::json!({"Region": "North", "fleet_size": 12, "note": null});
        assert!(super::extended_field_matches(&f, "region", "north"));
        assert!(super::extended_field_matches(&f, "fleet_size", "12"));
        assert!(!super::extended_field_matches(&f, "fleet_size", "13"));
        assert!(!super::extended_field_matches(&f, "note", "null"));
        assert!(!super::extended_field_matches(&f, "missing", "x"));
    }

    use super::*;
    use crate::error::CodedError;
    use serde_json::json;

    fn create(ext: &str, name: Option<&str>, code: Option<&str>) -> Result<CompanyInput, u32> {
        validate_company(Some(ext), name, code, None, None, true).map_err(|e| e.code())
    }

    #[test]
    fn create_needs_name_external_id_and_hierarchy() {
        let c = create(" ACME-1 ", Some(" Acme "), Some(" fleet ")).unwrap();
        assert_eq!(c.external_id, "ACME-1");
        assert_eq!(c.name.as_deref(), Some("Acme"));
        assert_eq!(c.hierarchy_code.as_deref(), Some("fleet"));
        assert_eq!(c.parent, None);
        assert_eq!(create("A", None, Some("fleet")), Err(1701));
        assert_eq!(create("A", Some(" "), Some("fleet")), Err(1701));
        assert_eq!(
            create("A", Some(&"n".repeat(101)), Some("fleet")),
            Err(1701)
        );
        assert_eq!(create(" ", Some("Acme"), Some("fleet")), Err(1703));
        assert_eq!(create("a\u{1}b", Some("Acme"), Some("fleet")), Err(1703));
        assert_eq!(create("A", Some("Acme"), None), Err(1707));
        assert_eq!(create("A", Some("Acme"), Some("")), Err(1707));
    }

    #[test]
    fn update_changes_only_what_it_names() {
        let u = validate_company(Some("A"), None, None, None, None, false).unwrap();
        assert_eq!((u.name, u.hierarchy_code, u.parent), (None, None, None));
        let u = validate_company(Some("A"), None, None, None, Some(Some(" ")), false).unwrap();
        assert_eq!(u.parent, Some(None));
        let u = validate_company(Some("A"), None, None, None, Some(Some("B")), false).unwrap();
        assert_eq!(u.parent, Some(Some("B".into())));
    }

    #[test]
    fn own_parent_is_a_cycle() {
        let e = validate_company(
            Some("A"),
            Some("x"),
            Some("f"),
            None,
            Some(Some(" A")),
            true,
        );
        assert_eq!(e.unwrap_err().code(), 1706);
    }

    #[test]
    fn fields_are_scalars() {
        let ok = json!({"Region": "North", "size": 12, "empty": null});
        let m = ok.as_object().unwrap();
        let c = validate_company(Some("A"), Some("x"), Some("f"), Some(m), None, true).unwrap();
        assert_eq!(
            Value::Object(c.extended_fields.unwrap()),
            json!({"region": "North", "size": 12})
        );
        let bad = json!({"nested": {"a": 1}});
        let e = validate_company(Some("A"), None, None, bad.as_object(), None, false);
        assert_eq!(e.unwrap_err().code(), 1708);
    }

    #[test]
    fn parent_chain_rules() {
        assert_eq!(check_parent(None, &[]), Ok(()));
        assert_eq!(check_parent(Some(1), &[2, 3]), Ok(()));
        // 3 → 2 → 1: putting 1 under 3 closes a loop.
        assert_eq!(
            check_parent(Some(1), &[3, 2, 1]),
            Err(FleetError::CompanyCyclic)
        );
        let deep: Vec<i64> = (10..10 + MAX_COMPANY_DEPTH as i64).collect();
        assert_eq!(check_parent(None, &deep).unwrap_err().code(), 1710);
        assert_eq!(check_parent(None, &deep[1..]), Ok(()));
    }

    #[test]
    fn codes_and_classes() {
        use crate::error::ErrorClass;
        assert_eq!(FleetError::CompanyExists("A".into()).code(), 1702);
        assert_eq!(FleetError::CompanyNotFound("A".into()).code(), 1704);
        assert_eq!(
            FleetError::CompanyNotFound("A".into()).class(),
            ErrorClass::NotFound
        );
        assert_eq!(
            FleetError::CompanyHierarchyMismatch("x".into()).code(),
            1709
        );
    }
}
