-- Issue #5: the reply-level record names the template a draft started from and, for each
-- version, the style guide (locale and version) it was checked against. Direct replies
-- carry the same facts in their reply.sent audit event; drafts keep them here.
ALTER TABLE drafts ADD COLUMN template_id INTEGER;
ALTER TABLE drafts ADD COLUMN locale TEXT;
ALTER TABLE draft_versions ADD COLUMN style_version INTEGER;
