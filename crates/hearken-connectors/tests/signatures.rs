//! Signature and challenge helpers against every vector in
//! `payloads/signatures/webhook_signature_vectors.json`.

mod common;

use common::bytes;
use hearken_connectors::{meta, signature, x};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_slice(&bytes("signatures/webhook_signature_vectors.json")).unwrap()
}

#[test]
fn documented_vector() {
    let v = vectors();
    let d = &v["documented"][0];
    let (secret, body, header) = (
        d["secret"].as_str().unwrap(),
        d["body_utf8"].as_str().unwrap(),
        d["expected_header"].as_str().unwrap(),
    );
    assert_eq!(meta::meta_signature_256(secret, body.as_bytes()), header);
    assert!(meta::verify_meta_signature_256(
        secret,
        body.as_bytes(),
        header
    ));
    assert_eq!(v["documented"].as_array().unwrap().len(), 1);
}

#[test]
fn every_meta_vector() {
    let v = vectors();
    let list = v["computed_meta_x_hub_signature"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for m in list {
        let body = bytes(
            m["body_file"]
                .as_str()
                .unwrap()
                .trim_start_matches("payloads/"),
        );
        let secret = m["app_secret"].as_str().unwrap();
        let s256 = m["X-Hub-Signature-256"].as_str().unwrap();
        let s1 = m["X-Hub-Signature (legacy sha1)"].as_str().unwrap();
        assert_eq!(meta::meta_signature_256(secret, &body), s256);
        assert_eq!(meta::meta_signature_sha1(secret, &body), s1);
        assert!(meta::verify_meta_signature_256(secret, &body, s256));
        assert!(meta::verify_meta_signature_sha1(secret, &body, s1));
        let mut tampered = body.clone();
        tampered[0] ^= 1;
        assert!(!meta::verify_meta_signature_256(secret, &tampered, s256));
        assert!(!meta::verify_meta_signature_sha1(secret, &tampered, s1));
    }
}

#[test]
fn every_x_vector() {
    let v = vectors();
    let list = v["computed_x_twitter"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for t in list {
        let secret = t["consumer_secret"].as_str().unwrap();
        match t["crc_token"].as_str() {
            Some(token) => {
                let want = t["expected_response_json"]["response_token"]
                    .as_str()
                    .unwrap();
                assert_eq!(x::crc_response(secret, token), want);
            }
            None => {
                let body = bytes(
                    t["body_file"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("payloads/"),
                );
                let header = t["expected_header"].as_str().unwrap();
                assert_eq!(x::x_signature(secret, &body), header);
                assert!(x::verify_x_signature(secret, &body, header));
                assert!(!x::verify_x_signature("other", &body, header));
            }
        }
    }
}

#[test]
fn hub_challenge() {
    assert_eq!(
        signature::verify_subscription("subscribe", "t0k", "t0k", "1158201444").as_deref(),
        Some("1158201444")
    );
    assert_eq!(
        meta::verify_subscription("subscribe", "t0K", "t0k", "1158201444"),
        None
    );
}
