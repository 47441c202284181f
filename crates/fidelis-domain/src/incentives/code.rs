//! Codes people type at a till: letters and digits without the look-alikes 0/O and 1/I,
//! drawn from random bytes the caller takes from a CSPRNG.

/// 32 symbols, so each random byte maps to one symbol without bias (`byte % 32`).
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A code of `bytes.len()` symbols from random bytes.
pub fn code_from_random(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect()
}

/// A code as the org stores it: trimmed and upper-cased, so `summer22` finds `SUMMER22`.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Whether a code an org file or API names is acceptable: 3-40 letters, digits, `-`, `_`.
pub fn valid_public_code(code: &str) -> bool {
    (3..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_only() {
        let c = code_from_random(&[0, 31, 32, 255, 7, 8, 9, 10]);
        assert_eq!(c.len(), 8);
        assert!(c.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('I'));
        assert_eq!(normalise(" summer22 "), "SUMMER22");
        assert!(valid_public_code("SUMMER22"));
        assert!(!valid_public_code("a b"));
    }
}
