-- Episode log, schema version 3: sex and age at the start of the episode (both optional),
-- and the dagger/asterisk mark of a code. Added columns only: older rows read as NULL,
-- and the hash chain covers a value only when it is set, so existing chains still verify.

ALTER TABLE episode ADD COLUMN sex TEXT;            -- 'male' | 'female' | NULL (not given)
ALTER TABLE episode ADD COLUMN age_years INTEGER;   -- whole years at the episode start, or NULL
ALTER TABLE version_code ADD COLUMN mark TEXT;      -- 'dagger' | 'asterisk' | NULL
