//! Platform credentials sealed at rest.
//!
//! Credentials (app secret, access token, verify token) are one JSON document sealed with
//! XChaCha20-Poly1305 under the installation key (`HEARKEN_SECRET_KEY` or
//! `HEARKEN_SECRET_KEY_FILE`). The account id is bound in as associated data, so a sealed
//! blob copied onto another account does not open. Only masks are ever shown, and the
//! types here print `[redacted]` in `Debug`, so secrets cannot reach a log by accident.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why credentials could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("no installation key: set HEARKEN_SECRET_KEY or HEARKEN_SECRET_KEY_FILE")]
    NoKey,
    #[error("the sealed credentials do not open with this key")]
    Open,
}

/// The installation key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A key from its configured text: 64 hex digits are used as they are; any other text
    /// is a passphrase, stretched by SHA-256.
    pub fn from_text(text: &SecretString) -> Sealer {
        let t = text.expose_secret().trim();
        let key: [u8; 32] = match hex::decode(t) {
            Ok(bytes) if bytes.len() == 32 => bytes.try_into().unwrap_or([0; 32]),
            _ => Sha256::digest(t.as_bytes()).into(),
        };
        Sealer {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// Seals credentials for one account: a fresh 24-byte nonce followed by the ciphertext.
    pub fn seal(&self, account_binding: &str, creds: &Credentials) -> Vec<u8> {
        let plain = serde_json::to_vec(&creds.exposed()).unwrap_or_default();
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: &plain,
            aad: account_binding.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    /// Opens what `seal` produced for the same account.
    pub fn open(&self, account_binding: &str, sealed: &[u8]) -> Result<Credentials, SealError> {
        if sealed.len() < 24 {
            return Err(SealError::Open);
        }
        let (nonce, body) = sealed.split_at(24);
        let payload = Payload {
            msg: body,
            aad: account_binding.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| SealError::Open)?;
        let exposed: Exposed = serde_json::from_slice(&plain).map_err(|_| SealError::Open)?;
        Ok(Credentials::from_exposed(exposed))
    }
}

/// What binds sealed credentials to their account: channel and handle.
pub fn binding(channel: &str, handle: &str) -> String {
    format!("hearken-account:{channel}:{handle}")
}

/// An account's platform credentials; `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Meta app secret or X consumer secret: signs webhook bodies.
    pub app_secret: Option<SecretString>,
    /// Page, user or bearer access token for the platform's API.
    pub access_token: Option<SecretString>,
    /// The token Meta echoes in `hub.verify_token` when subscribing.
    pub verify_token: Option<SecretString>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "verify_token",
                &self.verify_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Exposed {
    app_secret: Option<String>,
    access_token: Option<String>,
    verify_token: Option<String>,
}

impl Credentials {
    /// Credentials from plain strings (empty ones are dropped).
    pub fn new(
        app_secret: Option<String>,
        access_token: Option<String>,
        verify_token: Option<String>,
    ) -> Credentials {
        Credentials::from_exposed(Exposed {
            app_secret,
            access_token,
            verify_token,
        })
    }

    fn from_exposed(e: Exposed) -> Credentials {
        let keep = |v: Option<String>| v.filter(|s| !s.is_empty()).map(SecretString::from);
        Credentials {
            app_secret: keep(e.app_secret),
            access_token: keep(e.access_token),
            verify_token: keep(e.verify_token),
        }
    }

    fn exposed(&self) -> Exposed {
        let show = |v: &Option<SecretString>| v.as_ref().map(|s| s.expose_secret().to_owned());
        Exposed {
            app_secret: show(&self.app_secret),
            access_token: show(&self.access_token),
            verify_token: show(&self.verify_token),
        }
    }

    /// The masks shown in the UI and API: `••••` and the last four characters, or less of
    /// a short secret.
    pub fn masks(&self) -> serde_json::Value {
        let m = |v: &Option<SecretString>| v.as_ref().map(|s| mask(s.expose_secret()));
        serde_json::json!({
            "app_secret": m(&self.app_secret),
            "access_token": m(&self.access_token),
            "verify_token": m(&self.verify_token),
        })
    }
}

/// `••••` followed by the last four characters when the secret is at least 12 long.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "••••".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_opens_only_for_the_same_account_and_key() {
        let sealer = Sealer::from_text(&SecretString::from("passphrase".to_owned()));
        let creds = Credentials::new(Some("app-secret-123456".into()), None, Some("vt".into()));
        let sealed = sealer.seal("a", &creds);
        assert!(!String::from_utf8_lossy(&sealed).contains("app-secret"));
        let back = sealer.open("a", &sealed).unwrap();
        assert_eq!(
            back.app_secret.unwrap().expose_secret(),
            "app-secret-123456"
        );
        assert!(sealer.open("b", &sealed).is_err());
        let other = Sealer::from_text(&SecretString::from("other".to_owned()));
        assert!(other.open("a", &sealed).is_err());
    }

    #[test]
    fn debug_and_masks_hide_the_secret() {
        let creds = Credentials::new(Some("app-secret-123456".into()), None, None);
        assert!(!format!("{creds:?}").contains("secret-1"));
        assert_eq!(creds.masks()["app_secret"], "••••3456");
        assert_eq!(mask("short"), "••••");
    }
}
