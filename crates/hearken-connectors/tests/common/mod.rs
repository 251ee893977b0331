//! Shared helpers for the fixture tests: locating `shared/data`, unwrapping the
//! gatherer's cassette envelopes and summarising events compactly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hearken_connectors::{mastodon, AccountContext, InboundEvent};
use serde_json::Value;

/// `shared/data`: `$HEARKEN_SHARED_DATA`, else `<crate>/../../../shared/data`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("HEARKEN_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// Absolute path of a file under `payloads/`.
pub fn payload(rel: &str) -> PathBuf {
    data_dir().join("payloads").join(rel)
}

/// Raw bytes of a payload file.
pub fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(payload(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// All payload files, relative to `payloads/`, sorted.
pub fn all_payload_files() -> Vec<String> {
    let root = data_dir().join("payloads");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("payload dir readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The connected account assumed for each fixture family.
pub fn ctx_for(rel: &str) -> AccountContext {
    let brand = if rel.contains("zammad/webhook1_") {
        "123"
    } else if rel.contains("zammad/") || rel.starts_with("signatures/") {
        "2975699229"
    } else if rel.contains("tweepy_cassettes") {
        "1072250532645998596"
    } else if rel.starts_with("meta/facebook_page") {
        "1234567890321"
    } else if rel.starts_with("meta/messenger/restfb") {
        "12345654332"
    } else if rel.starts_with("meta/messenger/botbuilder") {
        "page1"
    } else if rel.starts_with("meta/instagram") {
        "17841452691600098"
    } else if rel.starts_with("mastodon/") {
        "117020565693913441"
    } else if rel.starts_with("reddit/") {
        "<USERNAME>"
    } else {
        ""
    };
    AccountContext::new(brand)
}

/// Response bodies of a gatherer cassette (`interactions[].response.body`), re-serialised.
pub fn cassette_bodies(rel: &str) -> Vec<Vec<u8>> {
    let v: Value = serde_json::from_slice(&bytes(rel)).expect("cassette is JSON");
    v["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .map(|i| serde_json::to_vec(&i["response"]["body"]).expect("serialise"))
        .collect()
}

/// Feed a `*.events.json` file (gatherer's parse of an SSE body) to the stream mapper.
pub fn mastodon_events_file(rel: &str, ctx: &AccountContext) -> Vec<InboundEvent> {
    let v: Value = serde_json::from_slice(&bytes(rel)).expect("events file is JSON");
    let mut out = Vec::new();
    for e in v["events"].as_array().expect("events") {
        let name = e["event"].as_str().expect("event name");
        let data = match &e["payload"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.extend(mastodon::parse_stream_event(name, &data, ctx));
    }
    out
}

/// One-token code per event: `M:id`, `E:id`, `D:id`, `C:id` (echo), `S`, `I`.
pub fn code(e: &InboundEvent) -> String {
    match e {
        InboundEvent::Message(m) => format!("M:{}", m.platform_id),
        InboundEvent::Edit { platform_id, .. } => format!("E:{platform_id}"),
        InboundEvent::Delete { platform_id, .. } => format!("D:{platform_id}"),
        InboundEvent::Echo { platform_id, .. } => format!("C:{platform_id}"),
        InboundEvent::Skipped { .. } => "S".into(),
        InboundEvent::Invalid { .. } => "I".into(),
    }
}

/// Space-joined codes, or `#M<n> E<n> D<n> C<n> S<n> I<n>` counts for long outputs.
pub fn compact(events: &[InboundEvent]) -> String {
    let codes: Vec<String> = events.iter().map(code).collect();
    if codes.len() <= 12 {
        return codes.join(" ");
    }
    let count = |k: &str| {
        codes
            .iter()
            .filter(|c| c.split(':').next() == Some(k))
            .count()
    };
    format!(
        "#M{} E{} D{} C{} S{} I{}",
        count("M"),
        count("E"),
        count("D"),
        count("C"),
        count("S"),
        count("I")
    )
}
