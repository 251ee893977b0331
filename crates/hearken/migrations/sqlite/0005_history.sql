-- Issue #5: message history across channels, and an audit trail that proves itself.
-- Times are Unix epoch milliseconds (UTC). Every row carries workspace_id.

-- Facts about a contact: emails and phones given by the customer, and custom attributes.
-- kind is 'email', 'phone' or 'custom'; value is normalised (emails lowercased, phones
-- reduced to digits and a leading +). verified is 1 when the value was verified.
CREATE TABLE contact_attributes (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (contact_id, kind, name, value)
);
CREATE INDEX contact_attributes_value ON contact_attributes (workspace_id, kind, value);

-- A link saying contact linked_contact_id is the same person as contact_id. Links never
-- move identities or conversations: the person is the set of contacts joined by active
-- links, so undoing (undone_at set) restores exactly the state before.
-- reason is 'manual', 'verified_email' or 'customer_confirmed'; evidence is free text.
CREATE TABLE contact_links (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    linked_contact_id INTEGER NOT NULL REFERENCES contacts(id),
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    undone_by TEXT,
    undone_at INTEGER
);
CREATE INDEX contact_links_contact ON contact_links (workspace_id, contact_id);
CREATE INDEX contact_links_linked ON contact_links (workspace_id, linked_contact_id);

-- Signed checkpoints of a workspace's audit chain head (HMAC-SHA256 over workspace, seq,
-- hash and time). A checkpoint beyond the chain's end reveals a truncated tail.
CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    at INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_ws ON audit_checkpoints (workspace_id, seq);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- Originals of removed content, readable by auditors and admins only. Deleting a contact
-- moves its messages, versions and notes here; erasure empties the text (and sets
-- erased_at) because a privacy request outranks preservation. No foreign keys to the
-- removed rows, which no longer exist; ids are kept as plain numbers.
CREATE TABLE preserved_originals (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    kind TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    message_id INTEGER,
    conversation_id INTEGER,
    contact_id INTEGER,
    version INTEGER,
    text TEXT NOT NULL,
    cause TEXT NOT NULL,
    root_seq INTEGER NOT NULL,
    preserved_at INTEGER NOT NULL,
    erased_at INTEGER
);
CREATE INDEX preserved_originals_contact ON preserved_originals (workspace_id, contact_id);
CREATE INDEX preserved_originals_message ON preserved_originals (workspace_id, message_id);

-- When a message's content was erased (privacy request, card number, retention).
ALTER TABLE messages ADD COLUMN erased_at INTEGER;

-- Per-workspace retention: content older than max_age_days is erased.
CREATE TABLE retention_policies (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    max_age_days INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL
);

-- A legal hold on a contact or a conversation suspends erasure and retention for it.
-- subject_kind is 'contact' or 'conversation'.
CREATE TABLE legal_holds (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    subject_kind TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    placed_by TEXT NOT NULL,
    placed_at INTEGER NOT NULL,
    released_by TEXT,
    released_at INTEGER
);
CREATE INDEX legal_holds_subject ON legal_holds (workspace_id, subject_kind, subject_id);
