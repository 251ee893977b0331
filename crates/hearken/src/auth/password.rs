//! Password hashing with argon2id (library defaults).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Why a password was refused when set.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least 10 characters")]
    TooShort,
    #[error("a password is at most 256 characters")]
    TooLong,
    #[error("could not hash the password")]
    Hash,
}

/// Hashes a new password after checking its length.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(PasswordError::TooShort);
    }
    if n > 256 {
        return Err(PasswordError::TooLong);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Checks a password against a stored hash; a malformed hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not-a-hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(hash("short"), Err(PasswordError::TooShort)));
    }
}
