-- Issue #6 (outbound half): listening queries, routing rules and what they did.
-- Times are Unix epoch milliseconds (UTC). Every row carries workspace_id.

-- Follower count of a customer identity, when the platform gives it (routing conditions).
ALTER TABLE identities ADD COLUMN followers INTEGER;

-- A saved listening query: public posts not addressed to an account that match it land in
-- the inbox of account_id, tagged `listening:<name>`.
CREATE TABLE listening_queries (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,                -- short label, used in the tag
    query TEXT NOT NULL,               -- the source as typed
    canonical TEXT NOT NULL,           -- the parsed query printed back, for display
    channel TEXT NOT NULL,             -- the platform it listens on
    account_id INTEGER NOT NULL REFERENCES accounts(id), -- whose inbox receives matches
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Ordered routing rules. conditions and actions are JSON (see routing::rules); version
-- grows by one on every change and is written with every action the rule takes.
CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,         -- evaluation order, lowest first
    version INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX routing_rules_order ON routing_rules (workspace_id, position, id);

-- What the desk worked out about an inbound message; a row means routing has run on it.
CREATE TABLE message_signals (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    sentiment REAL,                    -- VADER compound score, -1 to 1
    listening_query_id INTEGER REFERENCES listening_queries(id), -- set when listening found it
    routed_at INTEGER NOT NULL
);

-- A conversation dismissed as spam by a rule, with what undoing it restores.
CREATE TABLE routing_dismissals (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    rule_id INTEGER NOT NULL REFERENCES routing_rules(id),
    rule_version INTEGER NOT NULL,
    previous_status TEXT NOT NULL,
    dismissed_at INTEGER NOT NULL,
    undone_at INTEGER,                 -- set when a person undid the dismissal
    undone_by INTEGER REFERENCES users(id)
);
CREATE INDEX routing_dismissals_open ON routing_dismissals (workspace_id, dismissed_at DESC);
