-- Hearken care desk schema (SQLite). Times are Unix epoch milliseconds (UTC).
-- Every row carries workspace_id; every query filters on it.

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Desk users. Email is unique across the installation because it is the login name.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Browser sessions; only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- API bearer tokens; only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- A connected brand account on one channel.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    channel TEXT NOT NULL,
    handle TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, channel, handle)
);

-- A person; linked to platform identities.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    display_name TEXT NOT NULL,
    vip INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- One platform handle of a customer.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    channel TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    handle TEXT NOT NULL,
    display_name TEXT,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    created_at INTEGER NOT NULL,
    UNIQUE (workspace_id, channel, platform_user_id)
);

-- The unit of work. conv_key is the stable external key used by export/import.
-- waiting_since is the platform time of the oldest customer message not yet answered.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conv_key TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    channel TEXT NOT NULL,
    visibility TEXT NOT NULL,
    identity_id INTEGER REFERENCES identities(id),
    contact_id INTEGER REFERENCES contacts(id),
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    preview TEXT NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    first_message_at INTEGER NOT NULL,
    activity_at INTEGER NOT NULL,
    waiting_since INTEGER,
    resolved_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, conv_key)
);
CREATE INDEX conversations_inbox ON conversations (workspace_id, activity_at DESC, id DESC);
CREATE INDEX conversations_waiting ON conversations (workspace_id, activity_at DESC, id DESC) WHERE waiting_since IS NOT NULL;
CREATE INDEX conversations_oldest_wait ON conversations (workspace_id, waiting_since) WHERE waiting_since IS NOT NULL;
CREATE INDEX conversations_status ON conversations (workspace_id, status, activity_at DESC, id DESC);
CREATE INDEX conversations_contact ON conversations (workspace_id, contact_id);

CREATE TABLE conversation_tags (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (workspace_id, tag);

-- Internal notes: never sent to the customer.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_conversation ON notes (conversation_id, id);

-- One inbound or outbound item. text is the latest version; every version is in message_versions.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    channel TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    visibility TEXT NOT NULL,
    reply_to TEXT,
    identity_id INTEGER REFERENCES identities(id),
    author_user_id INTEGER REFERENCES users(id),
    text TEXT NOT NULL,
    platform_time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    delivery TEXT NOT NULL,
    deleted_at INTEGER,
    UNIQUE (workspace_id, channel, platform_id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, platform_time, id);
CREATE INDEX messages_reply_to ON messages (workspace_id, channel, reply_to) WHERE reply_to IS NOT NULL;
CREATE INDEX messages_platform_time ON messages (workspace_id, platform_time);

CREATE TABLE message_versions (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    message_id INTEGER NOT NULL REFERENCES messages(id),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (message_id, version)
);

-- The sandbox channel's local outbox: what a real platform would have received.
CREATE TABLE sandbox_outbox (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    platform_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    in_reply_to TEXT,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Append-only, hash-chained audit log, one chain per workspace. No cascading deletes.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (workspace_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (workspace_id, at);

-- The head of each workspace's audit chain; updating it serialises appends.
CREATE TABLE audit_heads (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
