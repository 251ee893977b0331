-- Issue #3: SLA policies, business calendars and SLA reporting (SQLite).
-- Times are Unix epoch milliseconds (UTC). Every row carries workspace_id.

-- Who wrote an outbound message: 'human' (an agent, the default and what replies typed in
-- Hearken are), 'automatic' (auto-acknowledgement) or 'bot'. Only human replies end an SLA
-- response clock.
ALTER TABLE messages ADD COLUMN sender_kind TEXT NOT NULL DEFAULT 'human';

-- Business calendars. spec is a hearken_sla CalendarSpec as JSON (IANA zone, weekly
-- windows, holidays, 24x7). The workspace's default calendar is its lowest id.
CREATE TABLE sla_calendars (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- SLA policy versions, append-only: a change is a new row with a higher version and the
-- instant it takes effect; old versions are never edited. body is a hearken_sla SlaPolicy
-- as JSON (targets, warning threshold, pause statuses, conditions). position orders the
-- policies for selection (first match wins); calendar_id NULL = the default calendar.
CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    policy_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    calendar_id INTEGER REFERENCES sla_calendars(id),
    effective_from INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (workspace_id, policy_key, version)
);

-- Conversation events the clocks need that no other table holds: status changes,
-- assignments and approval waits, appended in the same transaction as the change.
-- Messages (messages.platform_time, direction, visibility, sender_kind) and notes
-- (notes.created_at) are read from their own tables. kind is a hearken_sla EventKind
-- name; detail carries the new status for status_changed.
CREATE TABLE sla_events (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT,
    actor TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX sla_events_conversation ON sla_events (conversation_id, at);

-- Per conversation SLA state, recomputed from events whenever the conversation changes.
-- due_at / warn_at: when the most urgent running clock breaches / enters warning (NULL
-- when paused or no clock with a target runs). Dimensions are copied for reporting.
CREATE TABLE sla_conversations (
    conversation_id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    policy_key TEXT,
    policy_version INTEGER,
    calendar_id INTEGER,
    opened_at INTEGER NOT NULL,
    live_metric TEXT,
    live_state TEXT,
    due_at INTEGER,
    warn_at INTEGER,
    business_time INTEGER NOT NULL DEFAULT 1,
    account_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    assignee_id INTEGER,
    team_id INTEGER,
    notified_state TEXT,
    computed_at INTEGER NOT NULL
);
CREATE INDEX sla_conversations_due ON sla_conversations (workspace_id, due_at);
CREATE INDEX sla_conversations_opened ON sla_conversations (workspace_id, opened_at);

-- One row per SLA clock of a conversation (first response, each next response,
-- resolution), replaced when the conversation is recomputed. Minutes are whole minutes
-- truncated; active_* exclude paused time. inbound_items: customer messages the clock
-- covered (for reply rate). outcome is a hearken_sla Outcome name.
CREATE TABLE sla_clocks (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    metric TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    calendar_minutes INTEGER NOT NULL,
    business_minutes INTEGER NOT NULL,
    active_calendar_minutes INTEGER NOT NULL,
    active_business_minutes INTEGER NOT NULL,
    paused_business_minutes INTEGER NOT NULL,
    target_minutes INTEGER,
    target_business INTEGER,
    outcome TEXT NOT NULL,
    due_at INTEGER,
    breached_at INTEGER,
    overdue_minutes INTEGER NOT NULL,
    inbound_items INTEGER NOT NULL,
    policy_key TEXT,
    policy_version INTEGER,
    account_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    assignee_id INTEGER,
    team_id INTEGER,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX sla_clocks_ended ON sla_clocks (workspace_id, ended_at);
CREATE INDEX sla_clocks_started ON sla_clocks (workspace_id, started_at);

-- Tags of the conversation when its clocks were last added to sla_rollups, so exactly
-- those contributions can be taken out again (JSON array).
ALTER TABLE sla_conversations ADD COLUMN rollup_tags TEXT;

-- Incremental aggregates for the reporting dashboard: one row per day (in the workspace
-- time zone), dimension (none, agent, team, channel, account, tag, policy), dimension
-- value (an id or name; '' for none) and metric (first_response, next_response,
-- resolution, or case for openings). Kept up to date as clocks change: a conversation's
-- old contributions are subtracted and its new ones added in the same transaction.
-- Durations: count, sums (exact mean) and a mergeable quantile sketch per kind of minute
-- (hearken_sla QuantileSketch JSON, 1 % relative error). unanswered/inbound/answered are
-- keyed by the day the clock started, durations by the day it ended.
CREATE TABLE sla_rollups (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    day TEXT NOT NULL,
    dim TEXT NOT NULL,
    dim_value TEXT NOT NULL,
    metric TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    unanswered INTEGER NOT NULL DEFAULT 0,
    sum_business INTEGER NOT NULL DEFAULT 0,
    sum_calendar INTEGER NOT NULL DEFAULT 0,
    met INTEGER NOT NULL DEFAULT 0,
    breached INTEGER NOT NULL DEFAULT 0,
    inbound INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    opened INTEGER NOT NULL DEFAULT 0,
    sketch_business TEXT,
    sketch_calendar TEXT,
    PRIMARY KEY (workspace_id, dim, day, dim_value, metric)
);
