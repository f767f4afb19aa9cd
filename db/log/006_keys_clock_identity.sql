-- Log schema 6: the department key's hash on each version, clock steps, near-duplicate keys,
-- and the log's own identity (issue 25). Added columns and tables only: older rows read as
-- NULL, and the hash chain covers clock_at only when it is set, so existing chains verify.

-- HMAC-SHA256 of the row's hash with the department key (workbench/core/episodes/keys.py),
-- or NULL when no key was configured. Outside the hashed content: it signs the hash.
ALTER TABLE version ADD COLUMN mac TEXT;
-- The writer's clock when it read earlier than the version row before it (a clock stepped
-- back): saved_at is then that row's time plus a microsecond, so the log stays in order,
-- and this keeps what the clock said. NULL otherwise. Hashed when set.
ALTER TABLE version ADD COLUMN clock_at TEXT;

-- Facts about the log itself. 'log_id': random, made once, written into every checkpoint
-- line, so a checkpoint file never vouches for a different log moved to the same path.
CREATE TABLE log_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO log_meta (key, value) VALUES ('log_id', lower(hex(randomblob(16))));

-- Near-duplicates: each episode's patient and episode reference compared after folding
-- case, spaces, zero-width and full-width characters (safetext.identity_key), with its start
-- date. Derived from episode, like code_index; filled here for an existing log by the
-- workbench_identity() function the migration runner provides.
CREATE TABLE episode_key (
    identity   TEXT NOT NULL,           -- identity_key(patient) || x'1f' || identity_key(episode_ref)
    start_date TEXT NOT NULL,
    episode_id INTEGER NOT NULL,
    PRIMARY KEY (identity, start_date, episode_id)
) WITHOUT ROWID;
INSERT INTO episode_key (identity, start_date, episode_id)
    SELECT workbench_identity(patient, episode_ref), start_date, id FROM episode;
