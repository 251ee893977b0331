//! How an audit event's hash is computed.

use sha2::{Digest, Sha256};

/// The hash before a workspace's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that its hash covers.
pub struct Link<'a> {
    pub workspace_id: i64,
    pub seq: i64,
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub prev_hash: &'a str,
}

/// SHA-256 over every field, each length-prefixed so no two events can collide by
/// shifting text between fields; absent states hash differently from empty ones.
pub fn link_hash(link: &Link<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(&link.workspace_id.to_be_bytes());
    field(&link.seq.to_be_bytes());
    field(&link.at.to_be_bytes());
    field(link.actor.as_bytes());
    field(link.action.as_bytes());
    field(link.subject.as_bytes());
    for state in [link.before, link.after] {
        match state {
            Some(s) => {
                field(b"1");
                field(s.as_bytes());
            }
            None => field(b"0"),
        }
    }
    field(link.prev_hash.as_bytes());
    hex::encode(h.finalize())
}

/// SHA-256 of a text, used where the log records content by hash rather than by value.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link<'a>(actor: &'a str, subject: &'a str) -> Link<'a> {
        Link {
            workspace_id: 1,
            seq: 1,
            at: 0,
            actor,
            action: "a",
            subject,
            before: None,
            after: None,
            prev_hash: GENESIS,
        }
    }

    #[test]
    fn shifting_text_between_fields_changes_the_hash() {
        assert_ne!(link_hash(&link("ab", "c")), link_hash(&link("a", "bc")));
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
