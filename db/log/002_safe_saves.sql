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
