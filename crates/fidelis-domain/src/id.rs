//! Typed ids. Each id is an `i64` on the wire and in the database, but a distinct type in
//! code, so an org id cannot be passed where a customer id is expected:
//!
//! ```compile_fail
//! use fidelis_domain::customers::CustomerId;
//! use fidelis_domain::org::OrgId;
//!
//! fn org(_: OrgId) {}
//! org(CustomerId::new(1));
//! ```

/// Declares an id newtype over `i64`: serialised as the bare number, displayed and parsed
/// as the number, converted at the storage edge with `new` and `get`.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

pub(crate) use id_type;

#[cfg(test)]
mod tests {
    id_type!(SampleId);

    #[test]
    fn renders_and_parses_as_the_bare_number() {
        let id = SampleId::new(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<SampleId>("42").unwrap(), id);
        assert_eq!(id.to_string(), "42");
        assert_eq!("42".parse::<SampleId>().unwrap(), id);
        assert!("x".parse::<SampleId>().is_err());
        assert_eq!(i64::from(id), 42);
    }
}
