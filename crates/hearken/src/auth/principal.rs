//! The authenticated caller of a request.

use crate::domain::role::{Permission, Role};
use crate::domain::WorkspaceId;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; carries the session's CSRF token for forms.
    Session { csrf_token: String },
    /// An API bearer token.
    Token,
}

/// A signed-in user, attached to the request by the authentication middleware.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub workspace: WorkspaceId,
    pub role: Role,
    pub display_name: String,
    pub credential: Credential,
}

impl Principal {
    /// Whether the user's role grants the permission.
    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p)
    }

    /// The CSRF token to embed in forms (empty for token callers, who send no forms).
    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf_token } => csrf_token,
            Credential::Token => "",
        }
    }
}
