-- Log schema 4: the worklist of uncoded episodes imported from the PAS.
-- Lives in the log because it holds the same patient identifiers (mode 0600).
-- Rows are never deleted: an item is open, waiting on a clinician (query), or coded.

CREATE TABLE worklist_item (
    id          INTEGER PRIMARY KEY,
    patient     TEXT NOT NULL,          -- local patient identifier
    nhs_number  TEXT,                   -- 10 digits, check digit verified, or NULL
    episode_ref TEXT NOT NULL,          -- spell or consultant episode number
    start_date  TEXT NOT NULL,          -- YYYY-MM-DD
    end_date    TEXT,                   -- YYYY-MM-DD or NULL
    specialty   TEXT,
    consultant  TEXT,
    sex         TEXT,                   -- as the PAS gave it, or NULL
    age         INTEGER,                -- years at the start of the episode, or NULL
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'query', 'coded')),
    note        TEXT,                   -- why it is a query
    episode_id  INTEGER REFERENCES episode (id),   -- the episode saved from it
    imported_at TEXT NOT NULL,          -- UTC, ISO 8601
    UNIQUE (patient, episode_ref)
);
CREATE INDEX worklist_status ON worklist_item (status, start_date, id);
-- Import checks "already in the log" by (patient, episode reference).
CREATE INDEX episode_patient_ref ON episode (patient, episode_ref);
