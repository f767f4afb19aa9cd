-- Episode log, schema version 1.
-- Append-only: rows in episode, version, version_code and code_index are only ever
-- inserted. Amending or voiding an episode adds a version. Only draft rows change.

-- One row per coded episode: who and when, never the codes.
CREATE TABLE episode (
    id          INTEGER PRIMARY KEY,
    patient     TEXT NOT NULL,          -- local patient identifier
    nhs_number  TEXT,                   -- 10 digits, check digit verified, or NULL
    episode_ref TEXT NOT NULL,          -- spell or consultant episode number
    start_date  TEXT NOT NULL,          -- YYYY-MM-DD
    specialty   TEXT
);
CREATE INDEX episode_patient ON episode (patient);
CREATE INDEX episode_nhs ON episode (nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX episode_date ON episode (start_date);

-- Every saved state of every episode. The row id orders the log's single hash chain.
CREATE TABLE version (
    id           INTEGER PRIMARY KEY,
    episode_id   INTEGER NOT NULL REFERENCES episode (id),
    version      INTEGER NOT NULL,      -- 1, 2, ... within the episode
    status       TEXT NOT NULL CHECK (status IN ('final', 'amended', 'voided')),
    guidance_id  TEXT,
    pack_id      TEXT,
    pack_version TEXT,
    answers      TEXT NOT NULL DEFAULT '{}',   -- JSON object: question id -> answer
    overrides    TEXT NOT NULL DEFAULT '[]',   -- JSON list of [edit id, reason]
    coder        TEXT NOT NULL,
    saved_at     TEXT NOT NULL,         -- UTC, ISO 8601
    note         TEXT,
    reason       TEXT,                  -- why it was amended or voided
    prev_hash    TEXT NOT NULL,         -- hash of the version row before this one
    hash         TEXT NOT NULL,         -- sha256 of this row's content + prev_hash
    UNIQUE (episode_id, version)
);
-- Finds an episode's latest version (max id) with one index seek.
CREATE INDEX version_episode ON version (episode_id, id);
CREATE INDEX version_guidance ON version (guidance_id) WHERE guidance_id IS NOT NULL;

-- The ordered codes of each version.
CREATE TABLE version_code (
    version_id     INTEGER NOT NULL REFERENCES version (id),
    kind           TEXT NOT NULL CHECK (kind IN ('procedure', 'diagnosis')),
    position       INTEGER NOT NULL,    -- 1-based
    code           TEXT NOT NULL,
    classification TEXT NOT NULL,       -- opcs4 | icd10
    edition        TEXT NOT NULL,
    PRIMARY KEY (version_id, kind, position)
) WITHOUT ROWID;
-- Export needs the widest procedure list without scanning every code.
CREATE INDEX version_code_width ON version_code (kind, position);

-- Lookup table for "episodes with code X": one row per (code, episode, version),
-- newest episodes first by walking the primary key backwards. Derived from
-- version_code; verify() checks the two agree.
CREATE TABLE code_index (
    code       TEXT NOT NULL,
    episode_id INTEGER NOT NULL,
    version_id INTEGER NOT NULL,
    PRIMARY KEY (code, episode_id, version_id)
) WITHOUT ROWID;

-- Unfinished wizard state, per coder. Deleted when the episode is saved or discarded.
CREATE TABLE draft (
    id         INTEGER PRIMARY KEY,
    coder      TEXT NOT NULL,
    state      TEXT NOT NULL,           -- JSON object
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX draft_coder ON draft (coder, updated_at);
