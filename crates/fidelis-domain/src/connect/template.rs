//! The Connect+ templates: what each loads, the API fields it maps, and which of them must
//! be mapped before a dataflow may run.

/// A template by its Connect+ name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    CustomerAdd,
    FleetCustomers,
    TransactionAdd,
    TransactionLineItemMerge,
    TransactionAddWithFilter,
    CouponRedeem,
    GoodwillPoints,
}

/// How a field must be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// At least one field of the named group.
    OneOf(&'static str),
}

/// A field a template maps, and whether it is a date (which needs a date format).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub need: Need,
    pub date: bool,
}

const fn f(name: &'static str, need: Need) -> Field {
    Field {
        name,
        need,
        date: false,
    }
}

const fn date(name: &'static str, need: Need) -> Field {
    Field {
        name,
        need,
        date: true,
    }
}

use Need::{OneOf, Optional, Required};

const CUSTOMER: &str = "customer identifier";

const CUSTOMER_IDS: [Field; 4] = [
    f("mobile", OneOf(CUSTOMER)),
    f("email", OneOf(CUSTOMER)),
    f("externalId", OneOf(CUSTOMER)),
    f("cardNumber", OneOf(CUSTOMER)),
];

const CUSTOMER_ADD: &[Field] = &[
    f("firstName", Optional),
    f("lastName", Optional),
    f("source", Optional),
    f("statusLabel", Optional),
    f("statusLabelReason", Optional),
    date("createdDate", Optional),
    // Per-channel subscription status (OPTIN / OPTOUT), promotional and transactional.
    f("subscriptions.sms.bulk", Optional),
    f("subscriptions.sms.trans", Optional),
    f("subscriptions.email.bulk", Optional),
    f("subscriptions.email.trans", Optional),
    f("subscriptions.whatsapp.bulk", Optional),
    f("subscriptions.whatsapp.trans", Optional),
    f("cardSeriesId", Optional),
    f("cardStatus", Optional),
];

const FLEET: &[Field] = &[
    f("parent.mobile", OneOf("parent identifier")),
    f("parent.externalId", OneOf("parent identifier")),
    f("parent.cardNumber", OneOf("parent identifier")),
    f("child.mobile", OneOf("child identifier")),
    f("child.externalId", OneOf("child identifier")),
    f("child.cardNumber", OneOf("child identifier")),
    f("firstName", Optional),
    f("lastName", Optional),
    f("statusLabel", Optional),
    f("statusLabelReason", Optional),
    f("role", Optional),
];

const BILL: &[Field] = &[
    f("billNumber", Required),
    f("billAmount", Required),
    date("billingDate", Optional),
    f("grossAmount", Optional),
    f("discount", Optional),
    f("note", Optional),
];

const LINE_ITEM: &[Field] = &[
    f("lineItem.itemCode", Required),
    f("lineItem.qty", Required),
    f("lineItem.rate", Optional),
    f("lineItem.amount", Required),
    f("lineItem.description", Optional),
];

const COUPON_REDEEM: &[Field] = &[
    f("transactionNumber", Required),
    f("billAmount", Required),
    f("code", Required),
    date("redemptionTime", Optional),
];

const GOODWILL: &[Field] = &[
    f("points", Required),
    f("reason", Required),
    f("programId", Optional),
    f("comments", Optional),
];

impl Template {
    /// Whether each record is a bill (recorded as `POST /v2/transactions` records one).
    pub fn records_bills(self) -> bool {
        matches!(
            self,
            Template::TransactionAdd
                | Template::TransactionLineItemMerge
                | Template::TransactionAddWithFilter
        )
    }

    pub const ALL: [Self; 7] = [
        Self::CustomerAdd,
        Self::FleetCustomers,
        Self::TransactionAdd,
        Self::TransactionLineItemMerge,
        Self::TransactionAddWithFilter,
        Self::CouponRedeem,
        Self::GoodwillPoints,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CustomerAdd => "customer-v2-add",
            Self::FleetCustomers => "fleet-customers",
            Self::TransactionAdd => "transaction-v2-add",
            Self::TransactionLineItemMerge => "transaction-line-item-merge",
            Self::TransactionAddWithFilter => "transaction-v2-add-with-filter",
            Self::CouponRedeem => "coupon-redeem",
            Self::GoodwillPoints => "goodwill-points",
        }
    }

    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == name.trim())
            .ok_or_else(|| {
                format!(
                    "unknown template `{name}`; use one of: {}",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }

    /// The fields the template maps.
    pub fn fields(self) -> Vec<Field> {
        let parts: &[&[Field]] = match self {
            Self::CustomerAdd => &[&CUSTOMER_IDS, CUSTOMER_ADD],
            Self::FleetCustomers => &[FLEET],
            Self::TransactionAdd | Self::TransactionAddWithFilter => &[&CUSTOMER_IDS, BILL],
            Self::TransactionLineItemMerge => &[&CUSTOMER_IDS, BILL, LINE_ITEM],
            Self::CouponRedeem => &[&CUSTOMER_IDS, COUPON_REDEEM],
            Self::GoodwillPoints => &[&CUSTOMER_IDS, GOODWILL],
        };
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    }

    /// Free-form fields the template passes on by prefix (`extendedFields.gender`).
    pub fn open_prefixes(self) -> &'static [&'static str] {
        match self {
            Self::CustomerAdd | Self::FleetCustomers => &["extendedFields.", "customFields."],
            Self::TransactionAdd
            | Self::TransactionAddWithFilter
            | Self::TransactionLineItemMerge => &["extendedFields.", "customFields."],
            Self::CouponRedeem | Self::GoodwillPoints => &[],
        }
    }

    /// The field named `name`, if the template maps it.
    pub fn field(self, name: &str) -> Option<Field> {
        self.fields().into_iter().find(|f| f.name == name)
    }

    /// Whether the template knows the field (by name or open prefix).
    pub fn knows(self, name: &str) -> bool {
        self.field(name).is_some() || self.open_prefixes().iter().any(|p| name.starts_with(p))
    }

    /// What a dataflow mapping `mapped` lacks: each required field, and each group of
    /// which no field is mapped ("one of mobile, email, …").
    pub fn missing<'a>(self, mapped: impl Fn(&str) -> bool + 'a) -> Vec<String> {
        let fields = self.fields();
        let mut out = Vec::new();
        let mut groups: Vec<&str> = Vec::new();
        for field in &fields {
            match field.need {
                Required if !mapped(field.name) => out.push(field.name.to_string()),
                OneOf(g) if !groups.contains(&g) => groups.push(g),
                _ => {}
            }
        }
        for g in groups {
            let members: Vec<&str> = fields
                .iter()
                .filter(|f| f.need == OneOf(g))
                .map(|f| f.name)
                .collect();
            if !members.iter().any(|m| mapped(m)) {
                out.push(format!("{g} (one of {})", members.join(", ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Template::ALL {
            assert_eq!(Template::parse(t.name()), Ok(t));
        }
        assert!(Template::parse("transactions")
            .unwrap_err()
            .contains("coupon-redeem"));
    }

    #[test]
    fn missing_lists_required_fields_and_identifier_groups() {
        let mapped = ["billNumber"];
        let missing = Template::TransactionAdd.missing(|f| mapped.contains(&f));
        assert_eq!(
            missing,
            [
                "billAmount",
                "customer identifier (one of mobile, email, externalId, cardNumber)"
            ]
        );
        let mapped = ["transactionNumber", "billAmount", "code", "email"];
        assert!(Template::CouponRedeem
            .missing(|f| mapped.contains(&f))
            .is_empty());
        let fleet = Template::FleetCustomers.missing(|f| f == "parent.mobile");
        assert_eq!(fleet.len(), 1);
        assert!(fleet[0].starts_with("child identifier"));
    }

    #[test]
    fn dates_and_open_fields_are_known() {
        assert!(Template::TransactionAdd.field("billingDate").unwrap().date);
        assert!(Template::CustomerAdd.knows("extendedFields.gender"));
        assert!(!Template::CouponRedeem.knows("extendedFields.gender"));
        assert!(!Template::GoodwillPoints.knows("billAmount"));
    }
}
