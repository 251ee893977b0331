-- Issue #5: an identity's handle and display name with their history. When a newer
-- message carries another name, the name it replaces is kept here with the platform time
-- it stopped being current; name_seen_at is the platform time of the message that set the
-- current one, so an older message arriving late never renames the identity back.
-- Erasure and contact deletion remove these rows with the identity's other names.
CREATE TABLE identity_names (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    identity_id INTEGER NOT NULL REFERENCES identities(id),
    handle TEXT NOT NULL,
    display_name TEXT,
    until_at INTEGER NOT NULL
);
CREATE INDEX identity_names_identity ON identity_names (identity_id, workspace_id, until_at);
ALTER TABLE identities ADD COLUMN name_seen_at INTEGER;
