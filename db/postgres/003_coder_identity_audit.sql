-- Department log on PostgreSQL, schema version 3: coder identity and the coding audit (the
-- SQLite log's schemas 7 and 8, db/log/007_coder_identity.sql and 008_audit.sql).

-- The coder's labels from the config at the time of the save, hashed with the version when set.
ALTER TABLE version ADD COLUMN coder_name text;
ALTER TABLE version ADD COLUMN coder_id text;
CREATE INDEX version_saved ON version (saved_at);

-- When the draft a save consumed was started: time per episode is draft start to save.
ALTER TABLE draft_consumed ADD COLUMN started_at text COLLATE "C";
CREATE INDEX draft_consumed_episode ON draft_consumed (episode_id);

-- Who raised the worklist item's query, and when.
ALTER TABLE worklist_item ADD COLUMN query_by text COLLATE "C";
ALTER TABLE worklist_item ADD COLUMN query_at text COLLATE "C";

-- The audit: one append-only table with its own hash chain (workbench/core/audit/store.py).
CREATE TABLE audit_record (
    id         bigint PRIMARY KEY,          -- 1, 2, ... orders the audit chain (max + 1 under the lock)
    sample_id  bigint NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('sample', 'coding', 'review')),
    episode_id bigint,
    body       text NOT NULL,               -- JSON text exactly as hashed
    actor      text COLLATE "C" NOT NULL,
    at         text COLLATE "C" NOT NULL,   -- UTC, ISO 8601, the server's clock
    prev_hash  text NOT NULL,
    hash       text NOT NULL
);
CREATE INDEX audit_record_sample ON audit_record (sample_id, kind, episode_id, id);

CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
