-- Reference database, schema version 2: the UK classifications as recorded in English
-- hospitals, and the metadata of imported release files.

-- First and last financial year (by its starting calendar year) a code was recorded in
-- Hospital Episode Statistics; NULL for chapters, blocks and imported codes the list lacks.
ALTER TABLE codes ADD COLUMN first_fy INTEGER;
ALTER TABLE codes ADD COLUMN last_fy INTEGER;
-- Where the title comes from: 'hes', 'who' (WHO ICD-10 2019 hierarchy), 'written' (by this
-- project), 'derived' (from the category's codes' titles), 'imported' (a release file).
ALTER TABLE codes ADD COLUMN title_source TEXT NOT NULL DEFAULT 'hes';

-- Per-code metadata of an imported release (ICD-10 5th edition CodesAndTitlesAndMetadata,
-- OPCS-4 metadata file). Absent for the embedded lists, which carry none.
CREATE TABLE code_metadata (
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,
    usage          TEXT,                 -- ICD-10: 'DEFAULT', 'DAGGER', 'ASTERISK' ...
    usage_uk       TEXT,
    sex            TEXT,                 -- 'male' | 'female' | NULL (either)
    min_age        INTEGER,              -- years, inclusive; NULL: no limit
    max_age        INTEGER,
    raw            TEXT NOT NULL,        -- the file's row as JSON, for anything not parsed here
    PRIMARY KEY (classification, code)
) WITHOUT ROWID;
