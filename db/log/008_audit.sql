-- Log schema 8: the coding audit (workbench audit; workbench/core/audit/).
-- One append-only table, kept in the log because its samples point at the log's episodes
-- and versions. Every record carries a hash chained to the record before it (its own
-- chain, apart from the versions'); `log verify` recomputes it. Rows are never updated or
-- deleted: a later record supersedes an earlier one (a re-saved audit coding, a changed
-- review of a difference), and the triggers below refuse any change made by mistake.

CREATE TABLE audit_record (
    id         INTEGER PRIMARY KEY,     -- 1, 2, ... orders the audit chain
    sample_id  INTEGER NOT NULL,        -- the audit sample this record belongs to
    kind       TEXT NOT NULL CHECK (kind IN ('sample', 'coding', 'review')),
    episode_id INTEGER,                 -- the sampled episode (coding, review); NULL for a sample
    body       TEXT NOT NULL,           -- JSON object (see db/log/README.md)
    actor      TEXT NOT NULL,           -- OS login of who drew, coded or reviewed
    at         TEXT NOT NULL,           -- UTC, ISO 8601
    prev_hash  TEXT NOT NULL,           -- hash of the record before (64 zeros for the first)
    hash       TEXT NOT NULL            -- sha256 of this record's content + prev_hash
);
CREATE INDEX audit_record_sample ON audit_record (sample_id, kind, episode_id, id);

CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;
