-- Reference database, schema version 8: plain words typo correction leaves alone (issue 22, second pass).
-- Generated from fixtures/search/plain-words.txt by workbench.core.search.plain.

-- Common English and clinical words that no classification title uses ("fast" in "fast AF",
-- "burr" in "burr hole"): a word here is never "corrected" into an unrelated title word
-- ("cast", "burn"); search reads it as typed, and a word nothing matches counts for nothing.
-- Looked up one word at a time (a primary key), never loaded into memory.
CREATE TABLE search_plain_words (
    word TEXT PRIMARY KEY      -- lower case
) WITHOUT ROWID;
