-- Log schema 5: the worklist as the PAS sends it.
-- * A worklist item is one finished consultant episode (FCE): patient, spell (episode_ref) and
--   the FCE number within the spell. Two FCEs of one spell are two items.
-- * Every column of the extract is kept: known ones as columns, the others in `extra` (JSON).
-- * Imports are recorded, so a refresh can list the items a newer extract no longer holds.
-- * Queries to clinicians are tracked (to whom, sent, reply, resolved), and every change to an
--   item is an event row (history kept, never updated or deleted).
-- * The log's episodes carry the FCE number, discharge date and consultant. Added columns only:
--   older rows read as NULL, and the hash chain covers a value only when it is set.

ALTER TABLE episode ADD COLUMN fce TEXT;           -- FCE number within the spell, or NULL
ALTER TABLE episode ADD COLUMN end_date TEXT;      -- discharge (episode end) YYYY-MM-DD, or NULL
ALTER TABLE episode ADD COLUMN consultant TEXT;

CREATE TABLE worklist_import (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,                     -- UTC, ISO 8601
    coder       TEXT NOT NULL,
    file_name   TEXT NOT NULL,                     -- the extract's name (no folder)
    rows        INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    refused     INTEGER NOT NULL,
    unmapped    TEXT NOT NULL DEFAULT '[]'         -- JSON list of column names kept as extra details
);

-- SQLite cannot change a UNIQUE constraint in place: the table is renamed, a new one made and the
-- rows copied (ids kept). Nothing references the old table, so it can be dropped with foreign keys on.
ALTER TABLE worklist_item RENAME TO worklist_item_4;
DROP INDEX worklist_status;
CREATE TABLE worklist_item (
    id               INTEGER PRIMARY KEY,
    patient          TEXT NOT NULL,
    nhs_number       TEXT,
    episode_ref      TEXT NOT NULL,                -- spell number (or the episode reference)
    fce              TEXT NOT NULL DEFAULT '',     -- FCE number within the spell; '' when not given
    start_date       TEXT NOT NULL,
    end_date         TEXT,
    specialty        TEXT,
    consultant       TEXT,
    admission_method TEXT,
    ward             TEXT,
    sex              TEXT,
    age              INTEGER,
    extra            TEXT NOT NULL DEFAULT '{}',   -- JSON: unmapped columns by header, non-empty values
    status           TEXT NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'query', 'coded', 'removed')),
    episode_id       INTEGER REFERENCES episode (id),
    imported_at      TEXT NOT NULL,
    updated_at       TEXT,                         -- last refresh that changed its details
    UNIQUE (patient, episode_ref, fce)
);
INSERT INTO worklist_item (id, patient, nhs_number, episode_ref, fce, start_date, end_date, specialty,
                           consultant, sex, age, status, episode_id, imported_at)
    SELECT id, patient, nhs_number, episode_ref, '', start_date, end_date, specialty, consultant, sex, age,
           status, episode_id, imported_at FROM worklist_item_4;
CREATE INDEX worklist_status ON worklist_item (status, start_date, id);
CREATE INDEX worklist_episode ON worklist_item (episode_id) WHERE episode_id IS NOT NULL;

CREATE TABLE worklist_query (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES worklist_item (id),
    clinician   TEXT NOT NULL,                     -- to whom ('' when not recorded, before schema 5)
    question    TEXT NOT NULL,
    sent_on     TEXT NOT NULL,                     -- YYYY-MM-DD
    raised_by   TEXT NOT NULL,
    reply       TEXT,
    replied_on  TEXT,                              -- YYYY-MM-DD
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'resolved'))
);
-- The notes of schema 4's queries become queries (sent on the day the item was imported).
INSERT INTO worklist_query (item_id, clinician, question, sent_on, raised_by, status)
    SELECT id, '', coalesce(note, ''), substr(imported_at, 1, 10), '', 'open'
    FROM worklist_item_4 WHERE status = 'query';
CREATE INDEX worklist_query_item ON worklist_query (item_id, id);
DROP TABLE worklist_item_4;

CREATE TABLE worklist_event (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES worklist_item (id),
    at       TEXT NOT NULL,                        -- UTC, ISO 8601
    coder    TEXT NOT NULL,
    kind     TEXT NOT NULL,   -- updated, removed, coded, reopened, query, reply, resolved, query-reopened
    detail   TEXT NOT NULL DEFAULT '{}'            -- JSON: fields changed, reason, episode, query id
);
CREATE INDEX worklist_event_item ON worklist_event (item_id, id);
