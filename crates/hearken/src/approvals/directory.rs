//! Resolving approver groups (users, teams, roles, departments) to desk users.

use std::collections::BTreeSet;

use hearken_voice::approval::{ApproverGroup, Directory, UserId};

use super::uid;
use crate::storage::approvals::DirectoryRows;

/// A workspace's people, loaded once per operation.
pub struct DeskDirectory {
    rows: DirectoryRows,
}

impl DeskDirectory {
    /// Wraps the stored rows.
    pub fn new(rows: DirectoryRows) -> DeskDirectory {
        DeskDirectory { rows }
    }

    fn team_members(&self, team: &str) -> Vec<i64> {
        let ids: Vec<i64> = self
            .rows
            .teams
            .iter()
            .filter(|(id, name)| id.to_string() == team || name == team)
            .map(|(id, _)| *id)
            .collect();
        let home = self
            .rows
            .users
            .iter()
            .filter(|(_, _, t)| t.is_some_and(|t| ids.contains(&t)))
            .map(|(u, _, _)| *u);
        let extra = self
            .rows
            .team_members
            .iter()
            .filter(|(t, _)| ids.contains(t))
            .map(|(_, u)| *u);
        home.chain(extra).collect()
    }

    fn department_members(&self, dept: &str) -> Vec<i64> {
        let ids: Vec<i64> = self
            .rows
            .departments
            .iter()
            .filter(|(id, name)| id.to_string() == dept || name == dept)
            .map(|(id, _)| *id)
            .collect();
        self.rows
            .department_members
            .iter()
            .filter(|(d, _)| ids.contains(d))
            .map(|(_, u)| *u)
            .collect()
    }

    fn exists(&self, user: i64) -> bool {
        self.rows.users.iter().any(|(u, _, _)| *u == user)
    }
}

impl Directory for DeskDirectory {
    fn members(&self, group: &ApproverGroup) -> BTreeSet<UserId> {
        let mut out = BTreeSet::new();
        for u in &group.users {
            if u.0.parse().is_ok_and(|id| self.exists(id)) {
                out.insert(u.clone());
            }
        }
        for t in &group.teams {
            out.extend(self.team_members(t).into_iter().map(uid));
        }
        for r in &group.roles {
            let with_role = self.rows.users.iter().filter(|(_, role, _)| role == r);
            out.extend(with_role.map(|(u, _, _)| uid(*u)));
        }
        for d in &group.departments {
            out.extend(self.department_members(d).into_iter().map(uid));
        }
        out
    }
}
