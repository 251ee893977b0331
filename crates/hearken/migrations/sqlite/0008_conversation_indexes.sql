-- Lookups by conversation name the workspace too (`workspace_id = $1 AND conversation_id
-- = $2`). With only one column of an index matching, SQLite's planner could pick an index
-- led by workspace_id (messages_platform_time, sla_clocks_started, conversation_tags_tag)
-- and walk every row of the workspace for each conversation. These indexes match both
-- columns, so the per-conversation lookup stays a seek however large the desk grows.
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_id, workspace_id, platform_time, id);
CREATE INDEX sla_clocks_conversation ON sla_clocks (conversation_id, workspace_id, seq);
CREATE INDEX conversation_tags_conversation ON conversation_tags (conversation_id, workspace_id, tag);
