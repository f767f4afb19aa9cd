-- Reference database, schema version 3: the search lexicon.
-- Generated from fixtures/search/synonyms.tsv and the titles by workbench.core.search.lexicon.

-- What coders type that the titles do not say: abbreviations, lay terms, other spellings and
-- synonyms, each with the classification wording it stands for (one row per meaning).
CREATE TABLE search_synonyms (
    term    TEXT NOT NULL,       -- lower case, single spaces: 'cabg', 'heart attack'
    means   TEXT NOT NULL,       -- classification wording: 'coronary artery bypass'
    kind    TEXT NOT NULL CHECK (kind IN ('abbreviation', 'lay', 'spelling', 'synonym')),
    source  TEXT NOT NULL,       -- where the meaning comes from, for the coding manager
    position INTEGER NOT NULL,   -- line order in the file: a term's first meaning is its usual one
    PRIMARY KEY (term, means)
) WITHOUT ROWID;

-- Every word of every code and guidance title (and guidance text), with how many records use
-- it: the dictionary typo correction chooses from. Rebuilt with the database; a later import
-- is noticed through meta.search_words_stamp and the words are recounted.
CREATE TABLE search_words (
    word   TEXT PRIMARY KEY,     -- lower case, as written
    uses   INTEGER NOT NULL
) WITHOUT ROWID;
