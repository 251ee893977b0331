//! Webhook authenticity helpers (HMAC), all comparisons constant-time.
//!
//! * Meta (Facebook, Instagram, Messenger): `X-Hub-Signature-256: sha256=<hex>` =
//!   lowercase hex HMAC-SHA256(app secret, raw body); legacy `X-Hub-Signature:
//!   sha1=<hex>` with HMAC-SHA1. Subscription set-up uses the `hub.challenge`
//!   echo ([`verify_subscription`]).
//! * X Account Activity: `x-twitter-webhooks-signature: sha256=<base64>` =
//!   base64 HMAC-SHA256(consumer secret, raw body); the CRC check answers
//!   `response_token` = [`crc_response`].
//!
//! Verification decodes the header and lets the MAC compare in constant time,
//! so a wrong signature takes as long to reject as a nearly-right one.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<Sha1>;

fn mac256(key: &[u8], msg: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac
}

fn mac1(key: &[u8], msg: &[u8]) -> HmacSha1 {
    let mut mac = HmacSha1::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac
}

/// Meta `X-Hub-Signature-256` header value for `body`: `sha256=` + lowercase hex.
pub fn meta_signature_256(app_secret: &str, body: &[u8]) -> String {
    let tag = mac256(app_secret.as_bytes(), body).finalize().into_bytes();
    format!("sha256={}", hex::encode(tag))
}

/// Legacy Meta `X-Hub-Signature` header value: `sha1=` + lowercase hex HMAC-SHA1.
pub fn meta_signature_sha1(app_secret: &str, body: &[u8]) -> String {
    let tag = mac1(app_secret.as_bytes(), body).finalize().into_bytes();
    format!("sha1={}", hex::encode(tag))
}

/// Check a Meta `X-Hub-Signature-256` header (`sha256=<hex>`, hex case-insensitive).
pub fn verify_meta_signature_256(app_secret: &str, body: &[u8], header: &str) -> bool {
    let Some(tag) = decode_hex_header(header, "sha256=") else {
        return false;
    };
    mac256(app_secret.as_bytes(), body)
        .verify_slice(&tag)
        .is_ok()
}

/// Check a legacy Meta `X-Hub-Signature` header (`sha1=<hex>`).
pub fn verify_meta_signature_sha1(app_secret: &str, body: &[u8], header: &str) -> bool {
    let Some(tag) = decode_hex_header(header, "sha1=") else {
        return false;
    };
    mac1(app_secret.as_bytes(), body).verify_slice(&tag).is_ok()
}

fn decode_hex_header(header: &str, prefix: &str) -> Option<Vec<u8>> {
    hex::decode(header.trim().strip_prefix(prefix)?).ok()
}

/// X CRC challenge answer: `sha256=` + base64(HMAC-SHA256(consumer_secret, crc_token)).
/// Return it as `{"response_token": "<this>"}`.
pub fn crc_response(consumer_secret: &str, crc_token: &str) -> String {
    x_signature(consumer_secret, crc_token.as_bytes())
}

/// X `x-twitter-webhooks-signature` value for `body`.
pub fn x_signature(consumer_secret: &str, body: &[u8]) -> String {
    let tag = mac256(consumer_secret.as_bytes(), body)
        .finalize()
        .into_bytes();
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// Check an X `x-twitter-webhooks-signature` header (`sha256=<base64>`).
pub fn verify_x_signature(consumer_secret: &str, body: &[u8], header: &str) -> bool {
    let Some(b64) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    mac256(consumer_secret.as_bytes(), body)
        .verify_slice(&tag)
        .is_ok()
}

/// Meta subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`).
///
/// Returns the challenge to echo back with status 200 when `mode` is `subscribe`
/// and `token` equals `expected_token` (compared in constant time); otherwise
/// `None` (answer 403).
pub fn verify_subscription(
    mode: &str,
    token: &str,
    expected_token: &str,
    challenge: &str,
) -> Option<String> {
    let token_ok: bool = token.as_bytes().ct_eq(expected_token.as_bytes()).into();
    (mode == "subscribe" && token_ok && !expected_token.is_empty()).then(|| challenge.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_handshake() {
        assert_eq!(
            verify_subscription("subscribe", "tok", "tok", "123").as_deref(),
            Some("123")
        );
        assert_eq!(verify_subscription("subscribe", "bad", "tok", "123"), None);
        assert_eq!(verify_subscription("unsubscribe", "tok", "tok", "1"), None);
        assert_eq!(verify_subscription("subscribe", "", "", "1"), None);
    }

    #[test]
    fn malformed_headers_are_rejected() {
        assert!(!verify_meta_signature_256("s", b"x", "sha256=zz"));
        assert!(!verify_meta_signature_256("s", b"x", "md5=00"));
        assert!(!verify_meta_signature_sha1("s", b"x", ""));
        assert!(!verify_x_signature("s", b"x", "sha256=!!!"));
        assert!(!verify_x_signature("s", b"x", "sha256="));
    }

    #[test]
    fn round_trip() {
        let sig = meta_signature_256("k", b"body");
        assert!(verify_meta_signature_256("k", b"body", &sig));
        assert!(verify_meta_signature_256(
            "k",
            b"body",
            &sig.to_uppercase().replace("SHA256=", "sha256=")
        ));
        assert!(!verify_meta_signature_256("k", b"body!", &sig));
        let xs = x_signature("k", b"body");
        assert!(verify_x_signature("k", b"body", &xs));
        assert!(!verify_x_signature("k2", b"body", &xs));
    }
}
