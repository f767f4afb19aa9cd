-- Episode log, schema version 2: safe retries, one save per draft, duplicate detection.
-- Nothing in these tables is part of the hash chain; they decide whether a save is
-- written at all.

-- Finds a live episode with the same patient, reference and start date in one seek.
CREATE INDEX episode_identity ON episode (patient, episode_ref, start_date);
-- The log screen's filter matches a word against the patient or the episode reference.
CREATE INDEX episode_ref ON episode (episode_ref);

-- One row per save that carried a save id (chosen by the caller before writing),
-- so a save retried after a crash returns the first result instead of writing twice.
CREATE TABLE save_receipt (
    save_id    TEXT PRIMARY KEY,
    episode_id INTEGER NOT NULL,
    request    TEXT NOT NULL            -- sha256 of the details and codes asked for
) WITHOUT ROWID;

-- Drafts already turned into an episode: a draft is consumed by exactly one save,
-- and its id is never handed out again.
CREATE TABLE draft_consumed (
    draft_id    INTEGER PRIMARY KEY,
    episode_id  INTEGER NOT NULL,
    consumed_at TEXT NOT NULL
);

-- "Episodes with code X in a date range", newest date first, at any log shape: one row
-- per (code, episode start date, episode, version), derived like code_index (which it
-- mirrors) and checked against it by verify. Backfilled here for an existing log.
CREATE TABLE code_date (
    code       TEXT NOT NULL,
    start_date TEXT NOT NULL,
    episode_id INTEGER NOT NULL,
    version_id INTEGER NOT NULL,
    PRIMARY KEY (code, start_date, episode_id, version_id)
) WITHOUT ROWID;
INSERT INTO code_date (code, start_date, episode_id, version_id)
    SELECT ci.code, e.start_date, ci.episode_id, ci.version_id
    FROM code_index ci JOIN episode e ON e.id = ci.episode_id;
