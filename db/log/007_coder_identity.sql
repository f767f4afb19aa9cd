-- Log schema 7: who did the work, and what a manager's figures need.
-- Added columns and indexes only: older rows read as NULL, and the hash chain covers
-- the new version columns only when they are set, so existing chains still verify.

-- The coder's labels from the config at the time of the save (the identity itself is
-- version.coder, the OS login). Hashed with the version when set.
ALTER TABLE version ADD COLUMN coder_name TEXT;   -- config [coder] name, or NULL
ALTER TABLE version ADD COLUMN coder_id TEXT;     -- config [coder] id, or NULL

-- Productivity by save time (workbench stats --since/--until).
CREATE INDEX version_saved ON version (saved_at);

-- When the draft a save consumed was started: time per episode is draft start to save.
ALTER TABLE draft_consumed ADD COLUMN started_at TEXT;   -- UTC, ISO 8601, or NULL
CREATE INDEX draft_consumed_episode ON draft_consumed (episode_id);

-- Who raised the worklist item's query, and when.
ALTER TABLE worklist_item ADD COLUMN query_by TEXT;      -- OS login
ALTER TABLE worklist_item ADD COLUMN query_at TEXT;      -- UTC, ISO 8601
