//! Roles and permissions (Capillary's user types: Standard, Admin, Org Owner). Each page
//! and action names the permission it needs; a role either has it or not.

/// A staff user's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A Member Care agent: reads customers, raises goodwill.
    Standard,
    /// Also decides goodwill and manages Standard staff, partner clients, OTP settings and
    /// dataflow runs.
    Admin,
    /// Everything, including other admins.
    OrgOwner,
}

/// What a page or action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Search customers, read the single view, interactions and incentives.
    ReadCustomers,
    /// Raise a goodwill request (maker).
    RaiseGoodwill,
    /// Approve or reject goodwill requests (checker).
    DecideGoodwill,
    /// The admin pages: staff, partner clients, OTP configuration, dataflow runs.
    Administer,
    /// Create, change or remove admins and org owners.
    ManageAdmins,
}

impl Role {
    pub fn allows(self, p: Permission) -> bool {
        match p {
            Permission::ReadCustomers | Permission::RaiseGoodwill => true,
            Permission::DecideGoodwill | Permission::Administer => self >= Role::Admin,
            Permission::ManageAdmins => self == Role::OrgOwner,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Admin => "admin",
            Self::OrgOwner => "org_owner",
        }
    }

    /// Lower case, as org files write role names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(Self::Standard),
            "admin" => Some(Self::Admin),
            "org_owner" => Some(Self::OrgOwner),
            _ => None,
        }
    }

    /// As shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "Standard",
            Self::Admin => "Admin",
            Self::OrgOwner => "Org Owner",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_agent_reads_and_raises_but_does_not_decide_or_administer() {
        assert!(Role::Standard.allows(Permission::ReadCustomers));
        assert!(Role::Standard.allows(Permission::RaiseGoodwill));
        assert!(!Role::Standard.allows(Permission::DecideGoodwill));
        assert!(!Role::Standard.allows(Permission::Administer));
        assert!(!Role::Standard.allows(Permission::ManageAdmins));
    }

    #[test]
    fn only_the_org_owner_manages_admins() {
        assert!(Role::Admin.allows(Permission::Administer));
        assert!(Role::Admin.allows(Permission::DecideGoodwill));
        assert!(!Role::Admin.allows(Permission::ManageAdmins));
        assert!(Role::OrgOwner.allows(Permission::ManageAdmins));
    }

    #[test]
    fn role_names_round_trip() {
        for r in [Role::Standard, Role::Admin, Role::OrgOwner] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("Admin"), None);
    }
}
