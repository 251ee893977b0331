-- Issue #4: who else is on a conversation, follower counts by time, conversation locale.
--
-- presence: one row per user on a conversation page, refreshed by the page's heartbeat;
-- rows older than the presence window are ignored and pruned. It is kept in the store
-- (not in memory) so every server instance sees every user. No foreign key to
-- conversations: merges and contact deletion remove conversations, and a row left behind
-- only holds ids and times until it is pruned.
CREATE TABLE presence (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    conversation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    writing BIGINT NOT NULL DEFAULT 0,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, user_id)
);
CREATE INDEX presence_seen ON presence (workspace_id, seen_at);

-- identities.followers (0006) now also comes from webhook and poll payloads; followers_at
-- is the platform time of the item that carried the count, so an older item arriving late
-- never replaces a newer count.
ALTER TABLE identities ADD COLUMN followers_at BIGINT;

-- The conversation's language (a BCP 47 tag such as `es` or `pt-BR`): replies are checked
-- against that locale's style guide unless the request names another. NULL: the default.
ALTER TABLE conversations ADD COLUMN locale TEXT;
