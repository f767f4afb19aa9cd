-- Reference database, schema version 5: national usage counts (issues 21, 22).
-- How many finished consultant episodes in English hospitals recorded each code in each
-- financial year (Hospital Episode Statistics, Open Government Licence v3.0), from
-- fixtures/classifications/*-usage.tsv. A category's row is the sum over its codes (and its
-- own count, for the few categories once recorded as complete codes): search orders a
-- category's 4th characters and ranks equal hits by it, and the checks name the likelier
-- classification for a code shape that exists in both.
CREATE TABLE code_usage (
    classification TEXT NOT NULL,
    code           TEXT NOT NULL,        -- as in codes.code: 'L80.4', 'I10', or a category 'L80'
    fy             INTEGER NOT NULL,     -- financial year by its starting calendar year (2023 = 2023/24)
    episodes       INTEGER NOT NULL,
    PRIMARY KEY (classification, code, fy)
) WITHOUT ROWID;
