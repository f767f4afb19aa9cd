-- Reference database, schema version 1.
-- Generated from fixtures/ by workbench.core.refdb; never edited by hand.
-- Documented table by table in db/README.md.

-- Build facts: fixtures content hash, build time, builder version.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The edition label shown beside every code of a classification.
CREATE TABLE editions (
    classification TEXT PRIMARY KEY CHECK (classification IN ('opcs4', 'icd10')),
    label          TEXT NOT NULL,        -- e.g. 'OPCS-4.10 (embedded subset)'
    source         TEXT NOT NULL         -- 'embedded' or 'imported'
);

-- Every chapter, block, category and code of both classifications.
CREATE TABLE codes (
    id             INTEGER PRIMARY KEY,
    classification TEXT NOT NULL CHECK (classification IN ('opcs4', 'icd10')),
    code           TEXT NOT NULL,        -- 'L80.4', 'L80', 'I50.9', 'I30-I52' (block), 'IX' (chapter)
    title          TEXT NOT NULL,
    level          TEXT NOT NULL CHECK (level IN ('chapter', 'block', 'category', 'code')),
    parent         TEXT,                 -- category of a code; block (ICD-10) of a category
    chapter        TEXT NOT NULL,        -- OPCS-4: the letter; ICD-10: roman numeral
    has_children   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (classification, code)
);
CREATE INDEX codes_parent ON codes (classification, parent);

-- The rows of the latest import of each classification, kept so that a rebuild of the
-- database (new fixtures) can re-apply them: imports survive rebuilds.
CREATE TABLE imported_codes (
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,
    title          TEXT NOT NULL,
    PRIMARY KEY (classification, code)
) WITHOUT ROWID;

-- One row per successful import.
CREATE TABLE imports (
    id             INTEGER PRIMARY KEY,
    classification TEXT NOT NULL,
    file           TEXT NOT NULL,        -- absolute path of the imported file
    imported_at    TEXT NOT NULL,        -- UTC, ISO 8601
    codes          INTEGER NOT NULL,     -- codes with a 4th character
    categories     INTEGER NOT NULL,     -- 3-character categories
    edition        TEXT NOT NULL         -- the edition label the import set
);

-- Guidance documents (fixtures/guidance/IPGnnn.md).
CREATE TABLE guidance (
    id             TEXT PRIMARY KEY,     -- 'IPG75'
    number         INTEGER NOT NULL,     -- 75
    title          TEXT NOT NULL,
    source_url     TEXT NOT NULL,
    editions       TEXT NOT NULL,        -- JSON object, e.g. {"opcs4": "OPCS-4.6"}
    partial        INTEGER NOT NULL,
    partial_reason TEXT NOT NULL,
    snomed_ct      TEXT NOT NULL,        -- JSON list of {concept_id, term}
    text           TEXT NOT NULL,        -- Markdown body shown to the coder
    path           TEXT NOT NULL         -- fixture file, relative to fixtures/
);

-- Sections of each guidance, keyed description / procedure_codes / diagnosis_codes / notes / slug.
CREATE TABLE guidance_sections (
    guidance_id TEXT NOT NULL REFERENCES guidance (id),
    key         TEXT NOT NULL,
    position    INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (guidance_id, key)
) WITHOUT ROWID;

-- Codes each guidance mentions, in order of first mention.
CREATE TABLE guidance_codes (
    guidance_id    TEXT NOT NULL REFERENCES guidance (id),
    position       INTEGER NOT NULL,
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,        -- 'L80.4' or a category 'L76'
    is_category    INTEGER NOT NULL,
    PRIMARY KEY (guidance_id, position)
) WITHOUT ROWID;
CREATE INDEX guidance_codes_code ON guidance_codes (classification, code);

-- Rule pack metadata (filled by workbench.core.rules.catalog.index_packs).
CREATE TABLE rule_packs (
    id TEXT PRIMARY KEY, guidance_id TEXT, title TEXT, status TEXT,
    partial INTEGER, version TEXT, path TEXT
);

-- Full-text indexes, one per kind so that a search of one kind never touches (or filters
-- out) the rows of another. Porter stemming; prefix indexes for as-you-type.
-- ref is the guidance id or the code.
CREATE VIRTUAL TABLE search_guidance USING fts5(
    title, body, ref UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE search_opcs4 USING fts5(
    title, ref UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE search_icd10 USING fts5(
    title, ref UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
