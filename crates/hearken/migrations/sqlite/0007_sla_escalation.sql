-- Issue #3 (live warnings and breaches): team leads, notifications about conversations,
-- the crossings the SLA watcher announced, and escalation rules with what they did.
-- Times are Unix epoch milliseconds (UTC). Every row carries workspace_id.

-- The team's lead, told about SLA warnings and breaches of the team's conversations.
ALTER TABLE teams ADD COLUMN lead_user_id INTEGER REFERENCES users(id);

-- The conversation a notification is about (SLA crossings). No foreign key: merges and
-- erasure remove conversations, and a notification names only ids.
ALTER TABLE notifications ADD COLUMN conversation_id INTEGER;

-- One row per warning or breach announced: the clock (metric) of the conversation that
-- crossed, which crossing (state), and the due instant it crossed against. The unique key
-- makes a crossing announced, notified and escalated at most once, whatever happens to
-- sla_conversations.notified_state afterwards. policy_key is the policy in force then.
CREATE TABLE sla_crossings (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL,
    metric TEXT NOT NULL,              -- first_response | next_response | resolution
    state TEXT NOT NULL,               -- warning | breached
    due_at INTEGER NOT NULL,
    policy_key TEXT,
    crossed_at INTEGER NOT NULL,       -- when the watcher announced it
    UNIQUE (workspace_id, conversation_id, metric, state, due_at)
);
CREATE INDEX sla_crossings_conversation ON sla_crossings (workspace_id, conversation_id);

-- Escalation rules: on a breach (and, with on_warning, a warning) of a metric, optionally
-- only under one policy, reassign to a user and/or a team and/or raise the priority to
-- at least raise_priority. version grows by one on every change and is written with every
-- escalation the rule applies. Deleting sets deleted_at, so ids are never reused.
CREATE TABLE sla_escalation_rules (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    position INTEGER NOT NULL,         -- evaluation order, lowest first
    version INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    metric TEXT NOT NULL,              -- first_response | next_response | resolution | any
    on_warning INTEGER NOT NULL DEFAULT 0,
    policy_key TEXT,                   -- NULL: any policy
    assign_user_id INTEGER REFERENCES users(id),
    assign_team_id INTEGER REFERENCES teams(id),
    raise_priority TEXT,               -- low | normal | high | urgent; never lowers
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX sla_escalation_rules_order ON sla_escalation_rules (workspace_id, position, id);

-- Each rule that matched a crossing, once: applied (the conversation changed) or
-- unchanged (it already was as the rule wants).
CREATE TABLE sla_escalations (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    crossing_id INTEGER NOT NULL REFERENCES sla_crossings(id),
    rule_id INTEGER NOT NULL REFERENCES sla_escalation_rules(id),
    rule_version INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    outcome TEXT NOT NULL,             -- applied | unchanged
    at INTEGER NOT NULL,
    UNIQUE (crossing_id, rule_id)
);
CREATE INDEX sla_escalations_conversation ON sla_escalations (workspace_id, conversation_id);
