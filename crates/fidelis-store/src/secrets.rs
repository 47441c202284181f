//! Slow hashing for stored passwords and client secrets.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use crate::StoreError;

/// Hashes a secret with Argon2id and a random salt (PHC string format).
pub fn hash_secret(secret: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("hashing failed: {e}")))
}

/// Verifies a secret against a stored PHC hash; the comparison is constant-time.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Memory for one Argon2 verification, kept by the caller between verifications.
pub type HashMemory = Vec<Block>;

/// `verify_secret` in a caller-owned memory block, grown once to the hash's size and reused:
/// Argon2 needs its whole memory (19 MiB by default) per verification, and allocating it
/// afresh each time leaves the allocator holding freed blocks per thread.
pub fn verify_secret_in(secret: &str, stored: &str, memory: &mut HashMemory) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
    else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    let blocks = &mut memory[..params.block_count()];
    if argon
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut out, blocks)
        .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash_secret("s3cret").unwrap();
        let b = hash_secret("s3cret").unwrap();
        assert_ne!(a, b);
        assert!(verify_secret("s3cret", &a));
        assert!(!verify_secret("s3cret!", &a));
        assert!(!verify_secret("s3cret", "not a hash"));
    }

    #[test]
    fn verifying_in_reused_memory_agrees_with_the_plain_check() {
        let a = hash_secret("s3cret").unwrap();
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(verify_secret_in("s3cret", &a, &mut memory));
            assert!(!verify_secret_in("s3cret!", &a, &mut memory));
        }
        assert!(!verify_secret_in("s3cret", "not a hash", &mut memory));
        assert_eq!(memory.len(), Params::default().block_count());
    }
}
