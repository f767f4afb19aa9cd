-- Reference database, schema version 7: the coders' index (issue 22).
-- Generated from fixtures/search/index.tsv by workbench.core.search.vocabulary.

-- An alphabetical index as coders use one: a lead term and its modifiers ("adhesions, freeing
-- of"; "resection, small bowel"; "tavi") pointing at codes, categories or guidance. One row
-- per entry and target, in file order.
CREATE TABLE search_index (
    entry          INTEGER NOT NULL,     -- the entry's line order in the file
    target_order   INTEGER NOT NULL,     -- first target first
    label          TEXT NOT NULL,        -- as written: 'adhesions, freeing of'
    words          INTEGER NOT NULL,     -- how many distinct stems the entry needs
    classification TEXT NOT NULL CHECK (classification IN ('opcs4', 'icd10', 'guidance')),
    target         TEXT NOT NULL,        -- 'T42', 'L80.4', 'IPG75'
    source         TEXT NOT NULL,
    PRIMARY KEY (entry, target_order)
) WITHOUT ROWID;

-- The stems of each entry's words (lead term and modifiers, "of"/"and" left out), so a query
-- finds the entries whose every word it holds, in any order, with one indexed look-up.
CREATE TABLE search_index_words (
    stem  TEXT NOT NULL,
    entry INTEGER NOT NULL,
    PRIMARY KEY (stem, entry)
) WITHOUT ROWID;

-- Which classification's titles use a word (procedure words, diagnosis words), and whether
-- the word is one of the vocabulary's own (index and synonym terms): typo correction prefers
-- those to words found only in guidance text.
ALTER TABLE search_words ADD COLUMN opcs4 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE search_words ADD COLUMN icd10 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE search_words ADD COLUMN vocabulary INTEGER NOT NULL DEFAULT 0;
