-- Issue #5: an agent can dismiss a suggested link ("not the same person"), with a reason;
-- the pair is then no longer suggested on that basis. The dismissal is audited.
CREATE TABLE suggestion_dismissals (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    -- The pair, smaller contact id first.
    contact_id INTEGER NOT NULL,
    other_contact_id INTEGER NOT NULL,
    basis TEXT NOT NULL,
    reason TEXT NOT NULL,
    dismissed_by TEXT NOT NULL,
    dismissed_at INTEGER NOT NULL,
    UNIQUE (workspace_id, contact_id, other_contact_id, basis)
);
