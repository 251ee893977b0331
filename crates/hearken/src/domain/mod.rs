//! Domain types shared by every capability, named as in PRODUCT.md.

pub mod channel;
pub mod conversation;
pub mod message;
pub mod role;
pub mod time;

/// Identifies a workspace; every stored row belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct WorkspaceId(pub i64);

/// Who performed an action, as written to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A desk user, by id.
    User(i64),
    /// The system itself (imports, demo replay, automations), with a name.
    System(&'static str),
}

impl Actor {
    /// Stable text form stored in the audit log: `user:7` or `system:import`.
    pub fn as_audit_text(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::System(name) => format!("system:{name}"),
        }
    }
}
