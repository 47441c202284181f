//! The console's search box: one field for mobile, email, external id, card number, card
//! external id or name. The term is checked here; the lookups run in `fidelis-app`.

use super::ConsoleError;

/// The shortest name fragment searched for (shorter would match half the customers).
pub const MIN_NAME_CHARS: usize = 3;
pub const MAX_CHARS: usize = 100;

/// A checked search term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    pub text: String,
}

impl SearchTerm {
    pub fn parse(raw: &str) -> Result<Self, ConsoleError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ConsoleError::Invalid(
                "enter a mobile number, email, external id, card number or name".into(),
            ));
        }
        if text.chars().count() > MAX_CHARS || text.chars().any(char::is_control) {
            return Err(ConsoleError::Invalid(format!(
                "a search term is at most {MAX_CHARS} printable characters"
            )));
        }
        Ok(Self { text: text.into() })
    }

    /// Whether the term is long enough to search names by a part of them.
    pub fn searches_names(&self) -> bool {
        self.text.chars().count() >= MIN_NAME_CHARS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_long_or_control_terms_are_refused() {
        assert!(SearchTerm::parse("  ").is_err());
        assert!(SearchTerm::parse(&"x".repeat(101)).is_err());
        assert!(SearchTerm::parse("a\u{0}b").is_err());
        assert_eq!(
            SearchTerm::parse(" 6591 ").map(|t| t.text),
            Ok("6591".into())
        );
    }

    #[test]
    fn names_are_searched_from_three_characters() {
        assert!(!SearchTerm::parse("Li")
            .unwrap_or_else(|e| panic!("{e}"))
            .searches_names());
        assert!(SearchTerm::parse("Lim")
            .unwrap_or_else(|e| panic!("{e}"))
            .searches_names());
    }
}
