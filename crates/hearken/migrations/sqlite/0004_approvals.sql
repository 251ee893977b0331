-- Approval paths, the communication test and one brand voice (issue #4).
-- Times are Unix epoch milliseconds (UTC). Every row carries workspace_id.
-- Rules, paths, tests and drafts are stored as the JSON of the hearken-voice types, so the
-- pure engine stays the one definition of their meaning.

-- Extra team memberships (users.team_id stays the user's home team).
CREATE TABLE team_members (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (workspace_id, user_id);

-- Departments (Legal, PR, Brand…), an approver-group kind of their own.
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE department_members (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (department_id, user_id)
);

-- One version of the style guide for one locale; the highest version per locale is in force.
-- guide is hearken_voice::style::StyleGuide as JSON; is_default marks the fallback locale.
CREATE TABLE style_guides (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    locale TEXT NOT NULL,
    version INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    guide TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, locale, version)
);

-- Canned replies; body uses {{variable}} placeholders. channel/locale NULL = any.
CREATE TABLE reply_templates (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    channel TEXT,
    locale TEXT,
    body TEXT NOT NULL,
    -- JSON array of extra variable names beyond the built-in ones.
    variables TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Approval paths by key; body is hearken_voice::approval::ApprovalPath as JSON.
CREATE TABLE approval_paths (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    path_key TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, path_key)
);

-- Versions of the routing table (rules, trainee path, risk weights); the highest is in force.
-- While a workspace has none, approvals are off and nobody is a trainee.
CREATE TABLE routing_tables (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, version)
);

-- A reply under approval. state is hearken_voice::approval::Draft as JSON (the truth);
-- status, current_hash and due_at are copies for queries. revision guards concurrent writes.
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL,
    -- pending | approved | rejected | expired | sending | sent
    status TEXT NOT NULL,
    path_key TEXT NOT NULL,
    -- The routing rule that chose the path (NULL for the trainee path), its reasons and risk.
    rule_id TEXT,
    reasons TEXT NOT NULL,
    risk INTEGER NOT NULL,
    style_version INTEGER,
    state TEXT NOT NULL,
    current_hash TEXT NOT NULL,
    -- Scheduled send time, and the earliest instant the tick must look at the draft.
    send_at INTEGER,
    due_at INTEGER,
    -- What the author last saw: the highest message and note ids of the conversation.
    seen_message_id INTEGER NOT NULL,
    seen_note_id INTEGER NOT NULL,
    sent_message_id INTEGER REFERENCES messages(id),
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX drafts_status ON drafts (workspace_id, status, id);
CREATE INDEX drafts_due ON drafts (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX drafts_conversation ON drafts (workspace_id, conversation_id);

-- Every version of a draft's text with its SHA-256 (append-only copy of the state).
CREATE TABLE draft_versions (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    draft_id INTEGER NOT NULL REFERENCES drafts(id),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    hash TEXT NOT NULL,
    by_user INTEGER NOT NULL REFERENCES users(id),
    at INTEGER NOT NULL,
    PRIMARY KEY (draft_id, version)
);

-- Every decision, pointing at the version hash it was given on (append-only copy).
CREATE TABLE draft_decisions (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    draft_id INTEGER NOT NULL REFERENCES drafts(id),
    approver_id INTEGER NOT NULL REFERENCES users(id),
    step INTEGER NOT NULL,
    version INTEGER NOT NULL,
    version_hash TEXT NOT NULL,
    -- approve | reject
    verdict TEXT NOT NULL,
    note TEXT,
    at INTEGER NOT NULL,
    UNIQUE (draft_id, approver_id, step, version)
);

-- The approved version behind an outbound message.
CREATE TABLE message_approvals (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    draft_id INTEGER NOT NULL REFERENCES drafts(id),
    version INTEGER NOT NULL,
    version_hash TEXT NOT NULL
);

-- In-product notifications.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    draft_id INTEGER REFERENCES drafts(id),
    message TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (workspace_id, user_id, id);

-- Communication tests; body is hearken_voice::certification::CommTest as JSON.
-- channels is a JSON array of the channels a pass certifies; validity_days bounds the rights.
CREATE TABLE comm_tests (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    channels TEXT NOT NULL,
    validity_days INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);

-- An agent's attempt: answers (JSON map question → Answer), the automatic style check of
-- scenario answers, then the reviewer's rubric scores and the grade.
CREATE TABLE comm_attempts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    test_id INTEGER NOT NULL REFERENCES comm_tests(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    answers TEXT NOT NULL,
    style_check TEXT NOT NULL,
    -- submitted | graded
    status TEXT NOT NULL,
    reviewer_id INTEGER REFERENCES users(id),
    scores TEXT,
    -- Score in hundredths of a percent, and whether the pass mark was reached.
    score_bp INTEGER,
    passed INTEGER,
    submitted_at INTEGER NOT NULL,
    graded_at INTEGER
);

-- Reply rights: channels (JSON array) a user may answer on directly, until expiry or revoke.
-- expired_at is set by the tick when it logs the expiry.
CREATE TABLE certifications (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    channels TEXT NOT NULL,
    attempt_id INTEGER REFERENCES comm_attempts(id),
    granted_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    expired_at INTEGER
);
CREATE INDEX certifications_user ON certifications (workspace_id, user_id);
