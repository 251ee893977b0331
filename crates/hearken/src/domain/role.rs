//! Roles and the permissions they carry. The server checks these on every route.

use std::fmt;
use std::str::FromStr;

/// A desk user's role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Agent,
    Approver,
    Auditor,
}

/// Something a route needs to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the inbox and conversations.
    ReadConversations,
    /// Assign, change status, tag, note and reply.
    WorkConversations,
    /// See the monitoring dashboard.
    ViewDashboard,
    /// Read the audit log.
    ReadAudit,
    /// Import and export messages.
    MoveData,
    /// Manage users, roles and tokens.
    ManageUsers,
    /// See SLA reports and export them (#3).
    ViewReports,
    /// Configure business calendars and SLA policies (#3).
    ManageSla,
    /// Set the brand voice: style guides, templates, approval paths, routing, teams,
    /// communication tests and reply rights.
    ManageBrandVoice,
    /// Set routing rules and listening queries (issue #6).
    ManageRouting,
    /// Approve, reject or edit a draft waiting on an approval path (#4); the path's
    /// approver groups still decide whose drafts a user may decide on.
    DecideApprovals,
}

impl Role {
    /// Every role, for listings and the route-walk test.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Agent,
        Role::Approver,
        Role::Auditor,
    ];

    /// The stored lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Approver => "approver",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role grants the permission.
    ///
    /// Auditors read conversations and the log but change nothing; approvers read, watch
    /// and decide on drafts but do not work the inbox themselves. Agents decide on drafts
    /// too when a path names them (a team lead, a peer review).
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => !matches!(permission, ManageUsers | ReadAudit),
            Role::Agent => matches!(
                permission,
                ReadConversations | WorkConversations | ViewDashboard | DecideApprovals
            ),
            Role::Approver => matches!(
                permission,
                ReadConversations | ViewDashboard | DecideApprovals
            ),
            Role::Auditor => matches!(permission, ReadConversations | ReadAudit),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}; expected admin, manager, agent, approver or auditor")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
