//! Storage for approvals, the brand voice and reply rights (issue #4).
//!
//! Rules, paths, tests and drafts are kept as the JSON of the `hearken-voice` types: the pure
//! engine stays the one definition of what they mean, and this layer stores them faithfully.
//! Versions and decisions of drafts are also written to tables of their own (append-only
//! copies) so reports and the queue can query them. Every write appends its audit events in
//! the same transaction; a draft write is refused with `Conflict` when another write changed
//! the draft since it was read (`revision`).

use async_trait::async_trait;
use serde::Serialize;

use super::{MessageRow, NewOutbound, StoreResult};
use crate::domain::{Actor, WorkspaceId};

/// A department as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct DepartmentRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
}

/// Everything needed to resolve approver groups to users.
#[derive(Debug, Clone, Default)]
pub struct DirectoryRows {
    /// (user id, role, home team id).
    pub users: Vec<(i64, String, Option<i64>)>,
    /// (team id, team name).
    pub teams: Vec<(i64, String)>,
    /// (team id, user id) beyond the home team.
    pub team_members: Vec<(i64, i64)>,
    /// (department id, department name).
    pub departments: Vec<(i64, String)>,
    /// (department id, user id).
    pub department_members: Vec<(i64, i64)>,
}

/// One version of one locale's style guide.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StyleGuideRow {
    pub id: i64,
    pub workspace_id: i64,
    pub locale: String,
    pub version: i64,
    pub is_default: i64,
    pub guide: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A template as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub channel: Option<String>,
    pub locale: Option<String>,
    pub body: String,
    pub variables: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A template to create.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub name: String,
    pub channel: Option<String>,
    pub locale: Option<String>,
    pub body: String,
    /// JSON array of extra variable names.
    pub variables: String,
}

/// An approval path as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PathRow {
    pub id: i64,
    pub workspace_id: i64,
    pub path_key: String,
    pub body: String,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

/// One version of the routing table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoutingRow {
    pub id: i64,
    pub workspace_id: i64,
    pub version: i64,
    pub body: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A draft as stored; `state` is the engine's `Draft` as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub author_id: i64,
    pub channel: String,
    pub status: String,
    pub path_key: String,
    pub rule_id: Option<String>,
    pub reasons: String,
    pub risk: i64,
    pub style_version: Option<i64>,
    pub state: String,
    pub current_hash: String,
    pub send_at: Option<i64>,
    pub due_at: Option<i64>,
    pub seen_message_id: i64,
    pub seen_note_id: i64,
    pub sent_message_id: Option<i64>,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The template the reply started from.
    pub template_id: Option<i64>,
    /// The style guide locale its versions are checked against.
    pub locale: Option<String>,
}

/// A version of a draft's text to append.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DraftVersionRow {
    pub version: i64,
    pub text: String,
    pub hash: String,
    pub by_user: i64,
    pub at: i64,
    /// The style guide version this text was checked against when written.
    pub style_version: Option<i64>,
}

/// A decision to append.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DecisionRow {
    pub approver_id: i64,
    pub step: i64,
    pub version: i64,
    pub version_hash: String,
    /// `approve` or `reject`.
    pub verdict: String,
    pub note: Option<String>,
    pub at: i64,
}

/// A notification to send to one user.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: String,
    pub message: String,
}

/// A notification as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct NotificationRow {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub draft_id: Option<i64>,
    /// The conversation it is about (SLA warnings and breaches).
    pub conversation_id: Option<i64>,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// An audit event about a draft: action and the state after it.
#[derive(Debug, Clone)]
pub struct DraftEvent {
    pub action: String,
    pub after: serde_json::Value,
}

/// A new draft or a change to one, written with its copies, notifications and audit events.
#[derive(Debug, Clone)]
pub struct DraftWrite {
    /// `None` creates the draft; otherwise the draft and the revision it was read at.
    pub existing: Option<(i64, i64)>,
    pub conversation_id: i64,
    pub author_id: i64,
    pub channel: String,
    pub status: String,
    pub path_key: String,
    pub rule_id: Option<String>,
    pub reasons: String,
    pub risk: i64,
    pub style_version: Option<i64>,
    pub state: String,
    pub current_hash: String,
    pub send_at: Option<i64>,
    pub due_at: Option<i64>,
    pub seen_message_id: i64,
    pub seen_note_id: i64,
    pub template_id: Option<i64>,
    pub locale: Option<String>,
    pub new_versions: Vec<DraftVersionRow>,
    pub new_decisions: Vec<DecisionRow>,
    pub notifications: Vec<NewNotification>,
    pub events: Vec<DraftEvent>,
}

/// The approved version behind an outbound message.
#[derive(Debug, Clone)]
pub struct ApprovalStamp {
    pub draft_id: i64,
    /// The revision the draft was claimed at for sending.
    pub revision: i64,
    pub version: i64,
    pub version_hash: String,
    /// The engine state after `mark_sent`.
    pub state: String,
}

/// A communication test as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommTestRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub channels: String,
    pub validity_days: i64,
    pub body: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// An attempt at a test.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub workspace_id: i64,
    pub test_id: i64,
    pub user_id: i64,
    pub answers: String,
    pub style_check: String,
    pub status: String,
    pub reviewer_id: Option<i64>,
    pub scores: Option<String>,
    pub score_bp: Option<i64>,
    pub passed: Option<i64>,
    pub submitted_at: i64,
    pub graded_at: Option<i64>,
}

/// A reviewer's grade, and the certification a pass grants.
#[derive(Debug, Clone)]
pub struct GradeWrite {
    pub reviewer_id: i64,
    pub scores: String,
    pub score_bp: i64,
    pub passed: bool,
    pub certification: Option<NewCertification>,
}

/// Reply rights to grant.
#[derive(Debug, Clone)]
pub struct NewCertification {
    pub user_id: i64,
    /// JSON array of channel names.
    pub channels: String,
    pub attempt_id: Option<i64>,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
}

/// Writes a stored JSON list of strings as the list (an unreadable one as empty).
fn json_list<S: serde::Serializer>(stored: &str, s: S) -> Result<S::Ok, S::Error> {
    let list: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    serde::Serialize::serialize(&list, s)
}

/// Reply rights as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct CertificationRow {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    /// Stored as a JSON list; served as the list itself.
    #[serde(serialize_with = "json_list")]
    pub channels: String,
    pub attempt_id: Option<i64>,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub expired_at: Option<i64>,
}

/// Storage of the approvals capability.
#[async_trait]
pub trait ApprovalStore: Send + Sync {
    async fn add_team_member(
        &self,
        ws: WorkspaceId,
        team_id: i64,
        user_id: i64,
        actor: &Actor,
    ) -> StoreResult<()>;
    async fn create_department(
        &self,
        ws: WorkspaceId,
        name: &str,
        actor: &Actor,
    ) -> StoreResult<DepartmentRow>;
    async fn add_department_member(
        &self,
        ws: WorkspaceId,
        department_id: i64,
        user_id: i64,
        actor: &Actor,
    ) -> StoreResult<()>;
    async fn directory(&self, ws: WorkspaceId) -> StoreResult<DirectoryRows>;

    /// Appends a style guide version; a version already taken is a `Conflict`.
    async fn save_style_guide(
        &self,
        ws: WorkspaceId,
        locale: &str,
        version: i64,
        is_default: bool,
        guide: &str,
        actor: &Actor,
    ) -> StoreResult<StyleGuideRow>;
    /// Every version of every locale, oldest first.
    async fn style_guides(&self, ws: WorkspaceId) -> StoreResult<Vec<StyleGuideRow>>;

    async fn create_template(
        &self,
        ws: WorkspaceId,
        t: &NewTemplate,
        actor: &Actor,
    ) -> StoreResult<TemplateRow>;
    /// One template by id.
    async fn template(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<TemplateRow>>;
    /// Templates whose name or body contains `text` (any case), for one channel (or any).
    async fn templates(
        &self,
        ws: WorkspaceId,
        text: Option<&str>,
        channel: Option<&str>,
    ) -> StoreResult<Vec<TemplateRow>>;

    async fn put_approval_path(
        &self,
        ws: WorkspaceId,
        key: &str,
        body: &str,
        actor: &Actor,
    ) -> StoreResult<PathRow>;
    async fn approval_paths(&self, ws: WorkspaceId) -> StoreResult<Vec<PathRow>>;
    /// Appends the next routing table version.
    async fn save_routing_table(
        &self,
        ws: WorkspaceId,
        body: &str,
        actor: &Actor,
    ) -> StoreResult<RoutingRow>;
    /// The routing table in force, if the workspace has one.
    async fn routing_table(&self, ws: WorkspaceId) -> StoreResult<Option<RoutingRow>>;

    /// Creates or changes a draft with its copies, notifications and audit events.
    async fn write_draft(
        &self,
        ws: WorkspaceId,
        w: &DraftWrite,
        actor: &Actor,
    ) -> StoreResult<DraftRow>;
    async fn draft(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<DraftRow>>;
    /// Drafts in one status (or all), newest first.
    async fn drafts(&self, ws: WorkspaceId, status: Option<&str>) -> StoreResult<Vec<DraftRow>>;
    /// Pending or approved drafts whose due time has come.
    async fn due_drafts(&self, ws: WorkspaceId, now: i64, limit: i64)
        -> StoreResult<Vec<DraftRow>>;
    async fn draft_versions(
        &self,
        ws: WorkspaceId,
        draft_id: i64,
    ) -> StoreResult<Vec<DraftVersionRow>>;
    async fn draft_decisions(
        &self,
        ws: WorkspaceId,
        draft_id: i64,
    ) -> StoreResult<Vec<DecisionRow>>;
    /// Moves an approved draft to `sending` (or back to `approved`), guarded by revision.
    async fn set_draft_status(
        &self,
        ws: WorkspaceId,
        draft_id: i64,
        revision: i64,
        status: &str,
    ) -> StoreResult<i64>;
    /// Records the sent reply, its approval stamp and the sent draft in one transaction.
    async fn record_approved_outbound(
        &self,
        ws: WorkspaceId,
        reply: &NewOutbound,
        stamp: &ApprovalStamp,
        actor: &Actor,
    ) -> StoreResult<MessageRow>;
    /// The approved version hash behind an outbound message, if it went through approval.
    async fn message_approval(
        &self,
        ws: WorkspaceId,
        message_id: i64,
    ) -> StoreResult<Option<(i64, i64, String)>>;

    /// Whether the contact is flagged VIP.
    async fn contact_vip(&self, ws: WorkspaceId, contact_id: i64) -> StoreResult<bool>;
    /// The highest message id and note id of a conversation.
    async fn conversation_marker(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
    ) -> StoreResult<(i64, i64)>;
    /// Messages and notes after the marker that `author` did not write.
    async fn activity_since(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
        seen: (i64, i64),
        author: i64,
    ) -> StoreResult<i64>;

    async fn notifications(
        &self,
        ws: WorkspaceId,
        user_id: i64,
    ) -> StoreResult<Vec<NotificationRow>>;
    async fn mark_notifications_read(&self, ws: WorkspaceId, user_id: i64) -> StoreResult<()>;

    async fn create_comm_test(
        &self,
        ws: WorkspaceId,
        name: &str,
        channels: &str,
        validity_days: i64,
        body: &str,
        actor: &Actor,
    ) -> StoreResult<CommTestRow>;
    async fn comm_tests(&self, ws: WorkspaceId) -> StoreResult<Vec<CommTestRow>>;
    async fn comm_test(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<CommTestRow>>;
    async fn create_attempt(
        &self,
        ws: WorkspaceId,
        test_id: i64,
        user_id: i64,
        answers: &str,
        style_check: &str,
    ) -> StoreResult<AttemptRow>;
    async fn attempt(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<AttemptRow>>;
    async fn attempts(&self, ws: WorkspaceId) -> StoreResult<Vec<AttemptRow>>;
    /// Grades a submitted attempt and grants the certification of a pass, in one transaction.
    async fn grade_attempt(
        &self,
        ws: WorkspaceId,
        attempt_id: i64,
        g: &GradeWrite,
        actor: &Actor,
    ) -> StoreResult<AttemptRow>;

    async fn grant_certification(
        &self,
        ws: WorkspaceId,
        c: &NewCertification,
        actor: &Actor,
    ) -> StoreResult<CertificationRow>;
    async fn certifications(
        &self,
        ws: WorkspaceId,
        user_id: Option<i64>,
    ) -> StoreResult<Vec<CertificationRow>>;
    async fn revoke_certification(
        &self,
        ws: WorkspaceId,
        id: i64,
        actor: &Actor,
    ) -> StoreResult<CertificationRow>;
    /// Marks certifications whose expiry has passed at `now` as expired, auditing each.
    async fn expire_certifications(
        &self,
        ws: WorkspaceId,
        now: i64,
    ) -> StoreResult<Vec<CertificationRow>>;
}

macro_rules! approvals_sql {
    ($store:ty) => {
        mod approvals_impl {
            use super::*;
            use crate::storage::approvals::*;

            const DRAFT_SELECT: &str = "SELECT * FROM drafts";

            async fn insert_draft(
                conn: &mut Conn,
                ws: WorkspaceId,
                w: &DraftWrite,
                now: i64,
            ) -> StoreResult<i64> {
                let row: (i64,) = sqlx::query_as(
                    "INSERT INTO drafts (workspace_id, conversation_id, author_id, channel, status, \
                     path_key, rule_id, reasons, risk, style_version, state, current_hash, send_at, \
                     due_at, seen_message_id, seen_note_id, revision, created_at, updated_at, \
                     template_id, locale) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                     1, $17, $17, $18, $19) RETURNING id",
                )
                .bind(ws.0)
                .bind(w.conversation_id)
                .bind(w.author_id)
                .bind(&w.channel)
                .bind(&w.status)
                .bind(&w.path_key)
                .bind(&w.rule_id)
                .bind(&w.reasons)
                .bind(w.risk)
                .bind(w.style_version)
                .bind(&w.state)
                .bind(&w.current_hash)
                .bind(w.send_at)
                .bind(w.due_at)
                .bind(w.seen_message_id)
                .bind(w.seen_note_id)
                .bind(now)
                .bind(w.template_id)
                .bind(&w.locale)
                .fetch_one(&mut *conn)
                .await?;
                Ok(row.0)
            }

            async fn update_draft(
                conn: &mut Conn,
                ws: WorkspaceId,
                id: i64,
                revision: i64,
                w: &DraftWrite,
                now: i64,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE drafts SET status = $4, state = $5, current_hash = $6, due_at = $7, \
                     seen_message_id = $8, seen_note_id = $9, revision = revision + 1, \
                     updated_at = $10 WHERE workspace_id = $1 AND id = $2 AND revision = $3",
                )
                .bind(ws.0)
                .bind(id)
                .bind(revision)
                .bind(&w.status)
                .bind(&w.state)
                .bind(&w.current_hash)
                .bind(w.due_at)
                .bind(w.seen_message_id)
                .bind(w.seen_note_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(
                        "the draft changed meanwhile; reload it".into(),
                    ));
                }
                Ok(())
            }

            async fn append_copies(
                conn: &mut Conn,
                ws: WorkspaceId,
                id: i64,
                w: &DraftWrite,
                now: i64,
            ) -> StoreResult<()> {
                for v in &w.new_versions {
                    sqlx::query(
                        "INSERT INTO draft_versions (workspace_id, draft_id, version, text, hash, \
                         by_user, at, style_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(ws.0)
                    .bind(id)
                    .bind(v.version)
                    .bind(&v.text)
                    .bind(&v.hash)
                    .bind(v.by_user)
                    .bind(v.at)
                    .bind(v.style_version)
                    .execute(&mut *conn)
                    .await?;
                }
                for d in &w.new_decisions {
                    sqlx::query(
                        "INSERT INTO draft_decisions (workspace_id, draft_id, approver_id, step, \
                         version, version_hash, verdict, note, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(ws.0)
                    .bind(id)
                    .bind(d.approver_id)
                    .bind(d.step)
                    .bind(d.version)
                    .bind(&d.version_hash)
                    .bind(&d.verdict)
                    .bind(&d.note)
                    .bind(d.at)
                    .execute(&mut *conn)
                    .await?;
                }
                for n in &w.notifications {
                    sqlx::query(
                        "INSERT INTO notifications (workspace_id, user_id, kind, draft_id, message, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(ws.0)
                    .bind(n.user_id)
                    .bind(&n.kind)
                    .bind(id)
                    .bind(&n.message)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            async fn draft_in(conn: &mut Conn, ws: WorkspaceId, id: i64) -> StoreResult<DraftRow> {
                let q = format!("{DRAFT_SELECT} WHERE workspace_id = $1 AND id = $2");
                Ok(sqlx::query_as::<_, DraftRow>(&q)
                    .bind(ws.0)
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?)
            }

            async fn certification_in(
                conn: &mut Conn,
                ws: WorkspaceId,
                id: i64,
            ) -> StoreResult<CertificationRow> {
                sqlx::query_as::<_, CertificationRow>(
                    "SELECT * FROM certifications WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound)
            }

            async fn insert_certification(
                conn: &mut Conn,
                ws: WorkspaceId,
                c: &NewCertification,
                actor: &Actor,
            ) -> StoreResult<CertificationRow> {
                let row = sqlx::query_as::<_, CertificationRow>(
                    "INSERT INTO certifications (workspace_id, user_id, channels, attempt_id, \
                     granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                )
                .bind(ws.0)
                .bind(c.user_id)
                .bind(&c.channels)
                .bind(c.attempt_id)
                .bind(c.granted_at)
                .bind(c.expires_at)
                .fetch_one(&mut *conn)
                .await?;
                let ev = event(
                    actor,
                    "certification.granted",
                    format!("certification:{}", row.id),
                    None,
                    Some(serde_json::json!({
                        "user_id": c.user_id,
                        "channels": serde_json::from_str::<serde_json::Value>(&c.channels)
                            .unwrap_or_default(),
                        "attempt_id": c.attempt_id,
                        "expires_at": c.expires_at,
                    })),
                );
                append_audit_in(&mut *conn, ws, &ev).await?;
                Ok(row)
            }

            async fn ensure_user(conn: &mut Conn, ws: WorkspaceId, user_id: i64) -> StoreResult<()> {
                let found: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM users WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(user_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                found.map(|_| ()).ok_or(StoreError::NotFound)
            }

            #[async_trait]
            impl ApprovalStore for $store {
                async fn add_team_member(
                    &self,
                    ws: WorkspaceId,
                    team_id: i64,
                    user_id: i64,
                    actor: &Actor,
                ) -> StoreResult<()> {
                    let mut tx = self.writer().begin().await?;
                    ensure_user(&mut tx, ws, user_id).await?;
                    let team: Option<(i64,)> =
                        sqlx::query_as("SELECT id FROM teams WHERE workspace_id = $1 AND id = $2")
                            .bind(ws.0)
                            .bind(team_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    team.ok_or(StoreError::NotFound)?;
                    sqlx::query(
                        "INSERT INTO team_members (workspace_id, team_id, user_id) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(ws.0)
                    .bind(team_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    let ev = event(
                        actor,
                        "team.member_added",
                        format!("team:{team_id}"),
                        None,
                        Some(serde_json::json!({ "user_id": user_id })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_department(
                    &self,
                    ws: WorkspaceId,
                    name: &str,
                    actor: &Actor,
                ) -> StoreResult<DepartmentRow> {
                    let mut tx = self.writer().begin().await?;
                    let row = sqlx::query_as::<_, DepartmentRow>(
                        "INSERT INTO departments (workspace_id, name) VALUES ($1, $2) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "a department with this name"))?;
                    let ev = event(
                        actor,
                        "department.created",
                        format!("department:{}", row.id),
                        None,
                        Some(serde_json::json!({ "name": name })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn add_department_member(
                    &self,
                    ws: WorkspaceId,
                    department_id: i64,
                    user_id: i64,
                    actor: &Actor,
                ) -> StoreResult<()> {
                    let mut tx = self.writer().begin().await?;
                    ensure_user(&mut tx, ws, user_id).await?;
                    let dept: Option<(i64,)> = sqlx::query_as(
                        "SELECT id FROM departments WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(department_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    dept.ok_or(StoreError::NotFound)?;
                    sqlx::query(
                        "INSERT INTO department_members (workspace_id, department_id, user_id) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(ws.0)
                    .bind(department_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    let ev = event(
                        actor,
                        "department.member_added",
                        format!("department:{department_id}"),
                        None,
                        Some(serde_json::json!({ "user_id": user_id })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn directory(&self, ws: WorkspaceId) -> StoreResult<DirectoryRows> {
                    let users = sqlx::query_as(
                        "SELECT id, role, team_id FROM users WHERE workspace_id = $1",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?;
                    let teams = sqlx::query_as("SELECT id, name FROM teams WHERE workspace_id = $1")
                        .bind(ws.0)
                        .fetch_all(self.reader())
                        .await?;
                    let team_members = sqlx::query_as(
                        "SELECT team_id, user_id FROM team_members WHERE workspace_id = $1",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?;
                    let departments =
                        sqlx::query_as("SELECT id, name FROM departments WHERE workspace_id = $1")
                            .bind(ws.0)
                            .fetch_all(self.reader())
                            .await?;
                    let department_members = sqlx::query_as(
                        "SELECT department_id, user_id FROM department_members \
                         WHERE workspace_id = $1",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?;
                    Ok(DirectoryRows {
                        users,
                        teams,
                        team_members,
                        departments,
                        department_members,
                    })
                }

                async fn save_style_guide(
                    &self,
                    ws: WorkspaceId,
                    locale: &str,
                    version: i64,
                    is_default: bool,
                    guide: &str,
                    actor: &Actor,
                ) -> StoreResult<StyleGuideRow> {
                    let mut tx = self.writer().begin().await?;
                    if is_default {
                        sqlx::query("UPDATE style_guides SET is_default = 0 WHERE workspace_id = $1")
                            .bind(ws.0)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let row = sqlx::query_as::<_, StyleGuideRow>(
                        "INSERT INTO style_guides (workspace_id, locale, version, is_default, guide, \
                         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(locale)
                    .bind(version)
                    .bind(i64::from(is_default))
                    .bind(guide)
                    .bind(user_of(actor))
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "this style guide version"))?;
                    let ev = event(
                        actor,
                        "style_guide.saved",
                        format!("style_guide:{locale}"),
                        None,
                        Some(serde_json::json!({
                            "version": version,
                            "default": is_default,
                            "sha256": content_hash(guide),
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn style_guides(&self, ws: WorkspaceId) -> StoreResult<Vec<StyleGuideRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM style_guides WHERE workspace_id = $1 ORDER BY locale, version",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn create_template(
                    &self,
                    ws: WorkspaceId,
                    t: &NewTemplate,
                    actor: &Actor,
                ) -> StoreResult<TemplateRow> {
                    let mut tx = self.writer().begin().await?;
                    let now = now_millis();
                    let row = sqlx::query_as::<_, TemplateRow>(
                        "INSERT INTO reply_templates (workspace_id, name, channel, locale, body, \
                         variables, created_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(&t.name)
                    .bind(&t.channel)
                    .bind(&t.locale)
                    .bind(&t.body)
                    .bind(&t.variables)
                    .bind(user_of(actor))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "a template with this name"))?;
                    let ev = event(
                        actor,
                        "template.created",
                        format!("template:{}", row.id),
                        None,
                        Some(serde_json::json!({
                            "name": t.name,
                            "body_sha256": content_hash(&t.body),
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn template(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<TemplateRow>> {
                    Ok(sqlx::query_as("SELECT * FROM reply_templates WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await?)
                }

                async fn templates(
                    &self,
                    ws: WorkspaceId,
                    text: Option<&str>,
                    channel: Option<&str>,
                ) -> StoreResult<Vec<TemplateRow>> {
                    let pattern = format!("%{}%", text.unwrap_or("").to_lowercase());
                    Ok(sqlx::query_as(
                        "SELECT * FROM reply_templates WHERE workspace_id = $1 \
                         AND (LOWER(name) LIKE $2 OR LOWER(body) LIKE $2) \
                         AND (channel IS NULL OR $3 = '' OR channel = $3) ORDER BY name LIMIT 50",
                    )
                    .bind(ws.0)
                    .bind(pattern)
                    .bind(channel.unwrap_or(""))
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn put_approval_path(
                    &self,
                    ws: WorkspaceId,
                    key: &str,
                    body: &str,
                    actor: &Actor,
                ) -> StoreResult<PathRow> {
                    let mut tx = self.writer().begin().await?;
                    let row = sqlx::query_as::<_, PathRow>(
                        "INSERT INTO approval_paths (workspace_id, path_key, body, updated_by, \
                         updated_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (workspace_id, path_key) DO UPDATE SET body = excluded.body, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at \
                         RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(key)
                    .bind(body)
                    .bind(user_of(actor))
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await?;
                    let ev = event(
                        actor,
                        "approval_path.saved",
                        format!("approval_path:{key}"),
                        None,
                        Some(serde_json::json!({ "sha256": content_hash(body) })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn approval_paths(&self, ws: WorkspaceId) -> StoreResult<Vec<PathRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM approval_paths WHERE workspace_id = $1 ORDER BY path_key",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn save_routing_table(
                    &self,
                    ws: WorkspaceId,
                    body: &str,
                    actor: &Actor,
                ) -> StoreResult<RoutingRow> {
                    let mut tx = self.writer().begin().await?;
                    let row = sqlx::query_as::<_, RoutingRow>(
                        "INSERT INTO routing_tables (workspace_id, version, body, created_by, \
                         created_at) VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM \
                         routing_tables WHERE workspace_id = $1), $2, $3, $4) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(body)
                    .bind(user_of(actor))
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "this routing table version"))?;
                    let ev = event(
                        actor,
                        "routing_table.saved",
                        "routing_table".to_owned(),
                        None,
                        Some(serde_json::json!({
                            "version": row.version,
                            "sha256": content_hash(body),
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn routing_table(&self, ws: WorkspaceId) -> StoreResult<Option<RoutingRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM routing_tables WHERE workspace_id = $1 \
                         ORDER BY version DESC LIMIT 1",
                    )
                    .bind(ws.0)
                    .fetch_optional(self.reader())
                    .await?)
                }

                async fn write_draft(
                    &self,
                    ws: WorkspaceId,
                    w: &DraftWrite,
                    actor: &Actor,
                ) -> StoreResult<DraftRow> {
                    let mut tx = self.writer().begin().await?;
                    let now = now_millis();
                    let id = match w.existing {
                        None => insert_draft(&mut tx, ws, w, now).await?,
                        Some((id, revision)) => {
                            update_draft(&mut tx, ws, id, revision, w, now).await?;
                            id
                        }
                    };
                    append_copies(&mut tx, ws, id, w, now).await?;
                    for e in &w.events {
                        let ev = event(
                            actor,
                            &e.action,
                            format!("draft:{id}"),
                            None,
                            Some(e.after.clone()),
                        );
                        append_audit_in(&mut tx, ws, &ev).await?;
                    }
                    let row = draft_in(&mut tx, ws, id).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn draft(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<DraftRow>> {
                    let q = format!("{DRAFT_SELECT} WHERE workspace_id = $1 AND id = $2");
                    Ok(sqlx::query_as(&q)
                        .bind(ws.0)
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await?)
                }

                async fn drafts(
                    &self,
                    ws: WorkspaceId,
                    status: Option<&str>,
                ) -> StoreResult<Vec<DraftRow>> {
                    let q = format!(
                        "{DRAFT_SELECT} WHERE workspace_id = $1 AND ($2 = '' OR status = $2) \
                         ORDER BY id DESC LIMIT 500"
                    );
                    Ok(sqlx::query_as(&q)
                        .bind(ws.0)
                        .bind(status.unwrap_or(""))
                        .fetch_all(self.reader())
                        .await?)
                }

                async fn due_drafts(
                    &self,
                    ws: WorkspaceId,
                    now: i64,
                    limit: i64,
                ) -> StoreResult<Vec<DraftRow>> {
                    let q = format!(
                        "{DRAFT_SELECT} WHERE workspace_id = $1 AND status IN ('pending', 'approved') \
                         AND due_at IS NOT NULL AND due_at <= $2 ORDER BY due_at, id LIMIT $3"
                    );
                    Ok(sqlx::query_as(&q)
                        .bind(ws.0)
                        .bind(now)
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await?)
                }

                async fn draft_versions(
                    &self,
                    ws: WorkspaceId,
                    draft_id: i64,
                ) -> StoreResult<Vec<DraftVersionRow>> {
                    Ok(sqlx::query_as(
                        "SELECT version, text, hash, by_user, at, style_version FROM draft_versions \
                         WHERE workspace_id = $1 AND draft_id = $2 ORDER BY version",
                    )
                    .bind(ws.0)
                    .bind(draft_id)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn draft_decisions(
                    &self,
                    ws: WorkspaceId,
                    draft_id: i64,
                ) -> StoreResult<Vec<DecisionRow>> {
                    Ok(sqlx::query_as(
                        "SELECT approver_id, step, version, version_hash, verdict, note, at \
                         FROM draft_decisions WHERE workspace_id = $1 AND draft_id = $2 ORDER BY id",
                    )
                    .bind(ws.0)
                    .bind(draft_id)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn set_draft_status(
                    &self,
                    ws: WorkspaceId,
                    draft_id: i64,
                    revision: i64,
                    status: &str,
                ) -> StoreResult<i64> {
                    let done = sqlx::query(
                        "UPDATE drafts SET status = $4, revision = revision + 1, updated_at = $5 \
                         WHERE workspace_id = $1 AND id = $2 AND revision = $3",
                    )
                    .bind(ws.0)
                    .bind(draft_id)
                    .bind(revision)
                    .bind(status)
                    .bind(now_millis())
                    .execute(self.writer())
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict(
                            "the draft changed meanwhile; reload it".into(),
                        ));
                    }
                    Ok(revision + 1)
                }

                async fn record_approved_outbound(
                    &self,
                    ws: WorkspaceId,
                    reply: &NewOutbound,
                    stamp: &ApprovalStamp,
                    actor: &Actor,
                ) -> StoreResult<MessageRow> {
                    let mut tx = self.writer().begin().await?;
                    let done = sqlx::query(
                        "UPDATE drafts SET status = 'sent', state = $4, due_at = NULL, \
                         revision = revision + 1, updated_at = $5 \
                         WHERE workspace_id = $1 AND id = $2 AND revision = $3 AND status = 'sending'",
                    )
                    .bind(ws.0)
                    .bind(stamp.draft_id)
                    .bind(stamp.revision)
                    .bind(&stamp.state)
                    .bind(now_millis())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict("the draft is not being sent".into()));
                    }
                    let msg = record_outbound_in(&mut tx, ws, reply, actor).await?;
                    sqlx::query(
                        "INSERT INTO message_approvals (message_id, workspace_id, draft_id, version, \
                         version_hash) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(msg.id)
                    .bind(ws.0)
                    .bind(stamp.draft_id)
                    .bind(stamp.version)
                    .bind(&stamp.version_hash)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE drafts SET sent_message_id = $3 WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(stamp.draft_id)
                        .bind(msg.id)
                        .execute(&mut *tx)
                        .await?;
                    let ev = event(
                        actor,
                        "draft.sent",
                        format!("draft:{}", stamp.draft_id),
                        None,
                        Some(serde_json::json!({
                            "message_id": msg.id,
                            "version": stamp.version,
                            "version_hash": stamp.version_hash,
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(msg)
                }

                async fn message_approval(
                    &self,
                    ws: WorkspaceId,
                    message_id: i64,
                ) -> StoreResult<Option<(i64, i64, String)>> {
                    Ok(sqlx::query_as(
                        "SELECT draft_id, version, version_hash FROM message_approvals \
                         WHERE workspace_id = $1 AND message_id = $2",
                    )
                    .bind(ws.0)
                    .bind(message_id)
                    .fetch_optional(self.reader())
                    .await?)
                }

                async fn contact_vip(&self, ws: WorkspaceId, contact_id: i64) -> StoreResult<bool> {
                    let row: Option<(i64,)> = sqlx::query_as(
                        "SELECT vip FROM contacts WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(contact_id)
                    .fetch_optional(self.reader())
                    .await?;
                    Ok(row.is_some_and(|r| r.0 != 0))
                }

                async fn conversation_marker(
                    &self,
                    ws: WorkspaceId,
                    conversation_id: i64,
                ) -> StoreResult<(i64, i64)> {
                    Ok(sqlx::query_as(
                        "SELECT (SELECT COALESCE(MAX(id), 0) FROM messages WHERE workspace_id = $1 \
                         AND conversation_id = $2), (SELECT COALESCE(MAX(id), 0) FROM notes \
                         WHERE workspace_id = $1 AND conversation_id = $2)",
                    )
                    .bind(ws.0)
                    .bind(conversation_id)
                    .fetch_one(self.reader())
                    .await?)
                }

                async fn activity_since(
                    &self,
                    ws: WorkspaceId,
                    conversation_id: i64,
                    seen: (i64, i64),
                    author: i64,
                ) -> StoreResult<i64> {
                    let row: (i64, i64) = sqlx::query_as(
                        "SELECT (SELECT COUNT(*) FROM messages WHERE workspace_id = $1 \
                         AND conversation_id = $2 AND id > $3 \
                         AND (author_user_id IS NULL OR author_user_id <> $5)), \
                         (SELECT COUNT(*) FROM notes WHERE workspace_id = $1 \
                         AND conversation_id = $2 AND id > $4 AND author_id <> $5)",
                    )
                    .bind(ws.0)
                    .bind(conversation_id)
                    .bind(seen.0)
                    .bind(seen.1)
                    .bind(author)
                    .fetch_one(self.reader())
                    .await?;
                    Ok(row.0 + row.1)
                }

                async fn notifications(
                    &self,
                    ws: WorkspaceId,
                    user_id: i64,
                ) -> StoreResult<Vec<NotificationRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM notifications WHERE workspace_id = $1 AND user_id = $2 \
                         ORDER BY id DESC LIMIT 100",
                    )
                    .bind(ws.0)
                    .bind(user_id)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn mark_notifications_read(
                    &self,
                    ws: WorkspaceId,
                    user_id: i64,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE notifications SET read_at = $3 WHERE workspace_id = $1 \
                         AND user_id = $2 AND read_at IS NULL",
                    )
                    .bind(ws.0)
                    .bind(user_id)
                    .bind(now_millis())
                    .execute(self.writer())
                    .await?;
                    Ok(())
                }

                async fn create_comm_test(
                    &self,
                    ws: WorkspaceId,
                    name: &str,
                    channels: &str,
                    validity_days: i64,
                    body: &str,
                    actor: &Actor,
                ) -> StoreResult<CommTestRow> {
                    let mut tx = self.writer().begin().await?;
                    let row = sqlx::query_as::<_, CommTestRow>(
                        "INSERT INTO comm_tests (workspace_id, name, channels, validity_days, body, \
                         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(name)
                    .bind(channels)
                    .bind(validity_days)
                    .bind(body)
                    .bind(user_of(actor))
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await?;
                    let ev = event(
                        actor,
                        "comm_test.created",
                        format!("comm_test:{}", row.id),
                        None,
                        Some(serde_json::json!({
                            "name": name,
                            "validity_days": validity_days,
                            "sha256": content_hash(body),
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn comm_tests(&self, ws: WorkspaceId) -> StoreResult<Vec<CommTestRow>> {
                    Ok(sqlx::query_as("SELECT * FROM comm_tests WHERE workspace_id = $1 ORDER BY id")
                        .bind(ws.0)
                        .fetch_all(self.reader())
                        .await?)
                }

                async fn comm_test(
                    &self,
                    ws: WorkspaceId,
                    id: i64,
                ) -> StoreResult<Option<CommTestRow>> {
                    Ok(sqlx::query_as("SELECT * FROM comm_tests WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await?)
                }

                async fn create_attempt(
                    &self,
                    ws: WorkspaceId,
                    test_id: i64,
                    user_id: i64,
                    answers: &str,
                    style_check: &str,
                ) -> StoreResult<AttemptRow> {
                    let mut tx = self.writer().begin().await?;
                    let row = sqlx::query_as::<_, AttemptRow>(
                        "INSERT INTO comm_attempts (workspace_id, test_id, user_id, answers, \
                         style_check, status, submitted_at) \
                         VALUES ($1, $2, $3, $4, $5, 'submitted', $6) RETURNING *",
                    )
                    .bind(ws.0)
                    .bind(test_id)
                    .bind(user_id)
                    .bind(answers)
                    .bind(style_check)
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await?;
                    let ev = event(
                        &Actor::User(user_id),
                        "comm_test.attempted",
                        format!("comm_attempt:{}", row.id),
                        None,
                        Some(serde_json::json!({
                            "test_id": test_id,
                            "answers_sha256": content_hash(answers),
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn attempt(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<AttemptRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM comm_attempts WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?)
                }

                async fn attempts(&self, ws: WorkspaceId) -> StoreResult<Vec<AttemptRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM comm_attempts WHERE workspace_id = $1 ORDER BY id DESC LIMIT 500",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn grade_attempt(
                    &self,
                    ws: WorkspaceId,
                    attempt_id: i64,
                    g: &GradeWrite,
                    actor: &Actor,
                ) -> StoreResult<AttemptRow> {
                    let mut tx = self.writer().begin().await?;
                    let done = sqlx::query(
                        "UPDATE comm_attempts SET status = 'graded', reviewer_id = $3, scores = $4, \
                         score_bp = $5, passed = $6, graded_at = $7 \
                         WHERE workspace_id = $1 AND id = $2 AND status = 'submitted'",
                    )
                    .bind(ws.0)
                    .bind(attempt_id)
                    .bind(g.reviewer_id)
                    .bind(&g.scores)
                    .bind(g.score_bp)
                    .bind(i64::from(g.passed))
                    .bind(now_millis())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict("the attempt is already graded".into()));
                    }
                    let ev = event(
                        actor,
                        "comm_test.graded",
                        format!("comm_attempt:{attempt_id}"),
                        None,
                        Some(serde_json::json!({
                            "score_bp": g.score_bp,
                            "passed": g.passed,
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    if let Some(c) = &g.certification {
                        insert_certification(&mut tx, ws, c, actor).await?;
                    }
                    let row = sqlx::query_as::<_, AttemptRow>(
                        "SELECT * FROM comm_attempts WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(attempt_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn grant_certification(
                    &self,
                    ws: WorkspaceId,
                    c: &NewCertification,
                    actor: &Actor,
                ) -> StoreResult<CertificationRow> {
                    let mut tx = self.writer().begin().await?;
                    ensure_user(&mut tx, ws, c.user_id).await?;
                    let row = insert_certification(&mut tx, ws, c, actor).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn certifications(
                    &self,
                    ws: WorkspaceId,
                    user_id: Option<i64>,
                ) -> StoreResult<Vec<CertificationRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM certifications WHERE workspace_id = $1 \
                         AND ($2 = 0 OR user_id = $2) ORDER BY id",
                    )
                    .bind(ws.0)
                    .bind(user_id.unwrap_or(0))
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn revoke_certification(
                    &self,
                    ws: WorkspaceId,
                    id: i64,
                    actor: &Actor,
                ) -> StoreResult<CertificationRow> {
                    let mut tx = self.writer().begin().await?;
                    let before = certification_in(&mut tx, ws, id).await?;
                    if before.revoked_at.is_some() {
                        return Err(StoreError::Conflict("already revoked".into()));
                    }
                    let now = now_millis();
                    sqlx::query(
                        "UPDATE certifications SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let ev = event(
                        actor,
                        "certification.revoked",
                        format!("certification:{id}"),
                        None,
                        Some(serde_json::json!({ "user_id": before.user_id, "revoked_at": now })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    let row = certification_in(&mut tx, ws, id).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn expire_certifications(
                    &self,
                    ws: WorkspaceId,
                    now: i64,
                ) -> StoreResult<Vec<CertificationRow>> {
                    let mut tx = self.writer().begin().await?;
                    let due = sqlx::query_as::<_, CertificationRow>(
                        "SELECT * FROM certifications WHERE workspace_id = $1 AND expired_at IS NULL \
                         AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $2 \
                         ORDER BY id LIMIT 500",
                    )
                    .bind(ws.0)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut out = Vec::with_capacity(due.len());
                    for c in due {
                        sqlx::query(
                            "UPDATE certifications SET expired_at = $3 WHERE workspace_id = $1 AND id = $2",
                        )
                        .bind(ws.0)
                        .bind(c.id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        let ev = event(
                            &Actor::System("certifications"),
                            "certification.expired",
                            format!("certification:{}", c.id),
                            None,
                            Some(serde_json::json!({
                                "user_id": c.user_id,
                                "expires_at": c.expires_at,
                            })),
                        );
                        append_audit_in(&mut tx, ws, &ev).await?;
                        out.push(certification_in(&mut tx, ws, c.id).await?);
                    }
                    tx.commit().await?;
                    Ok(out)
                }
            }

            fn user_of(actor: &Actor) -> Option<i64> {
                match actor {
                    Actor::User(id) => Some(*id),
                    Actor::System(_) => None,
                }
            }
        }
    };
}

pub(crate) use approvals_sql;
