//! Fleet (parent-child) hierarchies: a chain of roles such as OWNER → DRIVER, and the pure
//! checks behind associating a child customer with a parent customer.

use serde::{Deserialize, Serialize};

use super::error::{CustomerError, FleetError};
use super::model::CustomerId;

pub const MIN_ROLES: usize = 2;
pub const MAX_ROLES: usize = 8;
/// Product ceiling on `maxChild`.
pub const MAX_CHILD_LIMIT: u32 = 30_000;

/// One role. Every role but the lowest names its child role and how many children one
/// customer in this role may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetRole {
    pub code: String,
    pub child_role_code: Option<String>,
    pub max_child: Option<u32>,
}

/// A hierarchy definition (`/v2/fleetHierarchy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HierarchyConfig {
    pub code: String,
    pub roles: Vec<FleetRole>,
    /// Allows a parent more than one level above its child (A → C when A → B → C).
    pub skip_role_allowed: bool,
    pub active: bool,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl HierarchyConfig {
    /// Checks the definition and returns its roles top first. Codes follow Capillary:
    /// 1613 empty code, 1601/1602 role count, 1603 empty role code, 1606 duplicates,
    /// 1607 unknown or shared child role, 1608 cycle, 1611 missing maxChild, 1605 over the
    /// ceiling, 1612 a chain that stops before covering every role.
    pub fn ordered_roles(&self) -> Result<Vec<&FleetRole>, FleetError> {
        if self.code.trim().is_empty() {
            return Err(FleetError::EmptyCode);
        }
        let n = self.roles.len();
        if n < MIN_ROLES {
            return Err(FleetError::TooFewRoles(MIN_ROLES));
        }
        if n > MAX_ROLES {
            return Err(FleetError::TooManyRoles(MAX_ROLES));
        }
        for (i, r) in self.roles.iter().enumerate() {
            if r.code.trim().is_empty() {
                return Err(FleetError::EmptyRoleCode);
            }
            if self.roles[..i].iter().any(|o| same(&o.code, &r.code)) {
                return Err(FleetError::DuplicateRole);
            }
        }
        for r in &self.roles {
            let Some(child) = r
                .child_role_code
                .as_deref()
                .filter(|c| !c.trim().is_empty())
            else {
                continue;
            };
            if self.role(child).is_none() {
                return Err(FleetError::InvalidChildRole(child.to_string()));
            }
            match r.max_child {
                None => return Err(FleetError::MaxChildMissing(r.code.clone())),
                Some(m) if m > MAX_CHILD_LIMIT => {
                    return Err(FleetError::MaxChildLimit {
                        role: r.code.clone(),
                        max: MAX_CHILD_LIMIT,
                    })
                }
                Some(_) => {}
            }
        }
        // A cycle shows as a walk longer than the number of roles.
        for start in &self.roles {
            let mut cur = start;
            for _ in 0..=n {
                match self.child_of(cur) {
                    Some(c) if same(&c.code, &start.code) => return Err(FleetError::Cyclic),
                    Some(c) => cur = c,
                    None => break,
                }
            }
        }
        for r in &self.roles {
            let parents = self
                .roles
                .iter()
                .filter(|p| self.child_of(p).is_some_and(|c| same(&c.code, &r.code)))
                .count();
            if parents > 1 {
                return Err(FleetError::InvalidChildRole(r.code.clone()));
            }
        }
        let mut roots = self.roles.iter().filter(|r| {
            !self
                .roles
                .iter()
                .any(|p| self.child_of(p).is_some_and(|c| same(&c.code, &r.code)))
        });
        let Some(root) = roots.next() else {
            return Err(FleetError::Cyclic);
        };
        let mut chain = vec![root];
        while let Some(c) = chain.last().and_then(|r| self.child_of(r)) {
            chain.push(c);
        }
        if chain.len() < n {
            let last = chain.last().map(|r| r.code.clone()).unwrap_or_default();
            return Err(FleetError::ChildRoleMissing(last));
        }
        Ok(chain)
    }

    pub fn role(&self, code: &str) -> Option<&FleetRole> {
        self.roles.iter().find(|r| same(&r.code, code))
    }

    fn child_of(&self, r: &FleetRole) -> Option<&FleetRole> {
        r.child_role_code.as_deref().and_then(|c| self.role(c))
    }

    /// 0 for the top role, 1 for the one below, …; `None` for an unknown role.
    pub fn level(&self, code: &str) -> Option<usize> {
        let chain = self.ordered_roles().ok()?;
        chain.iter().position(|r| same(&r.code, code))
    }
}

/// Longest hierarchy name, and description.
pub const MAX_HIERARCHY_NAME: usize = 100;
pub const MAX_HIERARCHY_DESCRIPTION: usize = 500;

/// A hierarchy as `/v2/fleetHierarchy` defines it: its rules, a name and description, and
/// what the API accepts but Fidelis does not act on (role permissions, automation flags),
/// kept as sent and echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchyDefinition {
    pub name: String,
    pub description: String,
    pub config: HierarchyConfig,
    pub extra: serde_json::Value,
}

impl HierarchyDefinition {
    /// Refuses a name longer than [`MAX_HIERARCHY_NAME`] or a description longer than
    /// [`MAX_HIERARCHY_DESCRIPTION`] characters. The rules themselves are checked when the
    /// hierarchy is stored ([`HierarchyConfig::ordered_roles`]).
    pub fn new(
        name: String,
        description: String,
        config: HierarchyConfig,
        extra: serde_json::Value,
    ) -> Result<Self, CustomerError> {
        if name.chars().count() > MAX_HIERARCHY_NAME
            || description.chars().count() > MAX_HIERARCHY_DESCRIPTION
        {
            return Err(CustomerError::InvalidInput(format!(
                "name is longer than {MAX_HIERARCHY_NAME} or description than \
                 {MAX_HIERARCHY_DESCRIPTION} characters"
            )));
        }
        Ok(Self {
            name,
            description,
            config,
            extra,
        })
    }
}

/// A customer's place in a hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub hierarchy_code: String,
    pub role_code: String,
}

/// Everything needed to decide whether `child` may be linked under `parent`; the caller reads
/// it from storage in the same transaction that will write the link.
#[derive(Debug, Clone, Copy)]
pub struct AssociationRequest<'a> {
    pub child: CustomerId,
    pub child_role: &'a str,
    /// The child's existing mapping, if it already has one.
    pub child_membership: Option<&'a Membership>,
    pub parent: CustomerId,
    pub parent_membership: Option<&'a Membership>,
    /// Children the parent has now, not counting `child` if it is already one of them.
    pub parent_child_count: u32,
    /// The parent's ancestors, nearest first (its parent, grandparent, …).
    pub parent_ancestors: &'a [CustomerId],
}

/// Validates a proposed association against `h`:
/// inactive hierarchy (1610), unknown child role (1615), cycle (1608), child already in
/// another hierarchy (1626) or in another role (1627), parent not mapped in this hierarchy
/// (1625), parent's role not directly above the child's — or, with skip-level allowed, not
/// above it at all — which also refuses any level below the lowest role (1617), and the
/// parent role's max children reached (1618).
pub fn validate_association(
    h: &HierarchyConfig,
    req: &AssociationRequest<'_>,
) -> Result<(), FleetError> {
    if !h.active {
        return Err(FleetError::Inactive);
    }
    let chain = h.ordered_roles()?;
    let level = |code: &str| chain.iter().position(|r| same(&r.code, code));
    let child_level =
        level(req.child_role).ok_or_else(|| FleetError::UnknownRole(req.child_role.to_string()))?;
    if req.child == req.parent || req.parent_ancestors.contains(&req.child) {
        return Err(FleetError::Cyclic);
    }
    if let Some(m) = req.child_membership {
        if !same(&m.hierarchy_code, &h.code) {
            return Err(FleetError::OtherHierarchy);
        }
        if !same(&m.role_code, req.child_role) {
            return Err(FleetError::RoleChange);
        }
    }
    let parent_role = req
        .parent_membership
        .filter(|m| same(&m.hierarchy_code, &h.code))
        .ok_or(FleetError::ParentNotMapped(req.parent))?;
    let parent_level = level(&parent_role.role_code)
        .ok_or_else(|| FleetError::UnknownRole(parent_role.role_code.clone()))?;
    let qualifies = if h.skip_role_allowed {
        parent_level < child_level
    } else {
        parent_level + 1 == child_level
    };
    // The parent's own depth bounds the tree too: a chain of ancestors as long as the role
    // list leaves no level for a child.
    if !qualifies || req.parent_ancestors.len() + 2 > chain.len() {
        return Err(FleetError::RoleDoesNotQualify);
    }
    let role = chain[parent_level];
    if let Some(max) = role.max_child {
        if req.parent_child_count >= max {
            return Err(FleetError::TooManyChildren {
                role: role.code.clone(),
                max,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;

    fn role(code: &str, child: Option<&str>, max: Option<u32>) -> FleetRole {
        FleetRole {
            code: code.into(),
            child_role_code: child.map(Into::into),
            max_child: max,
        }
    }

    /// The demo org's hierarchy.
    fn demo() -> HierarchyConfig {
        HierarchyConfig {
            code: "fleet".into(),
            roles: vec![
                role("OWNER", Some("DRIVER"), Some(50)),
                role("DRIVER", None, None),
            ],
            skip_role_allowed: false,
            active: true,
        }
    }

    #[test]
    fn definition_names_are_bounded() {
        let extra = serde_json::Value::Null;
        let ok = HierarchyDefinition::new("n".repeat(100), "d".repeat(500), demo(), extra.clone());
        assert!(ok.is_ok());
        for (name, description) in [
            ("n".repeat(101), String::new()),
            ("n".into(), "d".repeat(501)),
        ] {
            let e = HierarchyDefinition::new(name, description, demo(), extra.clone()).unwrap_err();
            assert_eq!(e.code(), 400);
            assert_eq!(
                e.to_string(),
                "Invalid input: name is longer than 100 or description than 500 characters"
            );
        }
    }

    fn three(skip: bool) -> HierarchyConfig {
        HierarchyConfig {
            code: "h3".into(),
            // deliberately out of order: order comes from childRoleCode
            roles: vec![
                role("FA", Some("FC"), Some(10)),
                role("GFA", Some("FA"), Some(10)),
                role("FC", None, None),
            ],
            skip_role_allowed: skip,
            active: true,
        }
    }

    fn member(h: &str, r: &str) -> Membership {
        Membership {
            hierarchy_code: h.into(),
            role_code: r.into(),
        }
    }

    fn req<'a>(
        child_role: &'a str,
        parent: &'a Membership,
        count: u32,
        ancestors: &'a [CustomerId],
    ) -> AssociationRequest<'a> {
        AssociationRequest {
            child: CustomerId::new(2),
            child_role,
            child_membership: None,
            parent: CustomerId::new(1),
            parent_membership: Some(parent),
            parent_child_count: count,
            parent_ancestors: ancestors,
        }
    }

    #[test]
    fn roles_are_ordered_by_child_links() {
        let h = three(false);
        let codes: Vec<_> = h
            .ordered_roles()
            .unwrap()
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(codes, ["GFA", "FA", "FC"]);
        assert_eq!(h.level("fc"), Some(2));
        assert_eq!(h.level("XX"), None);
    }

    #[test]
    fn bad_configs_refused_with_codes() {
        let mut h = demo();
        h.code = " ".into();
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1613);

        let mut h = demo();
        h.roles.truncate(1);
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1601);

        let mut h = demo();
        h.roles = (0..9)
            .map(|i| role(&format!("R{i}"), Some(&format!("R{}", i + 1)), Some(1)))
            .collect();
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1602);

        let mut h = demo();
        h.roles[1].code = "OWNER".into();
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1606);

        let mut h = demo();
        h.roles[0].child_role_code = Some("PILOT".into());
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1607);

        let mut h = demo();
        h.roles[1].child_role_code = Some("OWNER".into());
        h.roles[1].max_child = Some(1);
        assert_eq!(h.ordered_roles().unwrap_err(), FleetError::Cyclic);

        let mut h = demo();
        h.roles[0].max_child = None;
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1611);

        let mut h = demo();
        h.roles[0].max_child = Some(30_001);
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1605);

        // Two separate chains.
        let mut h = demo();
        h.roles.push(role("BOSS", Some("CLERK"), Some(1)));
        h.roles.push(role("CLERK", None, None));
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1612);

        // Two parents for one child role.
        let mut h = demo();
        h.roles.push(role("MANAGER", Some("DRIVER"), Some(1)));
        assert_eq!(h.ordered_roles().unwrap_err().code(), 1607);
    }

    #[test]
    fn owner_may_take_driver() {
        let owner = member("fleet", "OWNER");
        assert_eq!(
            validate_association(&demo(), &req("DRIVER", &owner, 0, &[])),
            Ok(())
        );
        assert_eq!(
            validate_association(&demo(), &req("driver", &owner, 49, &[])),
            Ok(())
        );
    }

    #[test]
    fn max_children_enforced() {
        let owner = member("fleet", "OWNER");
        let e = validate_association(&demo(), &req("DRIVER", &owner, 50, &[])).unwrap_err();
        assert_eq!(
            e,
            FleetError::TooManyChildren {
                role: "OWNER".into(),
                max: 50
            }
        );
        assert_eq!(e.code(), 1618);
    }

    #[test]
    fn no_level_below_the_lowest_role() {
        // A driver cannot be anyone's parent: there is no third level.
        let driver = member("fleet", "DRIVER");
        let e = validate_association(&demo(), &req("DRIVER", &driver, 0, &[CustomerId::new(9)]))
            .unwrap_err();
        assert_eq!(e, FleetError::RoleDoesNotQualify);
        assert_eq!(e.code(), 1617);
        // Nor can an owner sit under an owner.
        let owner = member("fleet", "OWNER");
        assert_eq!(
            validate_association(&demo(), &req("OWNER", &owner, 0, &[])).unwrap_err(),
            FleetError::RoleDoesNotQualify
        );
        // An ancestor chain already as deep as the role list leaves no room either.
        assert_eq!(
            validate_association(&demo(), &req("DRIVER", &owner, 0, &[CustomerId::new(7)]))
                .unwrap_err(),
            FleetError::RoleDoesNotQualify
        );
    }

    #[test]
    fn skip_level_only_when_allowed() {
        let top = member("h3", "GFA");
        assert_eq!(
            validate_association(&three(false), &req("FC", &top, 0, &[])).unwrap_err(),
            FleetError::RoleDoesNotQualify
        );
        assert_eq!(
            validate_association(&three(true), &req("FC", &top, 0, &[])),
            Ok(())
        );
        // Skipping upwards is never allowed.
        let low = member("h3", "FC");
        assert!(validate_association(&three(true), &req("GFA", &low, 0, &[])).is_err());
    }

    #[test]
    fn cycles_refused() {
        let mid = member("h3", "FA");
        let ancestors = [CustomerId::new(5), CustomerId::new(2)];
        let mut r = req("FC", &mid, 0, &ancestors);
        assert_eq!(
            validate_association(&three(false), &r).unwrap_err(),
            FleetError::Cyclic
        );
        r.parent_ancestors = &[];
        r.parent = CustomerId::new(2);
        assert_eq!(
            validate_association(&three(false), &r).unwrap_err().code(),
            1608
        );
    }

    #[test]
    fn membership_conflicts() {
        let owner = member("fleet", "OWNER");
        let other = member("other", "DRIVER");
        let mut r = req("DRIVER", &owner, 0, &[]);
        r.child_membership = Some(&other);
        assert_eq!(validate_association(&demo(), &r).unwrap_err().code(), 1626);

        let was_owner = member("fleet", "OWNER");
        r.child_membership = Some(&was_owner);
        assert_eq!(validate_association(&demo(), &r).unwrap_err().code(), 1627);

        let same = member("fleet", "DRIVER");
        r.child_membership = Some(&same);
        assert_eq!(validate_association(&demo(), &r), Ok(()));

        let foreign_parent = member("other", "OWNER");
        let r = req("DRIVER", &foreign_parent, 0, &[]);
        assert_eq!(
            validate_association(&demo(), &r).unwrap_err(),
            FleetError::ParentNotMapped(CustomerId::new(1))
        );
        let mut r = req("DRIVER", &owner, 0, &[]);
        r.parent_membership = None;
        assert_eq!(validate_association(&demo(), &r).unwrap_err().code(), 1625);
        let r = req("PILOT", &owner, 0, &[]);
        assert_eq!(validate_association(&demo(), &r).unwrap_err().code(), 1615);
    }

    #[test]
    fn inactive_hierarchy_refused() {
        let owner = member("fleet", "OWNER");
        let mut h = demo();
        h.active = false;
        assert_eq!(
            validate_association(&h, &req("DRIVER", &owner, 0, &[]))
                .unwrap_err()
                .code(),
            1610
        );
    }
}
